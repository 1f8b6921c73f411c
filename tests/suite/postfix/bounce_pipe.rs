//! README's bounce wiring proven through a real Postfix: the digest goes out through Postfix with `bounce_address`
//! set, a DSN and an ARF complaint come back over SMTP to the return paths Postfix recorded, and Postfix's `pipe`
//! service (configured from README's own snippets, `support/postfix/bounce_pipe.rs`) runs `verdicts bounces
//! ingest` as an unprivileged user on them; a message to two return paths is piped once for each (README's
//! recipient limit); and when the store cannot be written, Postfix keeps the bounce and a flush later records it
//! once.

use std::collections::HashMap;
use std::time::Duration;

use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::Status;

use super::{said, send};
use crate::bounces::{BOUNCE_ADDRESS, fill};
use crate::delivery::{Fixture, address};
use crate::support::postfix::Postfix;
use crate::support::postfix::bounce_pipe::hand_to_pipe_user;

/// How long Postfix may take to hand a message to the pipe (generous: a shared 2-core machine).
const PATIENCE: Duration = Duration::from_secs(90);

/// A store of `n` readers sent the sample week through Postfix with `bounce_address` set, then handed to the
/// pipe's user with a `verdicts.toml` beside it, as README's `/srv/verdicts`.
struct Wired {
    fixture: Fixture,
    postfix: Postfix,
    /// Each reader's return path, from the `Return-Path` Postfix wrote on the delivered copy.
    return_paths: HashMap<String, String>,
}

fn wired(n: usize) -> Option<Wired> {
    let fixture = Fixture::new(None, &[("VERDICTS_BOUNCE_ADDRESS", BOUNCE_ADDRESS)]);
    let postfix = Postfix::start_with_bounce_pipe(fixture.dir.path())?;
    fixture.seed(n);
    let sent = send(
        &fixture,
        &postfix.url(postfix.plain),
        &[("VERDICTS_BOUNCE_ADDRESS", BOUNCE_ADDRESS)],
    );
    assert_eq!(sent.status.code(), Some(0), "{}", said(&sent));
    let return_paths: HashMap<String, String> = postfix
        .delivered(n)
        .iter()
        .map(|message| {
            let path = message.header("Return-Path").unwrap();
            let path = path.trim_matches(['<', '>']).to_string();
            (message.delivered_to(), path)
        })
        .collect();
    assert_eq!(return_paths.len(), n, "{return_paths:?}");
    // The operator's file: only what `ingest` needs, the store named relative to the pipe's `directory=`.
    std::fs::write(
        fixture.dir.path().join("verdicts.toml"),
        format!("database = \"verdicts.db\"\nbounce_address = \"{BOUNCE_ADDRESS}\"\n"),
    )
    .unwrap();
    hand_to_pipe_user(fixture.dir.path());
    Some(Wired {
        fixture,
        postfix,
        return_paths,
    })
}

impl Wired {
    fn status_of(&self, i: usize) -> (Status, Option<String>) {
        let found = self
            .fixture
            .store()
            .find_by_email(&SubscriberEmail::parse(&address(i)).unwrap())
            .unwrap()
            .unwrap();
        (found.status, found.status_reason)
    }

    /// Waits until reader `i` is no longer confirmed; panics with Postfix's log when that never happens.
    fn wait_for_change(&self, i: usize) -> (Status, Option<String>) {
        let changed = self
            .postfix
            .wait_until(PATIENCE, |_| self.status_of(i).0 != Status::Confirmed);
        assert!(
            changed,
            "{} is still confirmed; pipe deliveries: {:#?}\nqueue: {}",
            address(i),
            self.postfix.pipe_deliveries(),
            self.postfix.queue()
        );
        self.status_of(i)
    }

    fn events(&self, i: usize, event: &str) -> usize {
        self.fixture
            .store()
            .consent_history(&SubscriberEmail::parse(&address(i)).unwrap())
            .unwrap()
            .iter()
            .filter(|row| row.event == event)
            .count()
    }
}

