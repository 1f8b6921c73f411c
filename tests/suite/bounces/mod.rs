//! Bounces and complaints after the send, end to end with the real binary: `verdicts send` to the capturing SMTP
//! server with `bounce_address` set (each message's MAIL FROM is its own signed return path), then returned
//! messages in the shapes real MTAs write (`tests/fixtures/bounces/`) fed to `verdicts bounces ingest` on stdin,
//! from a file and from a Maildir; and the hostile cases: a forged token, another reader's token, a 20 MB
//! message, an unreadable Maildir file, a report about a removed reader, a kill -9 part-way through a Maildir.

mod maildir;
mod read;
mod status;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use weekly_verdicts::store::Status;

use crate::delivery::{AS_OF, Fixture, address, verdicts};
use crate::support::smtp::{Script, SmtpServer};

pub const BOUNCE_ADDRESS: &str = "bounces@news.example.org";

/// A store of `n` confirmed readers that has been sent the sample week through the capturing server, with the
/// return path (MAIL FROM) each reader's message carried.
pub struct Sent {
    pub fixture: Fixture,
    pub url: String,
    pub return_paths: HashMap<String, String>,
    _server: SmtpServer,
}

pub async fn sent_to(n: usize) -> Sent {
    let server = SmtpServer::start(Script::accept_all()).await;
    let url = server.url();
    let fixture = Fixture::new(Some(&url), &[("VERDICTS_BOUNCE_ADDRESS", BOUNCE_ADDRESS)]);
    fixture.seed(n);
    let out = command(&fixture, &url)
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "send: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let messages = server.messages();
    assert_eq!(messages.len(), n);
    let return_paths = messages
        .into_iter()
        .map(|m| (m.rcpt_to[0].clone(), m.mail_from.clone()))
        .collect();
    Sent {
        fixture,
        url,
        return_paths,
        _server: server,
    }
}

