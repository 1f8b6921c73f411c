//! Readers' topics through the real server: categories ticked on the subscribe form or listed in JSON (unknown ones
//! refused, naming them), the confirmation page's link, and the preferences page opened from a digest the real
//! sender delivered over SMTP: the choice shown, saved, paused, recorded in the consent history, and the
//! unsubscribe button; and the content's categories read again when it changes. Links that do not work and hostile
//! forms are in `web_topics_hostile`; the same round trip on PostgreSQL is in `web_flow_postgres`, the one in
//! Chromium in `web_browser`.

use chrono::Duration as Span;
use weekly_verdicts::config::Secrets;
use weekly_verdicts::content::Categories;
use weekly_verdicts::delivery::{self, SendOptions};
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::Status;

use crate::support::app::{TOKEN_SECRET, TestApp, decoded, spawn_app, spawn_app_with};
use crate::support::smtp::Received;

/// The wording of the unsubscribe route's 400, which every link that does not work gets.
pub(crate) const LINK_DOES_NOT_WORK: &str = "This link does not work";

pub(crate) fn names(categories: &Categories) -> Vec<String> {
    categories.names().map(str::to_string).collect()
}

/// Subscribes through the form ticking `categories` and confirms with the mailed link (the `mails_so_far + 1`th
/// mail); returns the subscriber id.
pub(crate) async fn confirmed_reader(
    app: &TestApp,
    email: &str,
    categories: &[&str],
    mails_so_far: usize,
) -> u64 {
    let mut fields = vec![("email", email), ("name", ""), ("website", "")];
    fields.extend(categories.iter().map(|c| ("category", *c)));
    assert_eq!(app.post_form("/subscribe", &fields).await.status(), 200);
    let mail = app.mails(mails_so_far + 1).await.remove(mails_so_far);
    let page = app.confirm(&app.confirm_path(&mail)).await;
    assert_eq!(page.status(), 200, "{email} confirms");
    app.subscriber(email).unwrap().id
}

/// Sends the sample content's week (2026-W47) through the real sender to the app's SMTP server, signing links with
/// the app's key at the app's time, and returns the message `email` got.
pub(crate) async fn send_sample_week(app: &TestApp, email: &str) -> Received {
    let comparisons =
        weekly_verdicts::content::load_dir(&app.config.content_dir, &app.config.base_url).unwrap();
    let secrets = Secrets {
        token_key: Some(TOKEN_SECRET.to_owned()),
        ..Secrets::default()
    };
    // The app's pinned clock is days from the PostgreSQL server's: with one sender, no claim is at risk.
    let options = SendOptions {
        clock: app.clock.clone(),
        max_clock_skew: None,
        ..SendOptions::new(&app.config)
    };
    let as_of = weekly_verdicts::commands::parse_as_of("2026-11-22", chrono_tz::UTC).unwrap();
    delivery::send(&app.config, &secrets, &comparisons, as_of, options)
        .await
        .unwrap();
    app.smtp
        .messages()
        .into_iter()
        .rev()
        .find(|m| {
            m.rcpt_to == [email]
                && !m
                    .header("Subject")
                    .is_some_and(|s| s.starts_with("Confirm"))
        })
        .unwrap_or_else(|| panic!("no digest for {email}"))
}

/// The reader's preferences link in a mail (HTML and text parts both carry it), as a path on the test server.
pub(crate) fn preferences_path(app: &TestApp, message: &Received) -> String {
    let body = decoded(message);
    let prefix = format!("{}/preferences/", app.address);
    let start = body
        .find(&prefix)
        .unwrap_or_else(|| panic!("no preferences link in:\n{body}"))
        + prefix.len();
    let token: String = body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(
        body.matches(&format!("{prefix}{token}")).count(),
        2,
        "the same link in the text and the HTML part"
    );
    format!("/preferences/{token}")
}

pub(crate) fn history(app: &TestApp, email: &str) -> Vec<(String, String, Option<String>)> {
    app.store()
        .consent_history(&SubscriberEmail::parse(email).unwrap())
        .unwrap()
        .into_iter()
        .map(|r| (r.event, r.channel, r.detail))
        .collect()
}

