//! What a genuine Postmark or Mailgun report does to the reader, through the real server and on SQLite and
//! PostgreSQL: a hard bounce marks them bounced, a soft one is counted against the issue our Message-ID names, a
//! complaint unsubscribes them as `complained`; a retried report changes nothing more.

use chrono::Duration;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{Database, IssueComparison, IssueCreated, NewIssue, Status};

use crate::support::app::TestApp;
use crate::support::postgres::fresh_database;
use crate::web_webhooks::{
    MAILGUN_KEY, POSTMARK_PASSWORD, add_reader, app_with_hooks, mailgun_body, mailgun_failed,
    post_json, post_postmark, postmark_bounce,
};

/// Creates issue `key` for everyone confirmed now; its id.
pub fn issue(app: &TestApp, key: &str) -> i64 {
    let now = app.clock.now();
    let new = NewIssue {
        key: key.into(),
        window_start: now - Duration::days(7),
        window_end: now,
        subject: format!("{key} subject"),
        preheader: "pre".into(),
        html: "<p>html</p>".into(),
        text: "text".into(),
        comparisons: vec![IssueComparison {
            slug: "a".into(),
            title: "A".into(),
        }],
    };
    match app.store().create_issue(&new, now).unwrap() {
        IssueCreated::Created { issue, .. } => issue.id,
        other => panic!("issue {key} not created: {other:?}"),
    }
}

/// The Message-ID our digest gives `subscriber` in issue `key` (see `digest/message.rs`).
pub fn our_message_id(key: &str, subscriber: u64) -> String {
    format!("{key}.{subscriber}.1a2b3c4d@verdicts.example.org")
}

fn status(app: &TestApp, email: &str) -> Status {
    app.subscriber(email).unwrap().status
}

fn history(app: &TestApp, email: &str) -> Vec<String> {
    app.store()
        .consent_history(&SubscriberEmail::parse(email).unwrap())
        .unwrap()
        .into_iter()
        .map(|r| format!("{} {}", r.event, r.detail.unwrap_or_default()))
        .collect()
}

async fn postmark_reports(database: Option<Database>) {
    let app = app_with_hooks(database).await;
    add_reader(&app, "hard@example.org");
    add_reader(&app, "soft@example.org");
    add_reader(&app, "spam@example.org");

    let hard = postmark_bounce("HardBounce", "hard@example.org");
    let response = post_postmark(&app, Some(POSTMARK_PASSWORD), &hard).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        "recorded 1 [Bounced], not on the list 0\n"
    );
    assert_eq!(status(&app, "hard@example.org"), Status::Bounced);
    let entry = history(&app, "hard@example.org").pop().unwrap();
    assert!(
        entry.contains("Postmark HardBounce: smtp;550 5.1.1"),
        "{entry}"
    );
    // Postmark retries a delivery it is unsure of: the same report again changes nothing.
    let again = post_postmark(&app, Some(POSTMARK_PASSWORD), &hard).await;
    assert_eq!(again.status(), 200);
    assert_eq!(status(&app, "hard@example.org"), Status::Bounced);

    let soft = postmark_bounce("SoftBounce", "soft@example.org");
    let response = post_postmark(&app, Some(POSTMARK_PASSWORD), &soft).await;
    assert_eq!(response.status(), 200);
    assert_eq!(status(&app, "soft@example.org"), Status::Confirmed);

    let complaint = postmark_bounce("SpamComplaint", "spam@example.org");
    let response = post_postmark(&app, Some(POSTMARK_PASSWORD), &complaint).await;
    assert_eq!(
        response.text().await.unwrap(),
        "recorded 1 [Complained], not on the list 0\n"
    );
    assert_eq!(status(&app, "spam@example.org"), Status::Complained);
}

#[tokio::test]
async fn postmark_hard_bounces_bounce_soft_ones_do_not_and_complaints_unsubscribe_as_complained() {
    postmark_reports(None).await;
}

#[tokio::test]
async fn on_postgresql_postmark_reports_change_the_reader_as_on_sqlite() {
    let Some(database) = fresh_database("on_postgresql_postmark_reports_change_the_reader") else {
        return;
    };
    postmark_reports(Some(database)).await;
}

