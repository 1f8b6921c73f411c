//! A relay that refuses, throttles, drops the line or stalls: every fault ends with every recipient in exactly
//! one final state in the store, and nobody gets the issue twice.

use std::collections::HashMap;
use std::time::Duration;

use weekly_verdicts::delivery::{RunEnd, SendOptions};
use weekly_verdicts::exit::ExitStatus;
use weekly_verdicts::mail::Timeouts;
use weekly_verdicts::store::Status;

use super::{Fixture, address, assert_all_final, ran};
use crate::support::smtp::{Rule, Script, SmtpServer, Stage};

const N: usize = 12;

/// How many messages each recipient received.
fn received(server: &SmtpServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for message in server.messages() {
        for to in message.rcpt_to {
            *counts.entry(to).or_insert(0) += 1;
        }
    }
    counts
}

/// Runs a send of `N` subscribers against `script`; the fixture and server for checks.
async fn send_through(
    script: Script,
    settings: &[(&str, &str)],
) -> (Fixture, SmtpServer, weekly_verdicts::delivery::SendReport) {
    let chunking = script.offers_chunking();
    let server = SmtpServer::start(script).await;
    let fixture = Fixture::new(Some(&server.url()), settings);
    fixture.seed(N);
    let report = fixture.send(fixture.options()).await;
    // Messages went with BDAT where the relay offered CHUNKING, with DATA where it did not.
    let commands = server.commands();
    let used = |verb: &str| {
        commands
            .iter()
            .any(|(_, c)| c.split(' ').next() == Some(verb))
    };
    assert_eq!(
        (used("BDAT"), used("DATA")),
        (chunking, !chunking),
        "{commands:?}"
    );
    (fixture, server, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_452_at_rcpt_defers_the_recipient_and_a_later_pass_delivers_it() {
    let full = address(3);
    let script = Script::accept_all().rule(
        Rule::at(Stage::Rcpt)
            .for_recipient(&full)
            .reply("452 4.2.2 mailbox full")
            .times(2),
    );
    // With DATA, and with BDAT (CHUNKING): the same fault, the same outcome.
    for script in [script.clone(), script.chunking()] {
        let (fixture, server, report) =
            send_through(script, &[("VERDICTS_CONCURRENCY", "3")]).await;

        assert_eq!(ran(&report).end, RunEnd::Complete);
        let rows = assert_all_final(&fixture, N);
        assert!(rows.iter().all(|r| r.state == "sent"));
        assert_eq!(fixture.row(&full).attempts, 3, "two deferrals, then sent");
        assert!(received(&server).values().all(|&n| n == 1));
        assert_eq!(received(&server).len(), N);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_550_at_rcpt_fails_the_recipient_and_bounces_the_subscriber() {
    let unknown = address(5);
    let script = Script::accept_all().rule(
        Rule::at(Stage::Rcpt)
            .for_recipient(&unknown)
            .reply("550 5.1.1 no such user"),
    );
    // With DATA, and with BDAT (CHUNKING): the same fault, the same outcome.
    for script in [script.clone(), script.chunking()] {
        let (fixture, server, report) = send_through(script, &[]).await;

        assert_eq!(ran(&report).end, RunEnd::Complete);
        assert_eq!(report.exit_status(), ExitStatus::Success);
        assert_all_final(&fixture, N);
        let row = fixture.row(&unknown);
        assert_eq!(row.state, "failed");
        assert!(row.last_error.unwrap().contains("550 5.1.1 no such user"));
        assert_eq!(fixture.subscriber_status(&unknown), Status::Bounced);
        assert_eq!(fixture.subscriber_status(&address(4)), Status::Confirmed);
        assert_eq!(received(&server).len(), N - 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_554_after_the_data_fails_the_recipient_without_a_bounce_and_the_connection_carries_on() {
    let refused = address(7);
    let script = Script::accept_all().rule(
        Rule::at(Stage::DataEnd)
            .for_recipient(&refused)
            .reply("554 5.7.1 message refused"),
    );
    // With DATA, and with BDAT (CHUNKING): the same fault, the same outcome.
    for script in [script.clone(), script.chunking()] {
        let (fixture, server, _) = send_through(script, &[("VERDICTS_CONCURRENCY", "1")]).await;

        assert_all_final(&fixture, N);
        assert_eq!(fixture.row(&refused).state, "failed");
        // A policy refusal of the message says nothing about the mailbox.
        assert_eq!(fixture.subscriber_status(&refused), Status::Confirmed);
        assert_eq!(received(&server).len(), N - 1);
        assert_eq!(
            server.connections(),
            1,
            "a refusal does not cost the connection"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_failure_that_never_ends_fails_after_max_attempts_without_a_bounce() {
    let stuck = address(1);
    let script = Script::accept_all().rule(
        Rule::at(Stage::Rcpt)
            .for_recipient(&stuck)
            .reply("451 4.3.0 try later"),
    );
    // With DATA, and with BDAT (CHUNKING): the same fault, the same outcome.
    for script in [script.clone(), script.chunking()] {
        let (fixture, _server, report) =
            send_through(script, &[("VERDICTS_MAX_ATTEMPTS", "3")]).await;

        assert_eq!(ran(&report).end, RunEnd::Complete);
        assert_all_final(&fixture, N);
        let row = fixture.row(&stuck);
        assert_eq!((row.state.as_str(), row.attempts), ("failed", 3));
        assert!(row.last_error.unwrap().contains("gave up after 3 attempts"));
        assert_eq!(fixture.subscriber_status(&stuck), Status::Confirmed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_at_mail_from_defers_and_retries_everyone() {
    let script = Script::accept_all().rule(
        Rule::at(Stage::Mail)
            .reply("450 4.7.1 too many messages, slow down")
            .times(5),
    );
    // With DATA, and with BDAT (CHUNKING): the same fault, the same outcome.
    for script in [script.clone(), script.chunking()] {
        let (fixture, server, report) =
            send_through(script, &[("VERDICTS_CONCURRENCY", "2")]).await;

        assert_eq!(ran(&report).end, RunEnd::Complete);
        let rows = assert_all_final(&fixture, N);
        assert!(rows.iter().all(|r| r.state == "sent"));
        assert_eq!(rows.iter().map(|r| r.attempts).sum::<u32>(), N as u32 + 5);
        assert!(received(&server).values().all(|&n| n == 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_421_closes_the_connection_and_the_worker_reconnects_and_sends_it_without_charging_an_attempt()
 {
    let script = Script::accept_all().rule(
        Rule::at(Stage::Rcpt)
            .for_recipient(&address(2))
            .reply("421 4.7.0 closing, too busy")
            .times(1),
    );
    // With DATA, and with BDAT (CHUNKING): the same fault, the same outcome.
    for script in [script.clone(), script.chunking()] {
        let (fixture, server, _) = send_through(script, &[("VERDICTS_CONCURRENCY", "1")]).await;

        let rows = assert_all_final(&fixture, N);
        assert!(rows.iter().all(|r| r.state == "sent"));
        assert_eq!(
            fixture.row(&address(2)).attempts,
            1,
            "a 421 is about the connection, not the recipient"
        );
        assert_eq!(server.connections(), 2);
        assert!(received(&server).values().all(|&n| n == 1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_reconnects_and_sends_the_message_again() {
    let script = Script::accept_all()
        .rule(
            Rule::at(Stage::DataEnd)
                .for_recipient(&address(4))
                .drop_connection()
                .times(1),
        )
        .rule(
            Rule::at(Stage::Rcpt)
                .for_recipient(&address(8))
                .drop_connection()
                .times(2),
        );
    // With DATA, and with BDAT (CHUNKING): the same fault, the same outcome.
    for script in [script.clone(), script.chunking()] {
        let (fixture, server, _) = send_through(script, &[("VERDICTS_CONCURRENCY", "2")]).await;

        let rows = assert_all_final(&fixture, N);
        assert!(rows.iter().all(|r| r.state == "sent"), "{rows:?}");
        assert_eq!(
            fixture.row(&address(4)).attempts,
            1,
            "a lost line is not an attempt"
        );
        assert!(received(&server).values().all(|&n| n == 1));
        assert_eq!(received(&server).len(), N);
        assert!(server.connections() >= 4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_keeps_dropping_one_message_defers_it_and_moves_on() {
    let cursed = address(6);
    let script = Script::accept_all().rule(
        Rule::at(Stage::Data)
            .for_recipient(&cursed)
            .drop_connection()
            .times(3),
    );
    let (fixture, server, report) = send_through(script, &[("VERDICTS_CONCURRENCY", "1")]).await;

    assert_eq!(ran(&report).end, RunEnd::Complete);
    assert_all_final(&fixture, N);
    let row = fixture.row(&cursed);
    assert_eq!((row.state.as_str(), row.attempts), ("sent", 2));
    assert_eq!(received(&server).len(), N);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_reply_times_out_and_the_message_goes_out_on_a_new_connection() {
    let slow = address(9);
    let server = SmtpServer::start(
        Script::accept_all().rule(
            Rule::at(Stage::Rcpt)
                .for_recipient(&slow)
                .stall_then_drop(Duration::from_secs(30))
                .times(1),
        ),
    )
    .await;
    let fixture = Fixture::new(Some(&server.url()), &[("VERDICTS_CONCURRENCY", "2")]);
    fixture.seed(N);
    let options = SendOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(10),
            command: Duration::from_millis(500),
        },
        ..fixture.options()
    };

    let report = fixture.send(options).await;

    assert_eq!(ran(&report).end, RunEnd::Complete);
    let rows = assert_all_final(&fixture, N);
    assert!(rows.iter().all(|r| r.state == "sent"));
    assert_eq!(received(&server).get(&slow), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_is_down_pauses_the_run_and_a_later_run_resumes_it() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let fixture = Fixture::new(Some(&url), &[("VERDICTS_CONCURRENCY", "3")]);
    fixture.seed(N);

    let report = fixture.send(fixture.options()).await;

    let summary = ran(&report);
    assert_eq!(report.exit_status(), ExitStatus::RelayDown);
    match &summary.end {
        RunEnd::Halted { reason } => assert!(reason.contains("in a row"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(summary.to_string().contains("run `verdicts send` again"));
    assert!(
        fixture
            .ledger()
            .iter()
            .all(|r| r.state == "pending" && r.attempts == 0)
    );

    let server = SmtpServer::start(Script::accept_all()).await;
    let mut fixture = fixture;
    fixture.config.smtp_url = Some(server.url());
    let report = fixture.send(fixture.options()).await;
    assert_eq!(ran(&report).end, RunEnd::Complete);
    assert_eq!(received(&server).len(), N);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_refusing_our_sender_pauses_the_run_instead_of_failing_everyone() {
    let script =
        Script::accept_all().rule(Rule::at(Stage::Mail).reply("553 5.7.1 sender not allowed"));
    let (fixture, _server, report) = send_through(script, &[]).await;

    assert_eq!(report.exit_status(), ExitStatus::RelayDown);
    match &ran(&report).end {
        RunEnd::Halted { reason } => assert!(reason.contains("553 5.7.1"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(fixture.ledger().iter().all(|r| r.state == "pending"));
    assert_eq!(fixture.subscriber_status(&address(0)), Status::Confirmed);
}

/// Forwards at most `limit` connections at a time to `upstream` and greets any more with a 421, as relays that
/// cap connections per client do.
async fn connection_limit(upstream: std::net::SocketAddr, limit: usize) -> String {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncWriteExt;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let open = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            if open.load(Ordering::SeqCst) >= limit {
                let _ = client
                    .write_all(b"421 4.7.0 too many connections\r\n")
                    .await;
                continue;
            }
            open.fetch_add(1, Ordering::SeqCst);
            let open = Arc::clone(&open);
            tokio::spawn(async move {
                if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_beyond_the_relays_connection_limit_retire_and_the_rest_deliver_everything() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let url = connection_limit(server.addr(), 2).await;
    let fixture = Fixture::new(Some(&url), &[("VERDICTS_CONCURRENCY", "6")]);
    fixture.seed(30);

    let report = fixture.send(fixture.options()).await;

    assert_eq!(ran(&report).end, RunEnd::Complete);
    let rows = assert_all_final(&fixture, 30);
    assert!(
        rows.iter().all(|r| r.state == "sent" && r.attempts == 1),
        "{rows:?}"
    );
    assert_eq!(received(&server).len(), 30);
    assert!(received(&server).values().all(|&n| n == 1));
}
