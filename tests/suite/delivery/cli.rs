//! `verdicts send` and `verdicts status` as the operator runs them: signals, dry runs, test copies, status.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::{AS_OF, Fixture, KEY, verdicts};
use crate::support::smtp::{Rule, Script, SmtpServer, Stage};

/// Starts `send`, sends it SIGTERM once the relay holds `after` messages, and waits for it to end.
async fn interrupted(mut send: Command, server: &SmtpServer, after: usize) -> std::process::Output {
    let child = send.stdout(Stdio::piped()).spawn().unwrap();
    server
        .wait_for_messages(after, Duration::from_secs(120))
        .await;
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_and_records_the_messages_in_flight_and_exits_resumable() {
    const N: usize = 400;
    let slow = Script::accept_all().rule(Rule::at(Stage::DataEnd).stall(Duration::from_millis(20)));
    let server = SmtpServer::start(slow).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(N);
    let mut send = verdicts(&fixture, &server.url());
    send.args(["send", "--as-of", AS_OF]);
    let output = interrupted(send, &server, 20).await;

    assert_eq!(output.status.code(), Some(130));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("interrupted"), "{stdout}");
    let delivered = server.messages().len();
    assert!(delivered < N, "stopped early: {delivered}");
    let sent = fixture
        .ledger()
        .iter()
        .filter(|r| r.state == "sent")
        .count();
    assert_eq!(sent, delivered, "every message the relay took is recorded");

    server.set_script(Script::accept_all());
    let resumed = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0));
    assert_eq!(server.messages().len(), N, "nobody twice, nobody skipped");
}

