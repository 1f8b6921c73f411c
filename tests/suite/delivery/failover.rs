//! Several relays (`smtp_url` as a comma-separated list): a relay that is down — port closed, 421 at the
//! greeting — is skipped for the cool-down and the next one takes the mail; every recipient is recorded once,
//! with the relay that accepted it; once the cool-down is over the first relay is used again. Two real test SMTP
//! servers; the cool-down runs on a hand-set clock, so nothing waits for it.

use std::collections::BTreeSet;
use std::process::Output;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use weekly_verdicts::clock::Clock;
use weekly_verdicts::config::Secrets;
use weekly_verdicts::delivery::{
    Courier, Job, RetryPolicy, RunEnd, Shared, Step, StopSignal, prepare,
};
use weekly_verdicts::issue::{Edition, Editions, Plan, plan};
use weekly_verdicts::mail::Mailer;
use weekly_verdicts::store::DeliveryResult;
use weekly_verdicts::tokens::Tokens;

use super::{AS_OF, Fixture, address, as_of, assert_all_final, ran, verdicts};
use crate::support::smtp::{Rule, Script, SmtpServer, Stage};

/// A relay that is down at the greeting: says 421 and closes.
fn greeting_421() -> Script {
    Script::accept_all().rule(Rule::at(Stage::Connect).reply("421 4.3.2 service not available"))
}

