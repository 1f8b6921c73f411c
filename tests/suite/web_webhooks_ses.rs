//! `POST /webhooks/ses` over the real server, with SNS messages signed by `openssl` (`support/sns.rs`): SES bounces and complaints change the reader (signature versions 1 and 2, SQLite
//! and PostgreSQL); a wrong key, a tampered message, a foreign certificate URL, an unknown signature version or a
//! certificate not valid at the server's clock get 401 and change nothing; another topic gets 403; a subscription
//! confirmation is logged and never fetched.

use std::path::Path;
use std::process::Command;

use serde_json::json;
use weekly_verdicts::config::{Secrets, TopicArns};
use weekly_verdicts::store::{Database, Status};
use weekly_verdicts::web::{AppState, Clock};

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::postgres::fresh_database;
use crate::support::sns::{Signer, TOPIC, ses_bounce, ses_complaint};
use crate::web_webhooks::{add_reader, everything, post_json};
use crate::web_webhooks_effects::{issue, our_message_id};

/// A server taking SNS messages for [`TOPIC`] signed with `signer`'s certificate, its clock moved to now (when
/// the certificate `openssl` just made is valid).
async fn app_with_ses(signer: &Signer, database: Option<Database>) -> TestApp {
    let app = app_with_ses_at_start(signer, database).await;
    let behind = weekly_verdicts::clock::now() - app.clock.now();
    app.clock.advance(behind.max(chrono::Duration::zero()));
    app
}

/// Like [`app_with_ses`], with the clock left at the suite's start, before the certificate was made.
async fn app_with_ses_at_start(signer: &Signer, database: Option<Database>) -> TestApp {
    let certificate = signer.certificate();
    spawn_app_with(move |config| {
        config.ses_certificate_file = Some(certificate);
        config.ses_topic_arns = TopicArns::parse([TOPIC]).unwrap();
        if let Some(database) = database {
            config.database = database;
        }
    })
    .await
}

async fn ses_reports(database: Option<Database>) {
    let signer = Signer::new();
    let app = app_with_ses(&signer, database).await;
    let hard = add_reader(&app, "hard@example.org");
    let soft = add_reader(&app, "soft@example.org");
    add_reader(&app, "spam@example.org");
    issue(&app, "2026-W47");

    let bounce = ses_bounce(
        "Permanent",
        "hard@example.org",
        &our_message_id("2026-W47", hard),
    );
    let (code, text) = post_json(&app, "/webhooks/ses", &signer.notification(&bounce, "1")).await;
    assert_eq!(
        (code, text.as_str()),
        (200, "recorded 1 [Bounced], not on the list 0\n")
    );
    assert_eq!(
        app.subscriber("hard@example.org").unwrap().status,
        Status::Bounced
    );

    let transient = ses_bounce(
        "Transient",
        "soft@example.org",
        &our_message_id("2026-W47", soft),
    );
    let (code, text) =
        post_json(&app, "/webhooks/ses", &signer.notification(&transient, "2")).await;
    assert_eq!(
        (code, text.as_str()),
        (200, "recorded 1 [SoftCounted(1)], not on the list 0\n")
    );
    assert_eq!(
        app.subscriber("soft@example.org").unwrap().status,
        Status::Confirmed
    );

    let complaint = ses_complaint("spam@example.org");
    let (code, text) =
        post_json(&app, "/webhooks/ses", &signer.notification(&complaint, "2")).await;
    assert_eq!(
        (code, text.as_str()),
        (200, "recorded 1 [Complained], not on the list 0\n")
    );
    assert_eq!(
        app.subscriber("spam@example.org").unwrap().status,
        Status::Complained
    );

    let stranger = ses_bounce("Permanent", "nobody@example.org", "x@y.example");
    let (code, text) = post_json(&app, "/webhooks/ses", &signer.notification(&stranger, "2")).await;
    assert_eq!(
        (code, text.as_str()),
        (200, "recorded 0 [], not on the list 1\n")
    );
}

#[tokio::test]
async fn ses_bounces_and_complaints_signed_with_the_configured_certificate_change_the_reader() {
    ses_reports(None).await;
}

#[tokio::test]
async fn on_postgresql_ses_reports_change_the_reader_as_on_sqlite() {
    let Some(database) = fresh_database("on_postgresql_ses_reports_change_the_reader") else {
        return;
    };
    ses_reports(Some(database)).await;
}