/// With DKIM on and one connection, a worker signs its next message while the relay handles the current one:
/// that message, signed but never sent when SIGTERM comes, must stay pending, and the resumed run sends it once,
/// with a signature dkimpy accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_message_signed_ahead_records_what_went_out_and_the_resumed_run_sends_the_rest_once()
 {
    const N: usize = 120;
    let slow = Script::accept_all().rule(Rule::at(Stage::DataEnd).stall(Duration::from_millis(20)));
    let server = SmtpServer::start(slow).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(N);
    let key = crate::support::dkim::rsa_key(false);
    let signed = |command: &mut Command| {
        command
            .env("VERDICTS_CONCURRENCY", "1")
            .env("VERDICTS_DKIM_SELECTOR", "sel")
            .env("VERDICTS_DKIM_KEY", &key.pem);
    };
    let mut first = verdicts(&fixture, &server.url());
    signed(&mut first);
    first.args(["send", "--as-of", AS_OF]);
    let output = interrupted(first, &server, 10).await;
    assert_eq!(output.status.code(), Some(130));
    let delivered = server.messages().len();
    assert!(delivered < N, "stopped early: {delivered}");
    let ledger = fixture.ledger();
    let sent = ledger.iter().filter(|r| r.state == "sent").count();
    assert_eq!(
        sent, delivered,
        "every message the relay took is recorded, and only those"
    );
    assert_eq!(
        ledger.iter().filter(|r| r.state == "pending").count(),
        N - delivered
    );

    server.set_script(Script::accept_all());
    let mut resumed = verdicts(&fixture, &server.url());
    signed(&mut resumed);
    let resumed = resumed.args(["send", "--as-of", AS_OF]).output().unwrap();
    assert_eq!(resumed.status.code(), Some(0));
    let messages = server.messages();
    let mut recipients: Vec<&str> = messages.iter().map(|m| m.rcpt_to[0].as_str()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(
        (messages.len(), recipients.len()),
        (N, N),
        "nobody twice, nobody skipped"
    );
    let records = [("sel", key.record.as_str())];
    for message in [&messages[0], &messages[N - 1]] {
        assert_eq!(
            crate::support::dkim::dkimpy(&message.data, &records),
            [true]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_the_issue_with_its_counts_by_state() {
    let server = SmtpServer::start(
        Script::accept_all().rule(
            Rule::at(Stage::Rcpt)
                .for_recipient(&super::address(1))
                .reply("550 5.1.1 unknown"),
        ),
    )
    .await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(3);
    let sent = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(sent.status.code(), Some(0));
    let summary = String::from_utf8_lossy(&sent.stdout);
    assert!(
        summary.contains("2 sent, 0 deferred, 1 failed"),
        "{summary}"
    );
    assert!(summary.contains("messages/s"), "{summary}");

    let status = verdicts(&fixture, &server.url())
        .arg("status")
        .output()
        .unwrap();

    assert_eq!(status.status.code(), Some(0));
    let table = String::from_utf8_lossy(&status.stdout);
    let line = table.lines().find(|l| l.starts_with(KEY)).expect(&table);
    let numbers: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&numbers[3..7], ["2", "0", "1", "0"], "{table}");
    assert!(line.contains("delivered"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_counts_without_creating_or_sending_anything() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(5);

    let output = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF, "--dry-run"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(KEY) && stdout.contains("5 recipient(s)"),
        "{stdout}"
    );
    assert!(fixture.store().delivery_counts().unwrap().is_empty());
    assert_eq!(server.connections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_copy_goes_to_one_address_and_touches_no_ledger() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(5);

    let output = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF, "--to", "editor@example.com"])
        .output()
        .unwrap();

    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].rcpt_to, ["editor@example.com"]);
    assert_eq!(messages[0].header("X-Verdicts-Issue").as_deref(), Some(KEY));
    assert!(fixture.store().delivery_counts().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_shows_what_send_would_send_given_the_issues_already_sent() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(1);
    let sent = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", "2026-11-20"])
        .output()
        .unwrap();
    assert_eq!(sent.status.code(), Some(0));
    let out = fixture.dir.path().join("preview");

    // A first issue would look back seven days and take Deepgram (18 Nov) again; the store says it went out.
    let preview = verdicts(&fixture, &server.url())
        .args(["preview", "--as-of", "2026-11-24", "--out"])
        .arg(&out)
        .output()
        .unwrap();

    assert_eq!(preview.status.code(), Some(0));
    let text = std::fs::read_to_string(out.join("digest.txt")).unwrap();
    assert!(text.contains("Grammarly"), "{text}");
    assert!(
        !text.contains("Deepgram"),
        "already sent in the previous issue"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_written_to_a_file_carry_no_colour_codes() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(3);
    let output = verdicts(&fixture, &server.url())
        .env("VERDICTS_LOG", "info")
        .env_remove("NO_COLOR")
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("INFO"), "the run logged at info: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no ANSI escapes in a piped log: {stderr:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_with_nobody_confirmed_creates_nothing_and_the_first_issue_keeps_the_weeks_comparisons()
 {
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);

    let empty = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();

    let out = String::from_utf8_lossy(&empty.stdout);
    assert_eq!(empty.status.code(), Some(0), "{out}");
    assert!(out.contains("nobody is confirmed yet"), "{out}");
    assert!(fixture.store().issue_by_key(KEY).unwrap().is_none());
    let added = verdicts(&fixture, &server.url())
        .args(["subscribers", "add", "first@example.org", "--confirmed"])
        .output()
        .unwrap();
    assert_eq!(added.status.code(), Some(0));

    // The next send is a week later: its window still starts where the empty one's would have.
    let next = verdicts(&fixture, &server.url())
        .args(["send", "--as-of", "2026-11-29"])
        .output()
        .unwrap();

    assert_eq!(
        next.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&next.stdout)
    );
    let issue = fixture.store().issue_by_key("2026-W48").unwrap().unwrap();
    let slugs: Vec<&str> = issue
        .issue
        .comparisons
        .iter()
        .map(|c| c.slug.as_str())
        .collect();
    // W47's three comparisons (16, 18, 20 November) and W48's three.
    assert_eq!(slugs.len(), 6, "{slugs:?}");
    assert!(slugs.iter().any(|s| s.contains("smollm3")), "{slugs:?}");
    assert_eq!(server.messages().len(), 1);
}