/// `smtp://127.0.0.1:<port>` where nothing listens.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// Every one of `n` recipients was sent exactly once, by `second`, and the ledger says so.
fn assert_all_through(fixture: &Fixture, second: &SmtpServer, n: usize) {
    let rows = assert_all_final(fixture, n);
    for row in &rows {
        assert_eq!(row.state, "sent", "{row:?}");
        let reply = row.relay_reply.as_deref().unwrap_or_default();
        assert!(
            reply.ends_with(&format!("(via {})", second.url())),
            "{row:?}"
        );
    }
    let messages = second.messages();
    let recipients: BTreeSet<String> = messages.iter().map(|m| m.rcpt_to.join(",")).collect();
    assert_eq!(messages.len(), n, "each recipient once");
    assert_eq!(recipients, (0..n).map(address).collect());
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_first_relay_down_everything_goes_through_the_second_once_each() {
    let second = SmtpServer::start(Script::accept_all()).await;
    let list = format!("{}, {}", closed_port_url(), second.url());
    let fixture = Fixture::new(Some(&list), &[]);
    fixture.seed(40);

    let report = fixture.send(fixture.options()).await;

    assert_eq!(ran(&report).end, RunEnd::Complete);
    assert_all_through(&fixture, &second, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_relay_answering_421_at_the_greeting_is_skipped_for_the_cool_down() {
    let first = SmtpServer::start(greeting_421()).await;
    let second = SmtpServer::start(Script::accept_all()).await;
    let list = format!("{},{}", first.url(), second.url());
    let fixture = Fixture::new(Some(&list), &[]);
    fixture.seed(40);

    let report = fixture.send(fixture.options()).await;

    assert_eq!(ran(&report).end, RunEnd::Complete);
    assert_all_through(&fixture, &second, 40);
    assert!(first.messages().is_empty());
    let tried = first.connections() as usize;
    assert!(
        (1..=fixture.config.concurrency).contains(&tried),
        "each worker tried the first relay at most once within the cool-down, not per message: {tried}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_every_relay_is_down_the_run_pauses_and_records_nobody() {
    let first = SmtpServer::start(greeting_421()).await;
    let list = format!("{}, {}", first.url(), closed_port_url());
    let fixture = Fixture::new(Some(&list), &[]);
    fixture.seed(5);

    let report = fixture.send(fixture.options()).await;

    match &ran(&report).end {
        RunEnd::Halted { reason } => assert!(reason.contains("failed"), "{reason}"),
        other => panic!("expected a pause, got {other:?}"),
    }
    assert!(fixture.ledger().iter().all(|row| row.state == "pending"));
}

/// A worker of a run over `list`, driven one message at a time, with the mailer's cool-downs on `clock`.
fn courier(fixture: &Fixture, clock: &Clock) -> Courier {
    let config = &fixture.config;
    let comparisons =
        weekly_verdicts::content::load_dir_or_error(&config.content_dir, &config.base_url).unwrap();
    let Plan::New(new) = plan(&fixture.store(), &comparisons, config, as_of()).unwrap() else {
        panic!("the sample week plans a new issue");
    };
    let mailer = Mailer::from_config(config, &Secrets::default())
        .unwrap()
        .with_clock(clock.clone());
    let edition = Edition::new(
        0,
        plan::rendered(&new, config),
        as_of(),
        Tokens::new(b"failover test key".to_vec(), Vec::new()),
        None,
        mailer.sender().clone(),
    );
    let mut shared = Shared::new(
        Editions::full_only(edition, config),
        mailer,
        RetryPolicy::from_config(config),
        StopSignal::never(),
    );
    shared.clock = clock.clone();
    Courier::new(Arc::new(shared))
}

async fn sent_reply(courier: &mut Courier, to: &str) -> String {
    let job = Job::sample(to);
    let prepared = prepare(&courier.shared(), &job).await;
    match courier.transmit(&job, prepared).await {
        Step::Done(outcome) => match outcome.result {
            DeliveryResult::Sent { reply } => reply,
            other => panic!("{to}: {other:?}"),
        },
        other => panic!("{to}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_goes_back_to_the_first_relay_once_its_cool_down_is_over() {
    // Down for its first connection only: back at once, but the cool-down keeps it skipped until it is over.
    let first = SmtpServer::start(
        Script::accept_all().rule(
            Rule::at(Stage::Connect)
                .reply("421 4.3.2 restarting")
                .times(1),
        ),
    )
    .await;
    let second = SmtpServer::start(Script::accept_all()).await;
    let list = format!("{},{}", first.url(), second.url());
    let fixture = Fixture::new(Some(&list), &[("VERDICTS_RELAY_COOLDOWN_SECONDS", "60")]);
    let clock = Clock::manual(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
    let mut courier = courier(&fixture, &clock);

    let during = sent_reply(&mut courier, "a@example.org").await;
    clock.advance(Duration::seconds(60));
    let at_the_end = sent_reply(&mut courier, "b@example.org").await;
    clock.advance(Duration::seconds(1));
    let after = sent_reply(&mut courier, "c@example.org").await;
    courier.finish().await;

    assert!(
        during.ends_with(&format!("(via {})", second.url())),
        "{during}"
    );
    assert!(
        at_the_end.ends_with(&format!("(via {})", second.url())),
        "{at_the_end}"
    );
    assert!(
        after.ends_with(&format!("(via {})", first.url())),
        "{after}"
    );
    let to = |server: &SmtpServer| -> Vec<String> {
        server
            .messages()
            .iter()
            .map(|m| m.rcpt_to.join(","))
            .collect()
    };
    assert_eq!(to(&second), ["a@example.org", "b@example.org"]);
    assert_eq!(to(&first), ["c@example.org"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_copies_fail_over_and_use_the_first_relay_again_after_the_cool_down() {
    let first = SmtpServer::start(greeting_421()).await;
    let second = SmtpServer::start(Script::accept_all()).await;
    let list = format!("{},{}", first.url(), second.url());
    let fixture = Fixture::new(Some(&list), &[]);
    let clock = Clock::manual(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
    let mailer = Mailer::from_config(&fixture.config, &Secrets::default())
        .unwrap()
        .with_clock(clock.clone());
    let to: lettre::Address = "editor@example.com".parse().unwrap();
    let raw = b"Subject: test\r\n\r\nbody\r\n";

    let failed_over = mailer.send_raw(&to, "<1@x>", raw).await.unwrap();
    first.set_script(Script::accept_all());
    let cooling = mailer.send_raw(&to, "<2@x>", raw).await.unwrap();
    clock.advance(Duration::seconds(61));
    let back = mailer.send_raw(&to, "<3@x>", raw).await.unwrap();

    assert!(failed_over.contains(&second.url()), "{failed_over}");
    assert!(cooling.contains(&second.url()), "{cooling}");
    assert!(back.contains(&first.url()), "{back}");
    assert_eq!((first.messages().len(), second.messages().len()), (1, 2));
    assert_eq!(first.connections(), 2, "not tried while cooling down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_off_mail_tries_every_relay_before_giving_up_even_while_all_cool_down() {
    let first = SmtpServer::start(greeting_421()).await;
    let second = SmtpServer::start(
        Script::accept_all().rule(Rule::at(Stage::Connect).reply("421 4.3.2 busy").times(1)),
    )
    .await;
    let list = format!("{},{}", first.url(), second.url());
    let fixture = Fixture::new(Some(&list), &[]);
    let clock = Clock::manual(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
    let mailer = Mailer::from_config(&fixture.config, &Secrets::default())
        .unwrap()
        .with_clock(clock.clone());
    let to: lettre::Address = "new@example.org".parse().unwrap();
    let raw = b"Subject: confirm\r\n\r\nbody\r\n";

    let both_down = mailer.send_raw(&to, "<1@x>", raw).await.unwrap_err();
    let second_back = mailer.send_raw(&to, "<2@x>", raw).await.unwrap();

    let both_down = format!("{both_down:#}");
    assert!(
        both_down.contains(&first.url()) && both_down.contains(&second.url()),
        "the error names what each relay said: {both_down}"
    );
    assert!(second_back.contains(&second.url()), "{second_back}");
    assert_eq!(second.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_add_sends_the_confirmation_through_the_second_relay_when_the_first_is_down() {
    let second = SmtpServer::start(Script::accept_all()).await;
    let list = format!("{},{}", closed_port_url(), second.url());
    let fixture = Fixture::new(None, &[]);

    let output = verdicts(&fixture, &list)
        .args(["subscribers", "add", "new@example.org"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("accepted via {}", second.url())),
        "{}",
        stderr(&output)
    );
    let messages = second.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].rcpt_to, ["new@example.org"]);
    assert!(messages[0].raw_text().contains("/confirm/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_through_the_binary_fails_over_and_exits_0() {
    let first = SmtpServer::start(greeting_421()).await;
    let second = SmtpServer::start(Script::accept_all()).await;
    let list = format!("{},{}", first.url(), second.url());
    let fixture = Fixture::new(None, &[]);
    fixture.seed(10);

    let output = verdicts(&fixture, &list)
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_all_through(&fixture, &second, 10);
}

#[test]
fn check_names_the_bad_relay_of_a_list_by_position_without_its_password() {
    let fixture = Fixture::new(None, &[]);
    let output = verdicts(
        &fixture,
        "smtp://relay-a.example.org, smtp://me:hunter2@relay-b.example.org?tls=maybe",
    )
    .env("VERDICTS_SMTP_PASSWORD", "x")
    .arg("check")
    .output()
    .unwrap();

    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        err.contains("smtp_url relay 2 of 2, smtp://me:***@relay-b.example.org?tls=maybe"),
        "{err}"
    );
    assert!(err.contains("tls=\"maybe\""), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn check_refuses_a_password_for_a_relay_the_list_does_not_have() {
    let fixture = Fixture::new(None, &[]);
    let output = verdicts(
        &fixture,
        "smtps://me@a.example.org,smtps://me@b.example.org",
    )
    .env("VERDICTS_SMTP_PASSWORD", "x")
    .env("VERDICTS_SMTP_PASSWORD_3", "y")
    .arg("check")
    .output()
    .unwrap();

    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(err.contains("VERDICTS_SMTP_PASSWORD_3"), "{err}");
}
