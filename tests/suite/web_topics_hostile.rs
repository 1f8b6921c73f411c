//! Preferences links that do not work and hostile preference forms, through the real server: forged, altered,
//! cut-short, cross-purpose and stale tokens, and a removed and re-added reader's old link, get the unsubscribe
//! route's 400; control characters, unknown categories, bad pauses, repeated or missing fields get 400 naming the
//! field and value, a huge body 413, a JSON body 415, too many POSTs 429; none of them changes anything.

use chrono::Duration as Span;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::Status;
use weekly_verdicts::tokens::Purpose;

use crate::support::app::{spawn_app, spawn_app_with};
use crate::web_topics::{
    LINK_DOES_NOT_WORK, confirmed_reader, history, names, preferences_path, send_sample_week,
};

#[tokio::test]
async fn forged_altered_cross_purpose_and_stale_preference_links_get_the_unsubscribe_400_and_change_nothing()
 {
    let app = spawn_app().await;
    let id = confirmed_reader(&app, "ann@example.org", &["Search"], 0).await;
    let now = app.clock.now();
    let genuine = app.tokens.sign(Purpose::Preferences, id, now);
    let mut altered = genuine.clone().into_bytes();
    altered[12] = if altered[12] == b'A' { b'B' } else { b'A' };
    let other_key =
        weekly_verdicts::tokens::Tokens::from_secret_str("another-secret-key-entirely-123", &[])
            .unwrap()
            .sign(Purpose::Preferences, id, now);
    let bad = [
        String::from_utf8(altered).unwrap(),
        other_key,
        genuine[..30].to_owned(),
        "not-a-token".to_owned(),
        "A".repeat(4000),
        // Genuine tokens for the other purposes, for the same reader.
        app.tokens.sign(Purpose::Unsubscribe, id, now),
        app.tokens.sign(Purpose::Confirm, id, now),
        app.tokens.sign_bound(Purpose::Unsubscribe, id, 7, now),
        // A genuine preferences link for a reader who does not exist, and one bound to another nonce.
        app.tokens.sign(Purpose::Preferences, id + 1000, now),
        app.tokens.sign_bound(Purpose::Preferences, id, 12345, now),
        // Made before the subscription existed.
        app.tokens
            .sign(Purpose::Preferences, id, now - Span::days(30)),
    ];
    let unsubscribe_page = app
        .get("/unsubscribe/not-a-token")
        .await
        .text()
        .await
        .unwrap();
    for token in &bad {
        let path = format!("/preferences/{token}");
        let get = app.get(&path).await;
        assert_eq!(get.status(), 400, "GET {token}");
        assert_eq!(get.text().await.unwrap(), unsubscribe_page, "GET {token}");
        for action in ["save", "unsubscribe"] {
            let post = app
                .post_form(&path, &[("action", action), ("pause", "4")])
                .await;
            assert_eq!(post.status(), 400, "POST {action} {token}");
            assert!(post.text().await.unwrap().contains(LINK_DOES_NOT_WORK));
        }
    }
    let ann = app.subscriber("ann@example.org").unwrap();
    assert_eq!(
        (ann.status, names(&ann.categories), ann.paused_until),
        (Status::Confirmed, vec!["Search".to_string()], None)
    );
    assert_eq!(history(&app, "ann@example.org").len(), 2);
    // The genuine one works.
    assert_eq!(
        app.get(&format!("/preferences/{genuine}")).await.status(),
        200
    );
}

