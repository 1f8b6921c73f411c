//! `POST /webhooks/postmark` and `/webhooks/mailgun` over the real server: genuine credentials and signatures are
//! taken and change the reader as the report says; a wrong password, a bad, stale or replayed signature gets 401
//! and changes nothing; malformed bodies get 400 naming the problem; an address not on the list is ignored; a
//! route whose secret is unset is a 404. The store's side on SQLite and PostgreSQL.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;
use weekly_verdicts::content::Categories;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{Database, Source, Status};

use crate::support::app::{TestApp, spawn_app_with_secrets};
use crate::support::postgres::fresh_database;

pub const POSTMARK_PASSWORD: &str = "postmark-webhook-password-0123";
pub const MAILGUN_KEY: &str = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";

/// A server with the Postmark and Mailgun webhooks on (and `database`, if given).
pub async fn app_with_hooks(database: Option<Database>) -> TestApp {
    spawn_app_with_secrets(
        |config| {
            if let Some(database) = database {
                config.database = database;
            }
        },
        |secrets| {
            secrets.postmark_webhook_password = Some(POSTMARK_PASSWORD.into());
            secrets.mailgun_signing_key = Some(MAILGUN_KEY.into());
        },
    )
    .await
}

/// Puts `email` on the list, confirmed; returns its id.
pub fn add_reader(app: &TestApp, email: &str) -> u64 {
    let email = SubscriberEmail::parse(email).unwrap();
    app.store()
        .add(
            &email,
            None,
            &Categories::everything(),
            Status::Confirmed,
            Source::Cli,
            app.clock.now(),
        )
        .unwrap()
}

/// Every subscriber's address and status, and every consent entry: what must not change after a refusal.
pub fn everything(app: &TestApp) -> (Vec<(String, Status)>, Vec<String>) {
    let store = app.store();
    let subscribers: Vec<(String, Status)> = store
        .list(None)
        .unwrap()
        .into_iter()
        .map(|s| (s.email, s.status))
        .collect();
    let history = subscribers
        .iter()
        .flat_map(|(email, _)| {
            store
                .consent_history(&SubscriberEmail::parse(email).unwrap())
                .unwrap()
        })
        .map(|record| format!("{} {:?}", record.event, record.detail))
        .collect();
    (subscribers, history)
}

pub fn postmark_bounce(kind: &str, email: &str) -> serde_json::Value {
    json!({
        "RecordType": if kind == "SpamComplaint" { "SpamComplaint" } else { "Bounce" },
        "ID": 4_323_372_036_854_775_807_u64, "Type": kind, "TypeCode": 1, "Name": kind, "Tag": "",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "ServerID": 23, "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist",
        "Email": email, "From": "digest@verdicts.example.org", "BouncedAt": "2026-11-23T09:00:05Z",
        "DumpAvailable": false, "Inactive": true, "CanActivate": true, "Subject": "This week's verdicts",
        "Metadata": {}
    })
}

pub async fn post_postmark(
    app: &TestApp,
    password: Option<&str>,
    body: &serde_json::Value,
) -> reqwest::Response {
    let request = app.client.post(app.url("/webhooks/postmark")).json(body);
    let request = match password {
        Some(password) => request.basic_auth("postmark", Some(password)),
        None => request,
    };
    request.send().await.unwrap()
}

/// A Mailgun webhook body signed with `key` at `timestamp` with `token`, as Mailgun signs it.
pub fn mailgun_body(
    key: &str,
    timestamp: i64,
    token: &str,
    event_data: serde_json::Value,
) -> serde_json::Value {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("{timestamp}{token}").as_bytes());
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json!({
        "signature": {"timestamp": timestamp.to_string(), "token": token, "signature": signature},
        "event-data": event_data
    })
}

pub fn mailgun_failed(severity: &str, email: &str) -> serde_json::Value {
    json!({
        "event": "failed", "severity": severity, "reason": if severity == "permanent" { "bounce" } else { "generic" },
        "recipient": email, "timestamp": 1_795_000_000.5_f64, "id": "G9Bn5sl1TC6nu79C8C0bwg", "log-level": "error",
        "delivery-status": {"attempt-no": 1, "code": 550, "enhanced-code": "5.1.1", "description": "",
            "message": "550 5.1.1 The email account that you tried to reach does not exist."},
        "message": {"headers": {"to": email, "from": "digest@verdicts.example.org", "subject": "This week",
            "message-id": "2026-W47.1.1a2b3c4d@verdicts.example.org"}}
    })
}

