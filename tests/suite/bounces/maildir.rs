//! `bounces ingest --maildir`: every new message handled and moved to cur/, unreadable ones moved aside, a message
//! whose report was recorded before a crash handled again without counting twice, and a real kill -9 part-way.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use weekly_verdicts::store::Status;

use super::{command, sent_to, text};
use crate::delivery::address;

fn maildir(root: &Path) -> PathBuf {
    let dir = root.join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        fs::create_dir_all(dir.join(sub)).unwrap();
    }
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_new_message_is_handled_once_and_moved_and_junk_is_moved_aside() {
    let sent = sent_to(3).await;
    let dir = maildir(sent.fixture.dir.path());
    fs::write(
        dir.join("new/1.M1.host"),
        sent.fixture_for("postfix-hard.eml", 0),
    )
    .unwrap();
    fs::write(
        dir.join("new/2.M2.host"),
        sent.fixture_for("microsoft-arf.eml", 1),
    )
    .unwrap();
    fs::write(dir.join("new/3.M3.host"), b"\x00\x01 not mail").unwrap();
    fs::write(dir.join("tmp/4.M4.host"), b"still being written").unwrap();

    let out = sent.ingest(&["--maildir", dir.to_str().unwrap()], b"");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(8), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("1.M1.host: dsn for")
            && stdout.contains("3.M3.host: not understood")
            && stdout.contains("(subscriber 1, issue 2026-W47)"),
        "{stdout}"
    );
    assert_eq!(names(&dir.join("new")), Vec::<String>::new());
    assert_eq!(names(&dir.join("cur")), ["1.M1.host:2,S", "2.M2.host:2,S"]);
    assert_eq!(names(&dir.join(".not-understood/cur")), ["3.M3.host:2,S"]);
    assert_eq!(names(&dir.join("tmp")), ["4.M4.host"]);
    assert_eq!(sent.status_of(0).0, Status::Bounced);
    assert_eq!(sent.status_of(1).0, Status::Complained);

    // Nothing new: a second run does nothing and succeeds; the junk is not retried.
    let again = sent.ingest(&["--maildir", dir.to_str().unwrap()], b"");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
    assert_eq!(text(&again.stdout), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_recorded_before_a_crash_is_handled_again_without_counting_twice() {
    let sent = sent_to(1).await;
    let dir = maildir(sent.fixture.dir.path());
    let message = dir.join("new/1.M1.host");
    fs::write(&message, sent.fixture_for("exim-delayed.eml", 0)).unwrap();
    // The store write happened (as if the process died before its rename): the same file, ingested directly.
    let first = sent.ingest(&[message.to_str().unwrap()], b"");
    assert!(
        text(&first.stdout).contains("soft bounce counted (1 in a row)"),
        "{}",
        text(&first.stdout)
    );

    let out = sent.ingest(&["--maildir", dir.to_str().unwrap()], b"");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("already-done"), "{stdout}");
    assert_eq!(names(&dir.join("cur")), ["1.M1.host:2,S"]);
    let history = sent
        .fixture
        .store()
        .consent_history(
            &weekly_verdicts::email_address::SubscriberEmail::parse(&address(0)).unwrap(),
        )
        .unwrap();
    assert_eq!(
        history.iter().filter(|r| r.event == "soft-bounce").count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_part_way_loses_nothing_and_counts_nothing_twice() {
    const N: usize = 150;
    let sent = sent_to(N).await;
    let dir = maildir(sent.fixture.dir.path());
    for i in 0..N {
        fs::write(
            dir.join(format!("new/{i:04}.M.host")),
            sent.fixture_for("postfix-hard.eml", i),
        )
        .unwrap();
    }
    let mut child = command(&sent.fixture, &sent.url)
        .args(["bounces", "ingest", "--maildir", dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once it has moved some (wherever it is then: between a commit and its rename, or elsewhere).
    while names(&dir.join("cur")).len() < 10 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let out = sent.ingest(&["--maildir", dir.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(names(&dir.join("new")).is_empty());
    assert_eq!(names(&dir.join("cur")).len(), N);
    let store = sent.fixture.store();
    for i in 0..N {
        let email = weekly_verdicts::email_address::SubscriberEmail::parse(&address(i)).unwrap();
        assert_eq!(
            store.find_by_email(&email).unwrap().unwrap().status,
            Status::Bounced
        );
        let bounces = store
            .consent_history(&email)
            .unwrap()
            .iter()
            .filter(|r| r.event == "bounce")
            .count();
        assert_eq!(bounces, 1, "{}", address(i));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_that_is_no_maildir_or_a_missing_file_exits_1_without_reading_anything() {
    let sent = sent_to(1).await;
    let not_maildir = sent.fixture.dir.path().join("nothing-here");
    let out = sent.ingest(&["--maildir", not_maildir.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("is not a Maildir"));
    let out = sent.ingest(&[not_maildir.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}
