//! Several senders on one PostgreSQL database: three `verdicts send` processes in three folders deliver one issue
//! together, each recipient once; with one of them SIGKILLed part-way the others take its recipients over once its
//! claims run out, resending at most what it had in flight; one stopped by SIGTERM hands its claims back at once.
//! Skipped, saying so, without the PostgreSQL test cluster (see `support/postgres.rs`).

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use weekly_verdicts::content::Categories;

use weekly_verdicts::delivery::MAX_UNCOMMITTED;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{Database, ImportRow, LedgerCounts, Status, Store};

use super::{AS_OF, KEY, address, as_of, content_dir};
use crate::support::postgres::fresh_database;
use crate::support::smtp::{Received, Rule, Script, SmtpServer, Stage};

const N: usize = 3000;

/// Connections each sender opens.
const SENDER_CONCURRENCY: usize = 4;

/// Seconds a claimed page is left to its sender: short, so a killed sender's pages are taken over soon.
pub(super) const CLAIM_SECONDS: &str = "2";

/// `n` confirmed subscribers, `address(0..n)`.
pub(super) fn seed(database: &Database, n: usize) {
    let rows: Vec<ImportRow> = (0..n)
        .map(|i| ImportRow {
            email: SubscriberEmail::parse(&address(i)).unwrap(),
            name: None,
            status: Status::Confirmed,
            categories: Categories::everything(),
            created_at: None,
            confirmed_at: None,
        })
        .collect();
    let summary = Store::open(database)
        .unwrap()
        .import(&rows, as_of())
        .unwrap();
    assert_eq!(summary.added, n as u64);
}

/// `verdicts send` for the sample week on `database`, in a folder of its own.
fn sender(database: &Database, smtp_url: &str, folder: &tempfile::TempDir) -> Child {
    sender_with_claim(database, smtp_url, folder, CLAIM_SECONDS)
}