pub async fn post_json(app: &TestApp, path: &str, body: &serde_json::Value) -> (u16, String) {
    let response = app.post_json(path, body).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn webhooks_whose_secret_is_unset_are_not_found_whatever_the_method() {
    let app = crate::support::app::spawn_app().await;
    for path in ["/webhooks/postmark", "/webhooks/mailgun", "/webhooks/ses"] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
        let (status, _) = post_json(&app, path, &json!({})).await;
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn postmark_without_the_right_basic_auth_gets_401_and_nothing_changes() {
    let app = app_with_hooks(None).await;
    add_reader(&app, "ann@example.org");
    let before = everything(&app);
    let body = postmark_bounce("HardBounce", "ann@example.org");
    for password in [None, Some("wrong"), Some("")] {
        let response = post_postmark(&app, password, &body).await;
        assert_eq!(response.status(), 401, "{password:?}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
    }
    let other_user = app
        .client
        .post(app.url("/webhooks/postmark"))
        .basic_auth("someone", Some(POSTMARK_PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(other_user.status(), 401);
    assert_eq!(everything(&app), before);
    assert_eq!(app.get("/webhooks/postmark").await.status(), 405);
}

#[tokio::test]
async fn a_malformed_postmark_body_gets_400_naming_the_problem_and_an_unknown_address_is_ignored() {
    let app = app_with_hooks(None).await;
    add_reader(&app, "ann@example.org");
    let before = everything(&app);
    let response = app
        .client
        .post(app.url("/webhooks/postmark"))
        .basic_auth("postmark", Some(POSTMARK_PASSWORD))
        .body("{\"RecordType\": \"Bounce\", \"Type\": \"HardBounce\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(text.contains("Email"), "{text}");

    let unknown = postmark_bounce("HardBounce", "nobody@example.org");
    let response = post_postmark(&app, Some(POSTMARK_PASSWORD), &unknown).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("not on the list 1"));
    let auto_reply = postmark_bounce("AutoResponder", "ann@example.org");
    let response = post_postmark(&app, Some(POSTMARK_PASSWORD), &auto_reply).await;
    assert_eq!(response.status(), 200);
    assert_eq!(everything(&app), before);
}

#[tokio::test]
async fn mailgun_with_a_bad_stale_or_replayed_signature_gets_401_and_nothing_changes() {
    let app = app_with_hooks(None).await;
    add_reader(&app, "ann@example.org");
    let before = everything(&app);
    let now = app.clock.now().timestamp();
    let event = mailgun_failed("permanent", "ann@example.org");
    let token = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0";

    let wrong_key = mailgun_body("key-wrong", now, token, event.clone());
    let stale = mailgun_body(MAILGUN_KEY, now - 301, token, event.clone());
    let future = mailgun_body(MAILGUN_KEY, now + 600, token, event.clone());
    let mut tampered = mailgun_body(MAILGUN_KEY, now, token, event.clone());
    tampered["signature"]["token"] = json!("b8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0");
    for (what, body) in [
        ("wrong key", wrong_key),
        ("stale", stale),
        ("future", future),
        ("tampered", tampered),
    ] {
        let (status, text) = post_json(&app, "/webhooks/mailgun", &body).await;
        assert_eq!(status, 401, "{what}: {text}");
    }
    assert_eq!(everything(&app), before);

    // A genuine event about someone not on the list is taken once; the same signature again is a replay.
    let genuine = mailgun_body(
        MAILGUN_KEY,
        now,
        token,
        mailgun_failed("permanent", "nobody@example.org"),
    );
    let (status, text) = post_json(&app, "/webhooks/mailgun", &genuine).await;
    assert_eq!(
        (status, text.as_str()),
        (200, "recorded 0 [], not on the list 1\n")
    );
    let (status, text) = post_json(&app, "/webhooks/mailgun", &genuine).await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("replay"), "{text}");
    assert_eq!(everything(&app), before);
}

#[tokio::test]
async fn a_malformed_mailgun_body_gets_400_naming_the_problem() {
    let app = app_with_hooks(None).await;
    let response = app
        .client
        .post(app.url("/webhooks/mailgun"))
        .header("content-type", "application/json")
        .body("{\"signature\": {\"timestamp\": \"1\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("not valid"));
    let now = app.clock.now().timestamp();
    let no_recipient = mailgun_body(MAILGUN_KEY, now, "token-1", json!({"event": "failed"}));
    let (status, text) = post_json(&app, "/webhooks/mailgun", &no_recipient).await;
    assert_eq!(status, 400);
    assert!(text.contains("recipient"), "{text}");
}

#[tokio::test]
async fn a_webhook_body_may_be_larger_than_a_form_but_is_still_bounded() {
    let app = app_with_hooks(None).await;
    let mut big = postmark_bounce("HardBounce", "nobody@example.org");
    big["Content"] = json!("x".repeat(100 * 1024));
    let response = post_postmark(&app, Some(POSTMARK_PASSWORD), &big).await;
    assert_eq!(response.status(), 200);
    big["Content"] = json!("x".repeat(300 * 1024));
    let response = post_postmark(&app, Some(POSTMARK_PASSWORD), &big).await;
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn on_postgresql_a_refused_postmark_request_changes_nothing() {
    let Some(database) = fresh_database("on_postgresql_a_refused_postmark_request_changes_nothing")
    else {
        return;
    };
    let app = app_with_hooks(Some(database)).await;
    add_reader(&app, "ann@example.org");
    let before = everything(&app);
    let body = postmark_bounce("HardBounce", "ann@example.org");
    assert_eq!(
        post_postmark(&app, Some("wrong"), &body).await.status(),
        401
    );
    assert_eq!(everything(&app), before);
}

#[tokio::test]
async fn the_webhooks_are_not_held_to_the_per_client_post_limit() {
    let app = spawn_app_with_secrets(
        |config| config.post_rate_limit_per_minute = 1,
        |secrets| secrets.postmark_webhook_password = Some(POSTMARK_PASSWORD.into()),
    )
    .await;
    let body = postmark_bounce("HardBounce", "nobody@example.org");
    for _ in 0..3 {
        let response = post_postmark(&app, Some(POSTMARK_PASSWORD), &body).await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(app.subscribe("ann@example.org", "Ann").await.status(), 200);
    assert_eq!(app.subscribe("bob@example.org", "Bob").await.status(), 429);
}