/// The whole round trip over HTTP, on whichever backend `app` has.
pub(crate) async fn preferences_round_trip(app: &TestApp) {
    confirmed_reader(app, "ann@example.org", &["search", "Voice"], 0).await;
    let ann = app.subscriber("ann@example.org").unwrap();
    assert_eq!(names(&ann.categories), ["Search", "Voice"]);

    let digest = send_sample_week(app, "ann@example.org").await;
    let path = preferences_path(app, &digest);
    let page = app.get(&path).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("value=\"Search\" checked"), "{html}");
    assert!(html.contains("value=\"Voice\" checked"), "{html}");
    assert!(html.contains("value=\"Developer Tools\">"), "{html}");
    assert!(html.contains("ann@example.org"), "{html}");

    // Developer Tools only, paused for two weeks.
    let saved = app
        .post_form(
            &path,
            &[
                ("action", "save"),
                ("category", "Developer Tools"),
                ("pause", "2"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 200);
    let html = saved.text().await.unwrap();
    assert!(
        html.contains("Saved. You get Developer Tools, from 7 December 2026."),
        "{html}"
    );
    let ann = app.subscriber("ann@example.org").unwrap();
    assert_eq!(names(&ann.categories), ["Developer Tools"]);
    assert_eq!(ann.paused_until, Some(app.clock.now() + Span::weeks(2)));
    assert_eq!(ann.status, Status::Confirmed);
    let (event, channel, detail) = history(app, "ann@example.org").pop().unwrap();
    assert_eq!((event.as_str(), channel.as_str()), ("topics", "link"));
    assert_eq!(
        detail.as_deref(),
        Some("topics: Developer Tools; paused until 2026-12-07 09:00 UTC")
    );
    let html = app.get(&path).await.text().await.unwrap();
    assert!(html.contains("value=\"Developer Tools\" checked"), "{html}");
    assert!(!html.contains("value=\"Search\" checked"), "{html}");
    assert!(
        html.contains("Paused: no issue until 7 December 2026."),
        "{html}"
    );
    assert!(html.contains("<option value=\"keep\" selected>"), "{html}");

    // Keeping the pause while changing topics keeps its date; nothing ticked and no pause is everything again.
    app.clock.advance(Span::days(1));
    let kept = app
        .post_form(
            &path,
            &[("action", "save"), ("category", "Voice"), ("pause", "keep")],
        )
        .await;
    assert_eq!(kept.status(), 200);
    let ann = app.subscriber("ann@example.org").unwrap();
    assert_eq!(names(&ann.categories), ["Voice"]);
    assert_eq!(ann.paused_until, Some(app.clock.now() + Span::days(13)));
    let all = app
        .post_form(&path, &[("action", "save"), ("pause", "")])
        .await;
    assert!(
        all.text()
            .await
            .unwrap()
            .contains("Saved. You get every topic.")
    );
    let ann = app.subscriber("ann@example.org").unwrap();
    assert!(ann.categories.is_everything());
    assert_eq!(ann.paused_until, None);

    // The page's other button unsubscribes.
    let gone = app.post_form(&path, &[("action", "unsubscribe")]).await;
    assert_eq!(gone.status(), 200);
    assert!(gone.text().await.unwrap().contains("You're unsubscribed"));
    assert_eq!(
        app.subscriber("ann@example.org").unwrap().status,
        Status::Unsubscribed
    );
    let events: Vec<String> = history(app, "ann@example.org")
        .into_iter()
        .map(|(event, _, _)| event)
        .collect();
    assert_eq!(
        events,
        ["opt-in", "confirm", "topics", "topics", "topics", "opt-out"]
    );
    // Afterwards the link shows that there is nothing to choose, and a save changes nothing.
    let after = app.get(&path).await;
    assert_eq!(after.status(), 200);
    assert!(after.text().await.unwrap().contains("not subscribed"));
    app.post_form(&path, &[("action", "save"), ("category", "Search")])
        .await;
    assert!(
        app.subscriber("ann@example.org")
            .unwrap()
            .categories
            .is_everything()
    );
}

#[tokio::test]
async fn the_preferences_page_from_a_delivered_issue_shows_saves_pauses_and_unsubscribes() {
    let app = spawn_app().await;
    preferences_round_trip(&app).await;
}

#[tokio::test]
async fn categories_ticked_on_the_form_or_listed_in_json_are_kept_through_the_confirm_link() {
    let app = spawn_app().await;
    confirmed_reader(&app, "ann@example.org", &["voice", "Search", "VOICE"], 0).await;
    assert_eq!(
        names(&app.subscriber("ann@example.org").unwrap().categories),
        ["Search", "Voice"]
    );
    let json = app
        .post_json(
            "/subscribe",
            &serde_json::json!({ "email": "bob@example.org", "categories": ["developer tools"] }),
        )
        .await;
    assert_eq!(json.status(), 202);
    let mail = app.mails(2).await.remove(1);
    app.confirm(&app.confirm_path(&mail)).await;
    assert_eq!(
        names(&app.subscriber("bob@example.org").unwrap().categories),
        ["Developer Tools"]
    );
    // No categories: everything.
    confirmed_reader(&app, "cy@example.org", &[], 2).await;
    assert!(
        app.subscriber("cy@example.org")
            .unwrap()
            .categories
            .is_everything()
    );
    // The subscribe page offers the content's categories, none ticked.
    let page = app.get("/").await.text().await.unwrap();
    for name in [
        "Agents",
        "Data &amp; Analytics",
        "Developer Tools",
        "Search",
        "Voice",
    ] {
        assert!(
            page.contains(&format!("name=\"category\" value=\"{name}\">")),
            "{name}: {page}"
        );
    }
}

#[tokio::test]
async fn unknown_categories_get_400_naming_them_and_the_known_ones_and_nothing_is_stored() {
    let app = spawn_app().await;
    let form = app
        .post_form(
            "/subscribe",
            &[
                ("email", "ann@example.org"),
                ("category", "Serch"),
                ("category", "Voice"),
            ],
        )
        .await;
    assert_eq!(form.status(), 400);
    let html = form.text().await.unwrap();
    assert!(
        html.contains("category: unknown category &quot;Serch&quot;: the content has Agents, Data &amp; Analytics, Design, Developer Tools"),
        "{html}"
    );
    // The form comes back with the address and the ticked boxes as they were.
    assert!(html.contains("value=\"ann@example.org\""), "{html}");
    assert!(html.contains("value=\"Voice\" checked"), "{html}");

    let json = app
        .post_json(
            "/subscribe",
            &serde_json::json!({ "email": "bob@example.org", "categories": ["Search", "Knitting", "Cooking"] }),
        )
        .await;
    assert_eq!(json.status(), 400);
    let body: serde_json::Value = json.json().await.unwrap();
    let error = body["error"].as_str().unwrap();
    assert!(
        error.starts_with(
            "categories: unknown categories \"Knitting\", \"Cooking\": the content has Agents,"
        ),
        "{error}"
    );
    let wrong_type = app
        .post_json(
            "/subscribe",
            &serde_json::json!({ "email": "bob@example.org", "categories": "Search" }),
        )
        .await;
    assert_eq!(wrong_type.status(), 422);
    assert!(app.all_subscribers().is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.smtp.messages().is_empty());
}

#[tokio::test]
async fn the_confirmation_page_links_to_the_readers_own_preferences_page() {
    let app = spawn_app().await;
    app.subscribe("ann@example.org", "").await;
    let mail = app.mails(1).await.remove(0);
    let html = app
        .confirm(&app.confirm_path(&mail))
        .await
        .text()
        .await
        .unwrap();
    let start = html.find("href=\"/preferences/").expect("a link") + "href=\"".len();
    let path: String = html[start..].chars().take_while(|c| *c != '"').collect();
    assert!(html.contains(">Choose your topics</a>"), "{html}");
    let page = app.get(&path).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("ann@example.org"));
}

#[tokio::test]
async fn a_category_added_to_the_content_is_offered_without_restarting_the_server() {
    let content = tempfile::tempdir().unwrap();
    crate::support::preview::copy_sample_content(content.path());
    let dir = content.path().to_path_buf();
    let app = spawn_app_with(|config| config.content_dir = dir).await;
    assert!(
        !app.get("/")
            .await
            .text()
            .await
            .unwrap()
            .contains("Robotics")
    );
    // An editor changes a comparison's category in place.
    let file = content.path().join("2026-11-18-deepgram-vs-assemblyai.md");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("category = \"Voice\"", "category = \"Robotics\"");
    std::fs::write(&file, text).unwrap();
    // The folder is looked at again at most once a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let page = app.get("/").await.text().await.unwrap();
    assert!(page.contains("value=\"Robotics\""), "{page}");
    let json = app
        .post_json(
            "/subscribe",
            &serde_json::json!({ "email": "bob@example.org", "categories": ["robotics"] }),
        )
        .await;
    assert_eq!(json.status(), 202);
}
