//! The subscription lifecycle through the real server: subscribe, the confirmation mail over SMTP, its link, the
//! digest's one-click unsubscribe; and the rules around it (same answer for every address, one mail per 10
//! minutes, re-subscribing, the honeypot, the thank-you redirect, expiry, concurrency).

use std::time::Duration;

use chrono::Duration as Span;
use weekly_verdicts::digest::{Recipient, RenderedIssue, UNSUBSCRIBE_PLACEHOLDER};
use weekly_verdicts::store::Status;
use weekly_verdicts::tokens::Purpose;

use crate::support::app::{TestApp, spawn_app, spawn_app_with};

/// The digest message this subscriber would get, built by the digest's own code.
pub(crate) fn digest_for(app: &TestApp, subscriber_id: u64, email: &str) -> lettre::Message {
    let issue = RenderedIssue::from_parts(
        "2026-W48",
        "This week's verdicts",
        "Two new comparisons",
        format!("<p>Verdicts</p><a href=\"{UNSUBSCRIBE_PLACEHOLDER}\">Unsubscribe</a>"),
        format!("Verdicts\nUnsubscribe: {UNSUBSCRIBE_PLACEHOLDER}\n"),
        &app.config,
    );
    let token = app
        .tokens
        .sign(Purpose::Unsubscribe, subscriber_id, app.clock.now());
    let recipient = Recipient {
        subscriber_id,
        email: email.parse().unwrap(),
        name: None,
        unsubscribe_token: &token,
        preferences_token: None,
    };
    issue.message(&recipient, app.clock.now()).unwrap()
}

/// The https (here http) URL of a List-Unsubscribe header, as a path on the test server.
pub(crate) fn one_click_path(app: &TestApp, message: &lettre::Message) -> String {
    let raw = String::from_utf8(message.formatted()).unwrap();
    let header = raw
        .lines()
        .find(|l| l.starts_with("List-Unsubscribe:"))
        .expect("a List-Unsubscribe header");
    let url = header
        .split(['<', '>'])
        .find(|part| part.starts_with(&app.address))
        .expect("an http URL in List-Unsubscribe");
    url[app.address.len()..].to_owned()
}