#[tokio::test]
async fn a_removed_and_re_added_readers_old_preferences_link_does_not_act_on_the_new_subscription()
{
    let app = spawn_app().await;
    confirmed_reader(&app, "ann@example.org", &["Search"], 0).await;
    let digest = send_sample_week(&app, "ann@example.org").await;
    let old = preferences_path(&app, &digest);
    let messages = app.smtp.messages().len();
    assert!(
        app.store()
            .remove(
                &SubscriberEmail::parse("ann@example.org").unwrap(),
                app.clock.now()
            )
            .unwrap()
    );
    app.clock.advance(Span::hours(1));
    confirmed_reader(&app, "ann@example.org", &["Voice"], messages).await;

    assert_eq!(app.get(&old).await.status(), 400);
    for fields in [
        &[("action", "save"), ("category", "Search"), ("pause", "8")][..],
        &[("action", "unsubscribe")][..],
    ] {
        let post = app.post_form(&old, fields).await;
        assert_eq!(post.status(), 400);
        assert!(post.text().await.unwrap().contains(LINK_DOES_NOT_WORK));
    }
    let ann = app.subscriber("ann@example.org").unwrap();
    assert_eq!(
        (ann.status, names(&ann.categories), ann.paused_until),
        (Status::Confirmed, vec!["Voice".to_string()], None)
    );
}

#[tokio::test]
async fn hostile_preference_forms_get_400_naming_the_field_or_413_and_change_nothing() {
    let app = spawn_app().await;
    let id = confirmed_reader(&app, "ann@example.org", &["Search"], 0).await;
    let path = format!(
        "/preferences/{}",
        app.tokens.sign(Purpose::Preferences, id, app.clock.now())
    );
    let refused = [
        (
            "action=save&category=Sea%00rch",
            "category: &quot;Sea\\0rch&quot; has a control character",
        ),
        (
            "action=save&category=Voice%0D%0ABcc%3A+x%40example.org",
            "category: &quot;Voice\\r\\nBcc: x@example.org&quot; has a control character",
        ),
        (
            "action=save&category=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            "category: unknown category &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;",
        ),
        (
            "action=save&pause=52",
            "pause: &quot;52&quot; is not a number of weeks from 1 to 8",
        ),
        (
            "action=save&action=unsubscribe",
            "action: sent more than once",
        ),
        ("category=Voice", "action: missing (save or unsubscribe)"),
        (
            "action=drop+table",
            "action: &quot;drop table&quot; is not save or unsubscribe",
        ),
    ];
    for (body, message) in refused {
        let response = app
            .client
            .post(app.url(&path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{body}: {html}");
        assert!(!html.contains("<script>"), "{body}");
    }
    // Over the body limit: 413 before the form is read.
    let huge = format!("action=save&{}", "category=Search&".repeat(2000));
    let response = app
        .client
        .post(app.url(&path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    // Not a form.
    let json = app
        .post_json(&path, &serde_json::json!({ "action": "unsubscribe" }))
        .await;
    assert_eq!(json.status(), 415);
    let ann = app.subscriber("ann@example.org").unwrap();
    assert_eq!(
        (ann.status, names(&ann.categories), ann.paused_until),
        (Status::Confirmed, vec!["Search".to_string()], None)
    );
    assert_eq!(history(&app, "ann@example.org").len(), 2);

    // The same box sent many times counts once.
    let repeated = app
        .post_form(
            &path,
            &[
                ("action", "save"),
                ("category", "Voice"),
                ("category", "voice"),
                ("category", " VOICE "),
            ],
        )
        .await;
    assert_eq!(repeated.status(), 200);
    assert_eq!(
        names(&app.subscriber("ann@example.org").unwrap().categories),
        ["Voice"]
    );
}

#[tokio::test]
async fn preference_posts_count_against_the_per_client_rate_limit_like_the_other_routes() {
    let app = spawn_app_with(|config| config.post_rate_limit_per_minute = 3).await;
    // The subscribe and the confirm take two of the three.
    let id = confirmed_reader(&app, "ann@example.org", &[], 0).await;
    let path = format!(
        "/preferences/{}",
        app.tokens.sign(Purpose::Preferences, id, app.clock.now())
    );
    let fields = [("action", "save"), ("category", "Voice")];
    assert_eq!(app.post_form(&path, &fields).await.status(), 200);
    let limited = app
        .post_form(&path, &[("action", "save"), ("category", "Search")])
        .await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        names(&app.subscriber("ann@example.org").unwrap().categories),
        ["Voice"]
    );
    // Reading the page is never limited.
    assert_eq!(app.get(&path).await.status(), 200);
}