async fn mailgun_reports(database: Option<Database>) {
    let app = app_with_hooks(database).await;
    let hard = add_reader(&app, "hard@example.org");
    let soft = add_reader(&app, "soft@example.org");
    add_reader(&app, "spam@example.org");
    issue(&app, "2026-W47");
    let now = app.clock.now().timestamp();

    let mut event = mailgun_failed("permanent", "hard@example.org");
    event["message"]["headers"]["message-id"] = our_message_id("2026-W47", hard).into();
    let (code, text) = post_json(
        &app,
        "/webhooks/mailgun",
        &mailgun_body(MAILGUN_KEY, now, "token-hard-0001", event),
    )
    .await;
    assert_eq!(
        (code, text.as_str()),
        (200, "recorded 1 [Bounced], not on the list 0\n")
    );
    assert_eq!(status(&app, "hard@example.org"), Status::Bounced);
    let entry = history(&app, "hard@example.org").pop().unwrap();
    assert!(entry.contains("issue 2026-W47"), "{entry}");

    // A temporary failure counts once for the issue its Message-ID names, however often Mailgun reports it.
    for token in ["token-soft-0001", "token-soft-0002"] {
        let mut event = mailgun_failed("temporary", "soft@example.org");
        event["message"]["headers"]["message-id"] = our_message_id("2026-W47", soft).into();
        let (code, _) = post_json(
            &app,
            "/webhooks/mailgun",
            &mailgun_body(MAILGUN_KEY, now, token, event),
        )
        .await;
        assert_eq!(code, 200);
    }
    assert_eq!(status(&app, "soft@example.org"), Status::Confirmed);
    let counted: Vec<String> = history(&app, "soft@example.org")
        .into_iter()
        .filter(|entry| entry.contains("soft bounce"))
        .collect();
    assert_eq!(counted.len(), 1, "{counted:?}");
    assert!(counted[0].contains("soft bounce 1 of 3"), "{counted:?}");
    assert!(counted[0].contains("issue 2026-W47"), "{counted:?}");

    let complained = serde_json::json!({"event": "complained", "recipient": "spam@example.org",
        "timestamp": 1_795_000_000.0_f64, "id": "-Agny091SquKnsrW2NEKUA"});
    let (code, text) = post_json(
        &app,
        "/webhooks/mailgun",
        &mailgun_body(MAILGUN_KEY, now, "token-spam-0001", complained),
    )
    .await;
    assert_eq!(
        (code, text.as_str()),
        (200, "recorded 1 [Complained], not on the list 0\n")
    );
    assert_eq!(status(&app, "spam@example.org"), Status::Complained);
}

#[tokio::test]
async fn mailgun_failures_and_complaints_change_the_reader_and_name_the_issue_of_our_message_id() {
    mailgun_reports(None).await;
}

#[tokio::test]
async fn on_postgresql_mailgun_reports_change_the_reader_as_on_sqlite() {
    let Some(database) = fresh_database("on_postgresql_mailgun_reports_change_the_reader") else {
        return;
    };
    mailgun_reports(Some(database)).await;
}

#[tokio::test]
async fn a_message_id_naming_another_reader_does_not_tie_the_report_to_an_issue() {
    let app = app_with_hooks(None).await;
    add_reader(&app, "ann@example.org");
    let bob = add_reader(&app, "bob@example.org");
    issue(&app, "2026-W47");
    let mut event = mailgun_failed("permanent", "ann@example.org");
    event["message"]["headers"]["message-id"] = our_message_id("2026-W47", bob).into();
    let now = app.clock.now().timestamp();
    let (code, _) = post_json(
        &app,
        "/webhooks/mailgun",
        &mailgun_body(MAILGUN_KEY, now, "token-other-0001", event),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(status(&app, "ann@example.org"), Status::Bounced);
    assert_eq!(status(&app, "bob@example.org"), Status::Confirmed);
    let entry = history(&app, "ann@example.org").pop().unwrap();
    assert!(!entry.contains("issue 2026-W47"), "{entry}");
}

#[tokio::test]
async fn the_soft_bounce_limit_setting_applies_to_webhook_reports() {
    let app = crate::support::app::spawn_app_with_secrets(
        |config| config.soft_bounce_limit = 1,
        |secrets| secrets.mailgun_signing_key = Some(MAILGUN_KEY.into()),
    )
    .await;
    let ann = add_reader(&app, "ann@example.org");
    issue(&app, "2026-W47");
    let mut event = mailgun_failed("temporary", "ann@example.org");
    event["message"]["headers"]["message-id"] = our_message_id("2026-W47", ann).into();
    let now = app.clock.now().timestamp();
    let (code, text) = post_json(
        &app,
        "/webhooks/mailgun",
        &mailgun_body(MAILGUN_KEY, now, "token-limit-0001", event),
    )
    .await;
    assert_eq!(
        (code, text.as_str()),
        (200, "recorded 1 [Bounced], not on the list 0\n")
    );
    assert_eq!(status(&app, "ann@example.org"), Status::Bounced);
}
