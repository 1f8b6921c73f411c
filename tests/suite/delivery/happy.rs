//! Delivery when all goes well: one message per subscriber with their own link, resumable weeks, the outbox.

use std::collections::HashMap;
use std::time::Duration;
use weekly_verdicts::content::Categories;

use weekly_verdicts::config::Secrets;
use weekly_verdicts::delivery::{RunEnd, SendReport, StopSignal};
use weekly_verdicts::exit::ExitStatus;
use weekly_verdicts::store::Status;
use weekly_verdicts::tokens::{Purpose, Tokens};

use super::{Fixture, KEY, address, assert_all_final, ran};
use crate::support::smtp::{Received, Script, SmtpServer};

const N: usize = 40;

/// The token in `List-Unsubscribe: <https://…/unsubscribe/TOKEN>, <mailto:…>`.
fn unsubscribe_token(message: &Received) -> String {
    let header = message
        .header("List-Unsubscribe")
        .expect("List-Unsubscribe");
    let url = header.split(['<', '>']).nth(1).unwrap();
    url.rsplit('/').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_confirmed_subscriber_gets_exactly_one_message_with_their_own_unsubscribe_link() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[("VERDICTS_CONCURRENCY", "4")]);
    fixture.seed(N);
    let mut store = fixture.store();
    let pending = store
        .add(
            &weekly_verdicts::email_address::SubscriberEmail::parse("not-yet@example.org").unwrap(),
            None,
            &Categories::everything(),
            Status::Pending,
            weekly_verdicts::store::Source::Cli,
            super::as_of(),
        )
        .unwrap();

    let report = fixture.send(fixture.options()).await;

    let summary = ran(&report);
    assert_eq!(summary.end, RunEnd::Complete);
    assert_eq!(summary.created, Some(N as u64));
    assert_eq!(summary.this_run.sent, N as u64);
    assert_eq!(report.exit_status(), ExitStatus::Success);
    let messages = server.messages();
    assert_eq!(messages.len(), N, "one message each");
    let tokens = Tokens::load(&Secrets::default(), &mut store).unwrap();
    let mut by_recipient: HashMap<String, &Received> = HashMap::new();
    for message in &messages {
        assert_eq!(message.rcpt_to.len(), 1);
        assert_eq!(message.mail_from, "digest@verdicts.example.org");
        let to = message.rcpt_to[0].clone();
        assert!(by_recipient.insert(to, message).is_none(), "a duplicate");
    }
    for i in 0..N {
        let message = by_recipient[&address(i)];
        let subscriber = store
            .find_by_email(
                &weekly_verdicts::email_address::SubscriberEmail::parse(&address(i)).unwrap(),
            )
            .unwrap()
            .unwrap();
        let token = unsubscribe_token(message);
        assert_eq!(
            tokens.verify(Purpose::Unsubscribe, &token, super::as_of()),
            Ok(subscriber.id),
            "{}'s link unsubscribes them",
            address(i)
        );
        assert_ne!(subscriber.id, pending);
        assert_eq!(message.header("X-Verdicts-Issue").as_deref(), Some(KEY));
        assert!(
            message
                .header("Subject")
                .is_some_and(|s| s.contains("new verdicts")),
            "{:?}",
            message.header("Subject")
        );
        let text = message.raw_text();
        assert!(text.contains("Perplexity"), "the issue's content");
        assert!(text.contains(&token), "the link is in the body too");
    }
    assert_all_final(&fixture, N);
    assert!(
        server.connections() <= 4,
        "each worker reuses its connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_again_the_same_week_sends_nothing_and_says_delivered() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(5);
    fixture.send(fixture.options()).await;

    let again = fixture.send(fixture.options()).await;

    match again {
        SendReport::AlreadyDelivered { key, counts } => {
            assert_eq!(key, KEY);
            assert_eq!(counts.sent, 5);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.messages().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_with_nothing_new_creates_nothing_and_says_so() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(3);
    let report = super::send_job(
        &fixture.config,
        &Secrets::default(),
        weekly_verdicts::commands::parse_as_of("2026-12-20", chrono_tz::UTC).unwrap(),
        fixture.options(),
    )
    .await
    .unwrap();
    match report {
        SendReport::NothingNew { message, .. } => {
            assert!(message.contains("nothing new"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(fixture.store().delivery_counts().unwrap().is_empty());
    assert_eq!(server.connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_relay_each_subscriber_gets_one_eml_file_in_the_outbox() {
    let fixture = Fixture::new(None, &[]);
    fixture.seed(7);
    let report = fixture.send(fixture.options()).await;
    assert_eq!(ran(&report).end, RunEnd::Complete);
    let files: Vec<_> = std::fs::read_dir(&fixture.config.outbox_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), 7, "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| f.starts_with(KEY) && f.ends_with(".eml"))
    );
    let rows = assert_all_final(&fixture, 7);
    assert!(rows.iter().all(|r| r.state == "sent"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_who_leaves_after_the_issue_is_created_is_skipped_and_status_shows_it() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(4);
    // Stopped before it starts: the issue and its ledger are created, nothing is sent.
    let (handle, stop) = StopSignal::new();
    handle.stop();
    let report = fixture
        .send(weekly_verdicts::delivery::SendOptions {
            stop,
            ..fixture.options()
        })
        .await;
    assert_eq!(ran(&report).end, RunEnd::Interrupted);
    assert_eq!(report.exit_status(), ExitStatus::Interrupted);
    assert!(fixture.ledger().iter().all(|r| r.state == "pending"));

    let leaver = weekly_verdicts::email_address::SubscriberEmail::parse(&address(2)).unwrap();
    fixture
        .store()
        .unsubscribe_email(
            &leaver,
            &weekly_verdicts::store::Origin::new(weekly_verdicts::store::Channel::Cli),
            super::as_of(),
        )
        .unwrap();
    let report = fixture.send(fixture.options()).await;

    let summary = ran(&report);
    assert_eq!(summary.end, RunEnd::Complete);
    assert_eq!((summary.this_run.sent, summary.this_run.skipped), (3, 1));
    let recipients: Vec<String> = server
        .wait_for_messages(3, Duration::from_secs(1))
        .await
        .into_iter()
        .map(|m| m.rcpt_to[0].clone())
        .collect();
    assert!(!recipients.contains(&address(2)), "{recipients:?}");
    let row = fixture.row(&address(2));
    assert_eq!(row.state, "skipped");
    assert_eq!(row.attempts, 0);
    assert!(row.last_error.unwrap().contains("unsubscribed"));
    assert_eq!((summary.ledger.skipped, summary.ledger.failed), (1, 0));

    let status = super::verdicts(&fixture, &server.url())
        .arg("status")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&status.stdout);
    assert!(table.lines().next().unwrap().contains("skipped"), "{table}");
    let line = table
        .lines()
        .find(|l| l.starts_with(super::KEY))
        .expect(&table);
    let numbers: Vec<&str> = line.split_whitespace().collect();
    // sent, deferred, failed, skipped, pending
    assert_eq!(&numbers[3..8], ["3", "0", "0", "1", "0"], "{table}");
}
