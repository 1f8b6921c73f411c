//! The confirmation mail leaves off the request path, through the real server and real SMTP servers: `POST
//! /subscribe` answers while the relay stalls, whatever the address's state, and a mail queued before `kill -9`
//! goes out after the restart.

use std::time::Duration;

use chrono::Duration as Span;
use weekly_verdicts::store::Status;

use crate::support::app::spawn_app;
use crate::support::serve_process::ServeProcess;
use crate::support::smtp::{Rule, Script, SmtpServer, Stage};

#[tokio::test]
async fn subscribe_answers_for_a_new_and_a_confirmed_address_while_the_relay_stalls() {
    let app = spawn_app().await;
    app.subscribe("known@example.org", "").await;
    let mail = app.mails(1).await.remove(0);
    app.confirm(&app.confirm_path(&mail)).await;
    assert_eq!(
        app.subscriber("known@example.org").unwrap().status,
        Status::Confirmed
    );
    // From now on the relay accepts the connection and then says nothing for an hour: any mail work in the
    // handler would hold its answer.
    app.smtp.set_script(
        Script::accept_all().rule(Rule::at(Stage::Ehlo).stall(Duration::from_secs(3600))),
    );
    app.clock.advance(Span::minutes(30));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    for email in ["new@example.org", "known@example.org"] {
        let answer = client
            .post(app.url("/subscribe"))
            .json(&serde_json::json!({ "email": email }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("no answer for {email}: {e}"));
        assert_eq!(answer.status(), 202, "{email}");
    }
    assert_eq!(
        app.subscriber("new@example.org").map(|s| s.status),
        Some(Status::Pending)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confirmation_mail_queued_before_a_kill_9_is_sent_after_the_restart() {
    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("verdicts.db");
    let database_env = database.to_str().unwrap().to_owned();
    let stalling = SmtpServer::start(
        Script::accept_all().rule(Rule::at(Stage::Data).stall(Duration::from_secs(3600))),
    )
    .await;
    let stalling_url = stalling.url();
    let mut first = tokio::task::spawn_blocking(move || {
        ServeProcess::start(
            &[
                ("VERDICTS_DATABASE", &database_env),
                ("VERDICTS_SMTP_URL", &stalling_url),
            ],
            None,
        )
    })
    .await
    .unwrap();
    let answer = reqwest::Client::new()
        .post(format!("http://{}/subscribe", first.addr))
        .json(&serde_json::json!({ "email": "survivor@example.org", "name": "Sam" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    // The mail is on its way: the relay has the recipient and holds the DATA command.
    for _ in 0..500 {
        if stalling
            .commands()
            .iter()
            .any(|(_, c)| c.starts_with("DATA"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        stalling
            .commands()
            .iter()
            .any(|(_, c)| c.starts_with("DATA")),
        "{:?}\n{}",
        stalling.commands(),
        first.log()
    );
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    assert!(stalling.messages().is_empty());

    let relay = SmtpServer::start(Script::accept_all()).await;
    let relay_url = relay.url();
    let database_env = database.to_str().unwrap().to_owned();
    let second = tokio::task::spawn_blocking(move || {
        ServeProcess::start(
            &[
                ("VERDICTS_DATABASE", &database_env),
                ("VERDICTS_SMTP_URL", &relay_url),
            ],
            None,
        )
    })
    .await
    .unwrap();
    let mails = relay.wait_for_messages(1, Duration::from_secs(30)).await;
    assert_eq!(mails.len(), 1, "{}", second.log());
    assert_eq!(mails[0].rcpt_to, ["survivor@example.org"]);
    assert!(mails[0].header("To").unwrap().contains("Sam"));
    // The relay has the mail before `serve` hears the end of the session and records it: wait for the record.
    let queued = || -> i64 {
        rusqlite::Connection::open(&database)
            .unwrap()
            .query_row("SELECT count(*) FROM confirmation_mails", [], |row| {
                row.get(0)
            })
            .unwrap()
    };
    for _ in 0..500 {
        if queued() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(queued(), 0, "the sent mail is off the queue");
    drop(second);
}