#[tokio::test]
async fn an_sns_message_that_does_not_verify_gets_401_and_changes_nothing() {
    let signer = Signer::new();
    let app = app_with_ses(&signer, None).await;
    add_reader(&app, "ann@example.org");
    let before = everything(&app);
    let bounce = ses_bounce("Permanent", "ann@example.org", "x@y.example");

    let other_key = signer.notification_with(&bounce, "2", "other.key");
    let mut tampered = signer.notification(&bounce, "1");
    tampered["Message"] =
        json!(ses_bounce("Permanent", "bob@example.org", "x@y.example").to_string());
    let mut foreign_url = signer.notification(&bounce, "2");
    foreign_url["SigningCertURL"] = json!("https://evil.example/SimpleNotificationService-x.pem");
    let mut version_3 = signer.notification(&bounce, "2");
    version_3["SignatureVersion"] = json!("3");
    let mut not_base64 = signer.notification(&bounce, "2");
    not_base64["Signature"] = json!("%%%");
    for (what, message) in [
        ("another key", other_key),
        ("tampered", tampered),
        ("foreign certificate URL", foreign_url),
        ("version 3", version_3),
        ("not base64", not_base64),
    ] {
        let (code, text) = post_json(&app, "/webhooks/ses", &message).await;
        assert_eq!(code, 401, "{what}: {text}");
    }
    assert_eq!(everything(&app), before);

    let other_topic = {
        let message = bounce.to_string();
        signer.message(
            &[
                ("Message", &message),
                ("MessageId", "1"),
                ("Timestamp", "2026-11-23T09:00:05.123Z"),
                (
                    "TopicArn",
                    "arn:aws:sns:eu-west-1:123456789012:someone-else",
                ),
                ("Type", "Notification"),
            ],
            "2",
            "sns.key",
        )
    };
    let (code, text) = post_json(&app, "/webhooks/ses", &other_topic).await;
    assert_eq!(code, 403, "{text}");
    assert_eq!(everything(&app), before);

    let (code, text) = post_json(&app, "/webhooks/ses", &json!({"Type": "Notification"})).await;
    assert_eq!(code, 400);
    assert!(text.contains("MessageId"), "{text}");
}

#[tokio::test]
async fn a_certificate_not_yet_valid_at_the_servers_clock_verifies_nothing() {
    let signer = Signer::new();
    let app = app_with_ses_at_start(&signer, None).await;
    add_reader(&app, "ann@example.org");
    let before = everything(&app);
    let bounce = ses_bounce("Permanent", "ann@example.org", "x@y.example");
    let (code, text) = post_json(&app, "/webhooks/ses", &signer.notification(&bounce, "2")).await;
    assert_eq!(code, 401);
    assert!(
        text.contains("no configured certificate is valid"),
        "{text}"
    );
    assert_eq!(everything(&app), before);
}

#[tokio::test]
async fn a_subscription_confirmation_is_taken_without_fetching_its_subscribe_url() {
    let signer = Signer::new();
    let app = app_with_ses(&signer, None).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let subscribe_url = format!(
        "http://{}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37",
        listener.local_addr().unwrap()
    );
    let confirmation = signer.message(
        &[
            (
                "Message",
                "You have chosen to subscribe to the topic. To confirm, visit the SubscribeURL.",
            ),
            ("MessageId", "165545c9-2a5c-472c-8df2-7ff2be2b3b1b"),
            ("SubscribeURL", &subscribe_url),
            ("Timestamp", "2026-11-23T09:00:05.123Z"),
            ("Token", "2336412f37"),
            ("TopicArn", TOPIC),
            ("Type", "SubscriptionConfirmation"),
        ],
        "1",
        "sns.key",
    );
    let before = everything(&app);
    let (code, text) = post_json(&app, "/webhooks/ses", &confirmation).await;
    assert_eq!(code, 200, "{text}");
    assert!(text.contains("logged"), "{text}");
    // Any fetch would have connected before the answer.
    assert!(listener.accept().is_err(), "the SubscribeURL was fetched");
    assert_eq!(everything(&app), before);
}

#[test]
fn a_certificate_file_that_cannot_be_read_or_holds_no_certificate_stops_the_server_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("sns.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    for file in [dir.path().join("missing.pem"), not_pem] {
        let Err(error) = state_with_certificate(dir.path(), &file) else {
            panic!("{} was taken", file.display());
        };
        let error = format!("{error:#}");
        assert!(error.contains("ses_certificate_file"), "{error}");
        assert!(error.contains(&file.display().to_string()), "{error}");
    }
}

fn state_with_certificate(dir: &Path, file: &Path) -> anyhow::Result<AppState> {
    let config = weekly_verdicts::config::Config {
        database: Database::Sqlite(dir.join("verdicts.db")),
        outbox_dir: dir.join("outbox"),
        ses_certificate_file: Some(file.to_owned()),
        ..Default::default()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _entered = runtime.enter();
    AppState::from_config(
        config,
        &Secrets::default(),
        Clock::manual(crate::support::app::start_time()),
    )
}

#[test]
fn check_reads_the_ses_certificate_file_and_refuses_one_without_a_certificate() {
    let signer = Signer::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("2026-11-16-alpha-vs-beta.md"),
        include_str!("../fixtures/content/2026-11-16-alpha-vs-beta.md"),
    )
    .unwrap();
    let not_pem = dir.path().join("sns.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let check = |file: &Path| {
        Command::new(env!("CARGO_BIN_EXE_verdicts"))
            .arg("check")
            .current_dir(dir.path())
            .env("VERDICTS_CONTENT_DIR", dir.path())
            .env("VERDICTS_SES_CERTIFICATE_FILE", file)
            .env_remove("VERDICTS_CONFIG")
            .output()
            .unwrap()
    };
    let good = check(&signer.certificate());
    let stdout = String::from_utf8_lossy(&good.stdout);
    assert_eq!(good.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("ok: ses_certificate_file"), "{stdout}");
    let bad = check(&not_pem);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("ses_certificate_file") && stderr.contains("sns.pem"),
        "{stderr}"
    );
}