#[tokio::test]
async fn subscribe_confirm_by_mailed_link_then_one_click_unsubscribe_from_the_digest() {
    let app = spawn_app().await;

    let response = app.subscribe("ann@example.org", "Ann").await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Check your inbox"));
    let ann = app.subscriber("ann@example.org").expect("stored");
    assert_eq!(ann.status, Status::Pending);
    assert_eq!(ann.name.as_deref(), Some("Ann"));

    let mail = app.mails(1).await.remove(0);
    assert_eq!(mail.rcpt_to, ["ann@example.org"]);
    assert!(
        mail.header("Subject")
            .unwrap()
            .starts_with("Confirm your subscription")
    );
    assert!(
        mail.header("Message-ID")
            .unwrap()
            .ends_with("@verdicts.example.org>")
    );
    assert!(mail.header("To").unwrap().contains("Ann"));

    let confirm = app.confirm_path(&mail);
    let page = app.confirm(&confirm).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("You're subscribed"));
    assert_eq!(
        app.subscriber("ann@example.org").unwrap().status,
        Status::Confirmed
    );
    // Following the link again is fine and changes nothing.
    assert_eq!(app.confirm(&confirm).await.status(), 200);

    let digest = digest_for(&app, ann.id, "ann@example.org");
    let one_click = one_click_path(&app, &digest);
    // A link scanner's GET shows a button and unsubscribes nobody.
    let page = app.get(&one_click).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<button"));
    assert_eq!(
        app.subscriber("ann@example.org").unwrap().status,
        Status::Confirmed
    );
    // The mail client's RFC 8058 POST.
    let response = app
        .post_form(&one_click, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(response.status(), 200);
    let ann = app.subscriber("ann@example.org").unwrap();
    assert_eq!(ann.status, Status::Unsubscribed);
    assert_eq!(ann.unsubscribed_at, Some(app.clock.now()));
    // Repeating it still answers 200.
    let again = app
        .post_form(&one_click, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(again.status(), 200);
}

#[tokio::test]
async fn the_unsubscribe_page_form_posts_to_the_same_link_and_unsubscribes() {
    let app = spawn_app().await;
    app.subscribe("bob@example.org", "").await;
    let bob = app.subscriber("bob@example.org").unwrap();
    let token = app
        .tokens
        .sign(Purpose::Unsubscribe, bob.id, app.clock.now());
    let page = app
        .get(&format!("/unsubscribe/{token}"))
        .await
        .text()
        .await
        .unwrap();
    let action = format!("action=\"/unsubscribe/{token}\"");
    assert!(page.contains(&action), "{page}");
    assert!(page.contains("name=\"List-Unsubscribe\" value=\"One-Click\""));
    assert_eq!(
        app.subscriber("bob@example.org").unwrap().status,
        Status::Pending
    );
    let response = app
        .post_form(
            &format!("/unsubscribe/{token}"),
            &[("List-Unsubscribe", "One-Click")],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("You're unsubscribed")
    );
    assert_eq!(
        app.subscriber("bob@example.org").unwrap().status,
        Status::Unsubscribed
    );
}

#[tokio::test]
async fn a_bare_one_click_post_without_a_body_also_unsubscribes() {
    let app = spawn_app().await;
    app.subscribe("bare@example.org", "").await;
    let id = app.subscriber("bare@example.org").unwrap().id;
    let token = app.tokens.sign(Purpose::Unsubscribe, id, app.clock.now());
    let response = app
        .client
        .post(app.url(&format!("/unsubscribe/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.subscriber("bare@example.org").unwrap().status,
        Status::Unsubscribed
    );
}

#[tokio::test]
async fn subscribe_answers_the_same_whatever_state_the_address_is_in() {
    let app = spawn_app().await;
    // New.
    let new = app.subscribe("state@example.org", "").await;
    let (status, body) = (new.status(), new.text().await.unwrap());
    let mail = app.mails(1).await.remove(0);
    // Pending.
    let pending = app.subscribe("state@example.org", "").await;
    assert_eq!(
        (pending.status(), pending.text().await.unwrap()),
        (status, body.clone())
    );
    // Confirmed: no mail either.
    app.confirm(&app.confirm_path(&mail)).await;
    app.clock.advance(Span::minutes(30));
    let confirmed = app.subscribe("STATE@example.org", "").await;
    assert_eq!(
        (confirmed.status(), confirmed.text().await.unwrap()),
        (status, body.clone())
    );
    app.mails(1).await;
    // Unsubscribed.
    let id = app.subscriber("state@example.org").unwrap().id;
    let token = app.tokens.sign(Purpose::Unsubscribe, id, app.clock.now());
    app.post_form(&format!("/unsubscribe/{token}"), &[]).await;
    let unsubscribed = app.subscribe("state@example.org", "").await;
    assert_eq!(
        (unsubscribed.status(), unsubscribed.text().await.unwrap()),
        (status, body)
    );

    // JSON clients get one answer too.
    let mut answers = Vec::new();
    for email in ["state@example.org", "fresh@example.org"] {
        let response = app
            .post_json("/subscribe", &serde_json::json!({ "email": email }))
            .await;
        answers.push((response.status(), response.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, 202);
}

#[tokio::test]
async fn at_most_one_confirmation_mail_per_address_per_ten_minutes() {
    let app = spawn_app().await;
    for _ in 0..3 {
        assert_eq!(app.subscribe("often@example.org", "").await.status(), 200);
    }
    app.mails(1).await;
    app.clock.advance(Span::minutes(9));
    app.subscribe("often@example.org", "").await;
    app.mails(1).await;
    app.clock.advance(Span::minutes(1));
    app.subscribe("Often@Example.org", "").await;
    let mails = app.mails(2).await;
    // Only the newest mail's link works.
    assert_eq!(
        app.confirm(&app.confirm_path(&mails[0])).await.status(),
        410
    );
    assert_eq!(
        app.subscriber("often@example.org").unwrap().status,
        Status::Pending
    );
    assert_eq!(
        app.confirm(&app.confirm_path(&mails[1])).await.status(),
        200
    );
    assert_eq!(app.all_subscribers().len(), 1);
}

#[tokio::test]
async fn an_unsubscribed_address_that_subscribes_again_stays_unsubscribed_until_the_new_link_is_followed()
 {
    let app = spawn_app().await;
    app.subscribe("back@example.org", "").await;
    let first = app.mails(1).await.remove(0);
    app.confirm(&app.confirm_path(&first)).await;
    let id = app.subscriber("back@example.org").unwrap().id;
    let token = app.tokens.sign(Purpose::Unsubscribe, id, app.clock.now());
    app.post_form(&format!("/unsubscribe/{token}"), &[]).await;
    assert_eq!(
        app.subscriber("back@example.org").unwrap().status,
        Status::Unsubscribed
    );

    // The old confirm link cannot bring them back.
    let stale = app.confirm(&app.confirm_path(&first)).await;
    assert_eq!(stale.status(), 410);
    assert!(
        stale
            .text()
            .await
            .unwrap()
            .contains("action=\"/subscribe\"")
    );
    assert_eq!(
        app.subscriber("back@example.org").unwrap().status,
        Status::Unsubscribed
    );

    let left_at = app.clock.now();
    app.clock.advance(Span::minutes(11));
    app.subscribe("back@example.org", "").await;
    let back = app.subscriber("back@example.org").unwrap();
    assert_eq!(
        (back.id, back.status, back.unsubscribed_at),
        (id, Status::Unsubscribed, Some(left_at)),
        "a form post alone changes nothing"
    );
    let second = app.mails(2).await.remove(1);
    app.confirm(&app.confirm_path(&second)).await;
    assert_eq!(
        app.subscriber("back@example.org").unwrap().status,
        Status::Confirmed
    );
}

/// An old confirm link of a reader whose mail bounced, or who reported an issue as spam, says which: a reader
/// who wonders why the issues stopped learns it, and nothing changes.
#[tokio::test]
async fn an_old_confirm_link_of_a_bounced_or_complaining_reader_says_why_they_left_and_changes_nothing()
 {
    use weekly_verdicts::store::{BounceKind, BounceReport, ReportSource};
    let app = spawn_app().await;
    for (i, (email, kind, why, status)) in [
        (
            "gone@example.org",
            BounceKind::Hard,
            "bounced",
            Status::Bounced,
        ),
        (
            "spam@example.org",
            BounceKind::Complaint,
            "reported as spam",
            Status::Complained,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        app.subscribe(email, "").await;
        let mail = app.mails(i + 1).await.remove(i);
        app.confirm(&app.confirm_path(&mail)).await;
        let id = app.subscriber(email).unwrap().id;
        app.store()
            .record_bounce_report(
                &BounceReport {
                    subscriber_id: id,
                    issue_id: None,
                    kind,
                    reason: "5.1.1 user unknown".into(),
                    source: ReportSource::Dsn,
                },
                3,
                app.clock.now(),
            )
            .unwrap();
        assert_eq!(app.subscriber(email).unwrap().status, status);

        let page = app.confirm(&app.confirm_path(&mail)).await;
        assert_eq!(page.status(), 410);
        let body = page.text().await.unwrap();
        assert!(body.contains(why), "{email}: {body}");
        assert!(!body.contains("was unsubscribed"), "{email}: {body}");
        assert_eq!(app.subscriber(email).unwrap().status, status, "{email}");
    }
}

#[tokio::test]
async fn a_confirm_link_expires_after_seven_days_with_a_page_offering_a_new_one() {
    let app = spawn_app().await;
    app.subscribe("slow@example.org", "").await;
    let mail = app.mails(1).await.remove(0);
    app.clock.advance(Span::days(7));
    let page = app.confirm(&app.confirm_path(&mail)).await;
    assert_eq!(page.status(), 410);
    let body = page.text().await.unwrap();
    assert!(body.contains("expired"), "{body}");
    assert!(body.contains("action=\"/subscribe\""), "{body}");
    assert_eq!(
        app.subscriber("slow@example.org").unwrap().status,
        Status::Pending
    );
    // Asking again sends a fresh link that works.
    app.subscribe("slow@example.org", "").await;
    let fresh = app.mails(2).await.remove(1);
    assert_eq!(app.confirm(&app.confirm_path(&fresh)).await.status(), 200);
}

#[tokio::test]
async fn a_filled_in_honeypot_gets_the_normal_answer_and_nothing_is_stored_or_sent() {
    let app = spawn_app().await;
    let person = app.subscribe("person@example.org", "").await;
    let (status, body) = (person.status(), person.text().await.unwrap());
    let bot = app
        .post_form(
            "/subscribe",
            &[
                ("email", "bot@example.org"),
                ("website", "http://spam.example"),
            ],
        )
        .await;
    assert_eq!((bot.status(), bot.text().await.unwrap()), (status, body));
    let json_bot = app
        .post_json(
            "/subscribe",
            &serde_json::json!({ "email": "bot2@example.org", "website": "x" }),
        )
        .await;
    assert_eq!(json_bot.status(), 202);
    assert!(app.subscriber("bot@example.org").is_none());
    assert!(app.subscriber("bot2@example.org").is_none());
    app.mails(1).await;
}

#[tokio::test]
async fn a_form_posted_from_the_publication_site_redirects_to_the_thank_you_url() {
    let app = spawn_app_with(|config| {
        config.thank_you_url = Some("https://pub.example.org/thanks/".into());
    })
    .await;
    let from_publication = app
        .client
        .post(app.url("/subscribe"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Origin", "https://pub.example.org")
        .body("email=reader%40example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(from_publication.status(), 303);
    assert_eq!(
        from_publication.headers()["location"],
        "https://pub.example.org/thanks/"
    );
    assert!(app.subscriber("reader@example.org").is_some());

    // Referer is enough when a browser sends no Origin.
    let by_referer = app
        .client
        .post(app.url("/subscribe"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Referer", "https://pub.example.org/some/article")
        .body("email=second%40example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(by_referer.status(), 303);

    // From anywhere else (or this server's own page): the page.
    for origin in ["https://elsewhere.example", app.address.as_str()] {
        let other = app
            .client
            .post(app.url("/subscribe"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Origin", origin)
            .body("email=third%40example.org")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 200, "{origin}");
    }
}

#[tokio::test]
async fn fifty_concurrent_subscribes_of_one_address_leave_one_row_and_one_mail() {
    let app = spawn_app().await;
    let mut requests = Vec::new();
    for i in 0..50 {
        let client = app.client.clone();
        let url = app.url("/subscribe");
        // Same address, different spellings of its case.
        let email = if i % 2 == 0 {
            "crowd@example.org"
        } else {
            "Crowd@EXAMPLE.org"
        };
        requests.push(tokio::spawn(async move {
            client
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(format!("email={}", email.replace('@', "%40")))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for request in requests {
        assert_eq!(request.await.unwrap(), 200);
    }
    assert_eq!(app.all_subscribers().len(), 1);
    app.mails(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.smtp.messages().len(), 1);
}

#[tokio::test]
async fn posts_over_the_rate_limit_get_429_with_retry_after_until_the_bucket_refills() {
    let app = spawn_app_with(|config| config.post_rate_limit_per_minute = 2).await;
    assert_eq!(app.subscribe("one@example.org", "").await.status(), 200);
    assert_eq!(
        app.post_form("/unsubscribe/not-a-token", &[])
            .await
            .status(),
        400
    );
    let limited = app.subscribe("three@example.org", "").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "30");
    assert!(app.subscriber("three@example.org").is_none());
    // GETs are not limited.
    assert_eq!(app.get("/").await.status(), 200);
    app.clock.advance(Span::seconds(30));
    assert_eq!(app.subscribe("three@example.org", "").await.status(), 200);
}

#[tokio::test]
async fn every_page_carries_the_security_headers_and_allows_no_script() {
    let app = spawn_app_with(|config| config.post_rate_limit_per_minute = 1).await;
    app.subscribe("first@example.org", "").await;
    let responses = [
        app.get("/").await,
        app.get("/no/such/page").await,
        app.get("/unsubscribe").await,
        app.subscribe("limited@example.org", "").await,
    ];
    for response in responses {
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("script-src"), "{csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["x-frame-options"], "DENY");
    }
}

#[tokio::test]
async fn the_subscribe_page_works_without_javascript_and_fits_a_phone() {
    let app = spawn_app().await;
    let page = app.get("/").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = page.text().await.unwrap();
    assert!(!body.contains("<script"));
    assert!(
        body.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    );
    assert!(body.contains("<form method=\"post\" action=\"/subscribe\""));
    assert!(body.contains("type=\"email\""));
}

#[tokio::test]
async fn unsubscribe_without_a_token_explains_where_the_link_is_and_healthz_answers() {
    let app = spawn_app().await;
    let page = app.get("/unsubscribe").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("from any issue"));
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
}