/// [`sender`] with pages claimed for `claim_seconds`.
fn sender_with_claim(
    database: &Database,
    smtp_url: &str,
    folder: &tempfile::TempDir,
    claim_seconds: &str,
) -> Child {
    Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(["send", "--as-of", AS_OF])
        .current_dir(folder.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", database.to_string())
        .env("VERDICTS_SMTP_URL", smtp_url)
        .env("VERDICTS_CONTENT_DIR", content_dir())
        .env("VERDICTS_CONCURRENCY", SENDER_CONCURRENCY.to_string())
        .env("VERDICTS_SEND_CLAIM_SECONDS", claim_seconds)
        .env("VERDICTS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The week's ledger counted by state.
pub(super) fn ledger(database: &Database, key: &str) -> LedgerCounts {
    let store = Store::open(database).unwrap();
    let issue = store.issue_by_key(key).unwrap().expect("the issue exists");
    store.ledger_counts(issue.id).unwrap()
}

/// How many messages each recipient got.
pub(super) fn per_recipient(messages: &[Received]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for message in messages {
        for to in &message.rcpt_to {
            *counts.entry(to.clone()).or_insert(0) += 1;
        }
    }
    counts
}

/// Waits for a sender; its exit code, and how many recipients it says it sent.
fn finished(child: Child) -> (Option<i32>, u64, String) {
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let sent = stdout
        .split("this run, by recipient: ")
        .nth(1)
        .and_then(|rest| rest.split(" sent").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no run summary:\n{stdout}\n{stderr}"));
    (output.status.code(), sent, format!("{stdout}{stderr}"))
}

/// A relay that takes a little while over each message, so the senders overlap.
pub(super) async fn slow_relay() -> SmtpServer {
    SmtpServer::start(
        Script::accept_all().rule(Rule::at(Stage::DataEnd).stall(Duration::from_millis(20))),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_senders_on_one_postgresql_ledger_send_each_recipient_once() {
    let Some(database) = fresh_database("three_senders_on_one_postgresql_ledger") else {
        return;
    };
    seed(&database, N);
    let server = slow_relay().await;
    let folders: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let senders: Vec<Child> = folders
        .iter()
        .map(|folder| sender(&database, &server.url(), folder))
        .collect();

    let mut shares = Vec::new();
    for child in senders {
        let (code, sent, output) = tokio::task::spawn_blocking(move || finished(child))
            .await
            .unwrap();
        assert_eq!(code, Some(0), "{output}");
        shares.push(sent);
    }
    eprintln!("each sender sent {shares:?}");
    assert_eq!(shares.iter().sum::<u64>(), N as u64, "{shares:?}");
    assert!(
        shares.iter().all(|&sent| sent > 0),
        "every sender took part: {shares:?}"
    );
    let messages = server.messages();
    let counts = per_recipient(&messages);
    for i in 0..N {
        assert_eq!(counts.get(&address(i)), Some(&1), "{}", address(i));
    }
    assert_eq!(messages.len(), N);
    let counts = ledger(&database, KEY);
    assert_eq!(
        (counts.sent, counts.total()),
        (N as u64, N as u64),
        "{counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_part_way_leaves_its_recipients_to_the_others_with_only_its_in_flight_sent_twice()
 {
    let Some(database) = fresh_database("a_sender_killed_part_way_leaves_its_recipients") else {
        return;
    };
    seed(&database, N);
    let server = slow_relay().await;
    let folders: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut senders: Vec<Child> = folders
        .iter()
        .map(|folder| sender(&database, &server.url(), folder))
        .collect();

    server
        .wait_for_messages(500, Duration::from_secs(120))
        .await;
    let mut killed = senders.remove(0);
    killed.kill().unwrap(); // SIGKILL
    killed.wait().unwrap();
    let at_kill = server.messages().len();
    assert!(at_kill < N, "killed part-way: {at_kill} of {N}");

    for child in senders {
        let (code, _, output) = tokio::task::spawn_blocking(move || finished(child))
            .await
            .unwrap();
        assert_eq!(
            code,
            Some(0),
            "a survivor finishes the whole ledger: {output}"
        );
    }
    let messages = server.messages();
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    for message in &messages {
        let id = message.header("Message-ID").expect("a Message-ID");
        ids.entry(message.rcpt_to[0].clone())
            .or_default()
            .insert(id);
    }
    for i in 0..N {
        let got = ids.get(&address(i)).map_or(0, HashSet::len);
        assert_eq!(got, 1, "{} got {got} distinct Message-IDs", address(i));
    }
    let duplicates = messages.len() - N;
    eprintln!("killed after {at_kill} messages; {duplicates} sent twice");
    assert!(
        duplicates <= SENDER_CONCURRENCY + MAX_UNCOMMITTED,
        "{duplicates} duplicates: more than the killed sender could have had in flight"
    );
    let counts = ledger(&database, KEY);
    assert_eq!(
        (counts.sent, counts.total()),
        (N as u64, N as u64),
        "{counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_stopped_by_sigterm_hands_its_claimed_recipients_back_at_once() {
    let Some(database) =
        fresh_database("a_sender_stopped_by_sigterm_hands_its_claimed_recipients_back")
    else {
        return;
    };
    seed(&database, N);
    let server = slow_relay().await;
    let folder = tempfile::tempdir().unwrap();
    // Claims that would keep everyone else out for ten minutes, were they not handed back.
    let first = sender_with_claim(&database, &server.url(), &folder, "600");
    server
        .wait_for_messages(300, Duration::from_secs(120))
        .await;
    let status = Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || first.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let store = Store::open(&database).unwrap();
    let issue = store.issue_by_key(KEY).unwrap().unwrap();
    let now = weekly_verdicts::clock::now();
    let held = store
        .next_claim_expiry(issue.id, "someone else", now)
        .unwrap();
    assert!(
        held.is_none_or(|expiry| expiry <= now),
        "the stopped sender still holds claims until {held:?}"
    );
    let at_stop = ledger(&database, KEY);
    assert!(at_stop.pending > 0, "stopped part-way: {at_stop:?}");

    let second = sender_with_claim(&database, &server.url(), &folder, "600");
    let (code, sent, output) = tokio::task::spawn_blocking(move || finished(second))
        .await
        .unwrap();
    assert_eq!(code, Some(0), "{output}");
    assert_eq!(sent, at_stop.pending, "the second sender sent the rest");
    let counts = per_recipient(&server.messages());
    for i in 0..N {
        assert_eq!(counts.get(&address(i)), Some(&1), "{}", address(i));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_slower_than_the_claim_time_still_gets_each_recipient_once() {
    let Some(database) = fresh_database("a_relay_slower_than_the_claim_time") else {
        return;
    };
    // Each message takes 3 s at the relay against 2 s claims: the rows a sender has queued for its workers, or
    // on the wire, outlive the claim they were taken with. Its claims must be kept alive while it runs, or the
    // other sender takes those rows and the readers get the issue twice.
    let n = 16;
    seed(&database, n);
    let server = SmtpServer::start(
        Script::accept_all().rule(Rule::at(Stage::DataEnd).stall(Duration::from_secs(3))),
    )
    .await;
    let folders: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let senders: Vec<Child> = folders
        .iter()
        .map(|folder| sender(&database, &server.url(), folder))
        .collect();
    for child in senders {
        let (code, _, output) = tokio::task::spawn_blocking(move || finished(child))
            .await
            .unwrap();
        assert_eq!(code, Some(0), "{output}");
    }
    let messages = server.messages();
    let counts = per_recipient(&messages);
    for i in 0..n {
        assert_eq!(counts.get(&address(i)), Some(&1), "{}", address(i));
    }
    assert_eq!(messages.len(), n);
}