impl Sent {
    /// `verdicts bounces ingest ARGS` with `stdin`.
    pub fn ingest(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = command(&self.fixture, &self.url)
            .args(["bounces", "ingest"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        // The command may stop reading early (a refused configuration); a broken pipe is its answer, not ours.
        let _ = input.write_all(stdin);
        drop(input);
        child.wait_with_output().unwrap()
    }

    /// The fixture `name` filled in for reader `i`.
    pub fn fixture_for(&self, name: &str, i: usize) -> Vec<u8> {
        let reader = address(i);
        fill(name, &self.return_paths[&reader], &reader)
    }

    pub fn status_of(&self, i: usize) -> (Status, Option<String>) {
        let found = self
            .fixture
            .store()
            .find_by_email(
                &weekly_verdicts::email_address::SubscriberEmail::parse(&address(i)).unwrap(),
            )
            .unwrap()
            .unwrap();
        (found.status, found.status_reason)
    }
}

pub fn command(fixture: &Fixture, url: &str) -> Command {
    let mut command = verdicts(fixture, url);
    command.env("VERDICTS_BOUNCE_ADDRESS", BOUNCE_ADDRESS);
    command
}

/// A fixture from `tests/fixtures/bounces/` with its placeholders filled in.
pub fn fill(name: &str, return_path: &str, recipient: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bounces")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap()
        .replace("{{RETURN_PATH}}", return_path)
        .replace("{{RECIPIENT}}", recipient)
        .into_bytes()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_message_leaves_with_its_own_signed_return_path_under_the_bounce_address() {
    let sent = sent_to(3).await;
    let mut seen = std::collections::HashSet::new();
    for (reader, path) in &sent.return_paths {
        let (local, domain) = path.split_once('@').unwrap();
        assert_eq!(domain, "news.example.org", "{reader}: {path}");
        assert!(local.starts_with("bounces+"), "{reader}: {path}");
        assert!(local.len() <= 64, "{path}");
        assert!(seen.insert(path.clone()), "{path} used twice");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dsn_to_the_return_path_bounces_that_reader_and_the_next_issue_skips_them() {
    let sent = sent_to(3).await;
    let out = sent.ingest(&["-"], &sent.fixture_for("postfix-hard.eml", 0));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(&address(0)) && stdout.contains("bounced"),
        "{stdout}"
    );
    let (status, reason) = sent.status_of(0);
    assert_eq!(status, Status::Bounced);
    assert!(reason.unwrap().contains("5.1.1"));
    assert_eq!(sent.status_of(1).0, Status::Confirmed);

    // The next issue's ledger is made from the confirmed list: the bounced reader is not in it.
    let mut store = sent.fixture.store();
    let end = crate::delivery::as_of() + chrono::Duration::weeks(1);
    let next = weekly_verdicts::store::NewIssue {
        key: "2026-W48".into(),
        window_start: crate::delivery::as_of(),
        window_end: end,
        subject: "next".into(),
        preheader: "pre".into(),
        html: "<p>html</p>".into(),
        text: "text".into(),
        comparisons: Vec::new(),
    };
    match store.create_issue(&next, crate::delivery::as_of()).unwrap() {
        weekly_verdicts::store::IssueCreated::Created { recipients, .. } => {
            assert_eq!(recipients, 2)
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arf_complaint_unsubscribes_the_reader_and_flags_them_complained() {
    let sent = sent_to(2).await;
    let out = sent.ingest(&["-"], &sent.fixture_for("yahoo-arf.eml", 1));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("complained"), "{stdout}");
    let (status, reason) = sent.status_of(1);
    assert_eq!(status, Status::Complained);
    assert_eq!(
        reason.as_deref(),
        Some("feedback type abuse from Yahoo!-Mail-Feedback/2.0")
    );
    // A Microsoft-style report for the same reader changes nothing more.
    let again = sent.ingest(&["-"], &sent.fixture_for("microsoft-arf.eml", 1));
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stdout).contains("already-done"),
        "{}",
        text(&again.stdout)
    );
    let out = command(&sent.fixture, &sent.url)
        .args(["subscribers", "list", "--status", "complained"])
        .output()
        .unwrap();
    let listed = text(&out.stdout);
    assert!(
        listed.contains(&address(1)) && listed.contains("feedback type abuse"),
        "{listed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_is_understood_with_the_kind_its_mta_meant() {
    let cases = [
        ("postfix-hard.eml", Status::Bounced, "bounced"),
        ("gmail-hard.eml", Status::Bounced, "bounced"),
        ("microsoft-nonascii.eml", Status::Bounced, "bounced"),
        (
            "exim-delayed.eml",
            Status::Confirmed,
            "soft bounce counted (1 in a row)",
        ),
        (
            "yahoo-mailbox-full.eml",
            Status::Confirmed,
            "soft bounce counted (1 in a row)",
        ),
        (
            "plain-bounce.eml",
            Status::Confirmed,
            "soft bounce counted (1 in a row)",
        ),
        ("out-of-office.eml", Status::Confirmed, "an automatic reply"),
        ("yahoo-arf.eml", Status::Complained, "complained"),
        ("microsoft-arf.eml", Status::Complained, "complained"),
    ];
    let sent = sent_to(cases.len()).await;
    for (i, (name, status, says)) in cases.iter().enumerate() {
        let out = sent.ingest(&["-"], &sent.fixture_for(name, i));
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {stdout}{}",
            text(&out.stderr)
        );
        assert!(stdout.contains(says), "{name}: {stdout}");
        assert_eq!(sent.status_of(i).0, *status, "{name}: {stdout}");
    }
    // The French diagnostic is kept as it came.
    let (_, reason) = sent.status_of(2);
    assert!(reason.unwrap().contains("l’adresse n’existe pas"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_token_or_another_readers_token_is_ignored_and_changes_nothing() {
    let sent = sent_to(2).await;
    // A token signed with another key, in the return path's shape.
    let other =
        weekly_verdicts::tokens::Tokens::from_secret_str("someone else's key here", &[]).unwrap();
    let forged =
        weekly_verdicts::tokens::verp::ReturnPaths::new(&BOUNCE_ADDRESS.parse().unwrap(), &other)
            .sender(1, 1)
            .to_string();
    let out = sent.ingest(&["-"], &fill("postfix-hard.eml", &forged, &address(0)));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("ignored") && stdout.contains("signature"),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).contains("bounce ignored"),
        "logged: {}",
        text(&out.stderr)
    );

    // Reader 0's genuine return path in a report about reader 1.
    let out = sent.ingest(
        &["-"],
        &fill(
            "postfix-hard.eml",
            &sent.return_paths[&address(0)],
            &address(1),
        ),
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("ignored") && stdout.contains("another reader"),
        "{stdout}"
    );
    assert_eq!(sent.status_of(0).0, Status::Confirmed);
    assert_eq!(sent.status_of(1).0, Status::Confirmed);

    // No return path of ours at all.
    let out = sent.ingest(
        &["-"],
        &fill("postfix-hard.eml", "someone@elsewhere.example", &address(1)),
    );
    assert!(
        text(&out.stdout).contains("came back to no return path"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_about_a_removed_reader_is_ignored() {
    let sent = sent_to(1).await;
    let out = command(&sent.fixture, &sent.url)
        .args(["subscribers", "remove", &address(0)])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = sent.ingest(&["-"], &sent.fixture_for("gmail-hard.eml", 0));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("not on the list"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_mb_message_is_read_only_to_the_bound_and_its_report_still_counts() {
    let sent = sent_to(1).await;
    let mut big = sent.fixture_for("postfix-hard.eml", 0);
    // The returned headers part grows to 20 MB: the report part before it is what counts.
    let filler = format!("X-Filler: {}\r\n", "x".repeat(990));
    let insert_at = text(&big).find("From: Weekly AI Tool Verdicts").unwrap();
    let tail = big.split_off(insert_at);
    while big.len() < 20 * 1024 * 1024 {
        big.extend_from_slice(filler.as_bytes());
    }
    big.extend_from_slice(&tail);
    let out = sent.ingest(&["-"], &big);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("only its first 2 MB read"), "{stdout}");
    assert_eq!(sent.status_of(0).0, Status::Bounced);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_bounce_address_ingest_refuses_and_send_uses_the_from_address() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let url = server.url();
    let fixture = Fixture::new(Some(&url), &[]);
    fixture.seed(1);
    let out = verdicts(&fixture, &url)
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        server.messages()[0].mail_from,
        "digest@verdicts.example.org"
    );
    let out = verdicts(&fixture, &url)
        .args(["bounces", "ingest", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("bounce_address is not set"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_is_no_mail_exits_8_and_a_bad_bounce_address_is_refused() {
    let sent = sent_to(1).await;
    let out = sent.ingest(&["-"], b"\x00\x01\x02 this is not mail at all");
    assert_eq!(out.status.code(), Some(8), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("not understood"));
    let out = command(&sent.fixture, &sent.url)
        .env(
            "VERDICTS_BOUNCE_ADDRESS",
            "a-very-long-bounce-local-part@news.example.org",
        )
        .args(["check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("bounce_address"),
        "{}",
        text(&out.stderr)
    );
}