#[test]
fn a_dsn_and_a_complaint_sent_to_postfix_reach_the_store_through_the_readme_pipe() {
    let Some(wired) = wired(3) else {
        return;
    };
    let postfix = &wired.postfix;

    let dsn = fill(
        "postfix-hard.eml",
        &wired.return_paths[&address(0)],
        &address(0),
    );
    postfix.inject("", &wired.return_paths[&address(0)], &dsn);
    // A feedback loop writes to the address registered with it, the original (and its return path) attached.
    let arf = fill(
        "yahoo-arf.eml",
        &wired.return_paths[&address(1)],
        &address(1),
    );
    postfix.inject("feedback@arf.mail.yahoo.com", "fbl@news.example.org", &arf);

    let (status, reason) = wired.wait_for_change(0);
    assert_eq!(status, Status::Bounced);
    assert!(
        reason.as_deref().unwrap_or_default().contains("5.1.1"),
        "{reason:?}"
    );
    assert_eq!(wired.wait_for_change(1).0, Status::Complained);
    assert_eq!(wired.status_of(2).0, Status::Confirmed);
    // Both were handed over once each, and neither was deferred or returned on the way (Postfix logs a delivery
    // once the command has exited, a moment after the store's commit).
    postfix.wait_until(PATIENCE, |p| p.pipe_deliveries().len() >= 2);
    let deliveries = postfix.pipe_deliveries();
    assert_eq!(deliveries.len(), 2, "{deliveries:#?}");
    assert!(
        deliveries.iter().all(|line| line.contains("status=sent")),
        "{deliveries:#?}"
    );
}

#[test]
fn a_bounce_sent_to_two_return_paths_at_once_is_piped_once_for_each_and_counts_for_both_readers() {
    let Some(wired) = wired(3) else {
        return;
    };
    let postfix = &wired.postfix;
    let (first, second) = (
        &wired.return_paths[&address(0)],
        &wired.return_paths[&address(1)],
    );
    // A plain (non-DSN) failure notice naming no one: only the envelope recipient says whose it is, so each run of
    // the pipe must get exactly one (README's recipient limit of 1; without it Postfix passes both in one argv).
    let notice = "From: MAILER-DAEMON@mx.old-isp.example\r\nDate: 23 Nov 2026 09:00:09 -0000\r\n\
                  Subject: failure notice\r\n\r\nYour message could not be delivered for a while.\r\n";
    postfix.inject_to_all("", &[first, second], notice.as_bytes());

    assert!(
        postfix.wait_until(PATIENCE, |p| p.pipe_deliveries().len() >= 2),
        "{:#?}",
        postfix.pipe_deliveries()
    );
    let deliveries = postfix.pipe_deliveries();
    assert_eq!(deliveries.len(), 2, "{deliveries:#?}");
    assert!(
        deliveries.iter().all(|line| line.contains("status=sent")),
        "{deliveries:#?}"
    );
    assert_eq!(wired.events(0, "soft-bounce"), 1);
    assert_eq!(wired.events(1, "soft-bounce"), 1);
    assert_eq!(wired.events(2, "soft-bounce"), 0);
}

#[test]
fn a_bounce_postfix_cannot_hand_to_a_locked_store_is_deferred_then_recorded_once_after_a_flush() {
    let Some(wired) = wired(2) else {
        return;
    };
    let postfix = &wired.postfix;
    // A writer holding the store (a long send, a backup) for longer than ingest waits for it.
    let holder = rusqlite::Connection::open(wired.fixture.dir.path().join("verdicts.db")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();

    let dsn = fill(
        "postfix-hard.eml",
        &wired.return_paths[&address(0)],
        &address(0),
    );
    postfix.inject("", &wired.return_paths[&address(0)], &dsn);

    // Deferred for the lock (ingest's exit 75), not for anything else the pipe could fail on.
    let deferred = postfix.wait_until(PATIENCE, |p| {
        p.pipe_deliveries()
            .iter()
            .any(|line| line.contains("status=deferred") && line.contains("database is locked"))
    });
    assert!(deferred, "{:#?}", postfix.pipe_deliveries());
    let queue = postfix.queue();
    assert!(
        queue.contains("bounces+") && queue.contains("temporary failure"),
        "the DSN waits in the queue: {queue}"
    );
    assert!(
        !postfix.log().contains("status=bounced"),
        "{:#?}",
        postfix.pipe_deliveries()
    );
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert_eq!(wired.status_of(0).0, Status::Confirmed);
    assert_eq!(wired.events(0, "bounce"), 0);

    postfix.flush();

    let (status, reason) = wired.wait_for_change(0);
    assert_eq!(status, Status::Bounced);
    assert!(
        reason.as_deref().unwrap_or_default().contains("5.1.1"),
        "{reason:?}"
    );
    assert!(
        postfix.wait_until(PATIENCE, |p| p.queue().contains("Mail queue is empty")),
        "{}",
        postfix.queue()
    );
    let deliveries = postfix.pipe_deliveries();
    assert_eq!(
        deliveries
            .iter()
            .filter(|l| l.contains("status=sent"))
            .count(),
        1,
        "{deliveries:#?}"
    );
    assert!(!postfix.log().contains("status=bounced"), "{deliveries:#?}");
    assert_eq!(wired.events(0, "bounce"), 1);
    assert_eq!(wired.status_of(1).0, Status::Confirmed);
}
