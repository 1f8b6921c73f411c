//! Bounces and complaints reported after the send (`Store::record_bounce_report`), on each backend: a hard bounce,
//! soft bounces over consecutive issues, complaints that neither the form, an import nor an unsubscribe link undo,
//! the same report twice, and two reports for one reader at once.

use std::sync::Barrier;
use std::thread;

use chrono::Duration;
use weekly_verdicts::content::Categories;
use weekly_verdicts::store::{
    BounceKind, BounceReport, Database, ImportRow, ReportOutcome, ReportSource, Restore, Status,
    Store, SubscribeKind, UnsubscribeOutcome,
};

use crate::store::issue_fixtures::{add, created, new_issue, now, outcome, sent};
use crate::store::people::{confirm, email, subscribe, unsubscribe};
use crate::support::postgres::backends;

const LIMIT: u32 = 3;

/// Creates issue `n` (week 40 + n) for everyone confirmed and records it sent to them all.
fn send_issue(store: &mut Store, n: i64) -> i64 {
    let key = format!("2026-W{}", 40 + n);
    let end = now() + Duration::weeks(n);
    let (issue, _) = created(
        store.create_issue(&new_issue(&key, end, &[]), end).unwrap(),
        store.backend_name(),
    );
    let outcomes: Vec<_> = store
        .list(Some(Status::Confirmed))
        .unwrap()
        .iter()
        .map(|s| outcome(issue.id, s.id, sent()))
        .collect();
    store.record(&outcomes, end).unwrap();
    issue.id
}

fn report(id: u64, issue: Option<i64>, kind: BounceKind) -> BounceReport {
    BounceReport {
        subscriber_id: id,
        issue_id: issue,
        kind,
        reason: match kind {
            BounceKind::Hard => "5.1.1 user unknown".into(),
            BounceKind::Soft => "4.2.2 mailbox full".into(),
            BounceKind::Complaint => "abuse".into(),
        },
        source: ReportSource::Dsn,
    }
}

fn events(store: &Store, address: &str) -> Vec<String> {
    store
        .consent_history(&email(address))
        .unwrap()
        .into_iter()
        .map(|r| format!("{} {} {}", r.event, r.channel, r.detail.unwrap_or_default()))
        .collect()
}

#[test]
fn a_hard_bounce_marks_the_reader_bounced_with_its_reason_once() {
    for backend in backends("a_hard_bounce_marks_the_reader_bounced") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        let bob = add(&mut store, "bob@example.org", Status::Confirmed);
        let issue = send_issue(&mut store, 1);

        let hard = report(ann, Some(issue), BounceKind::Hard);
        let first = store.record_bounce_report(&hard, LIMIT, now()).unwrap();
        let again = store.record_bounce_report(&hard, LIMIT, now()).unwrap();

        let name = backend.name;
        assert_eq!(first, ReportOutcome::Bounced, "{name}");
        assert_eq!(again, ReportOutcome::AlreadyDone, "{name}");
        let found = store.subscriber(ann).unwrap().unwrap();
        assert_eq!(found.status, Status::Bounced, "{name}");
        assert_eq!(
            found.status_reason.as_deref(),
            Some("5.1.1 user unknown"),
            "{name}"
        );
        assert_eq!(
            store.subscriber(bob).unwrap().unwrap().status,
            Status::Confirmed
        );
        let history = events(&store, "ann@example.org");
        assert_eq!(
            history.last().unwrap(),
            "bounce bounce-mail 5.1.1 user unknown (dsn, issue 2026-W41)",
            "{name}"
        );
        assert_eq!(
            history.iter().filter(|e| e.starts_with("bounce ")).count(),
            1
        );
        let counts = store.report_counts().unwrap();
        assert_eq!(counts.len(), 1, "{name}");
        assert_eq!(
            (counts[0].0.as_str(), counts[0].1.hard),
            ("2026-W41", 1),
            "{name}"
        );
        // The next issue skips the bounced reader.
        let next = send_issue(&mut store, 2);
        assert_eq!(store.ledger_counts(next).unwrap().total(), 1, "{name}");
    }
}

#[test]
fn soft_bounces_in_consecutive_issues_bounce_the_reader_at_the_limit() {
    for backend in backends("soft_bounces_in_consecutive_issues") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        let name = backend.name;
        let issues: Vec<i64> = (1..=3).map(|n| send_issue(&mut store, n)).collect();

        let soft = |issue| report(ann, Some(issue), BounceKind::Soft);
        let mut outcomes = Vec::new();
        outcomes.push(
            store
                .record_bounce_report(&soft(issues[0]), LIMIT, now())
                .unwrap(),
        );
        // A second DSN about the same issue (a delay notice, then the final one) counts once.
        outcomes.push(
            store
                .record_bounce_report(&soft(issues[0]), LIMIT, now())
                .unwrap(),
        );
        outcomes.push(
            store
                .record_bounce_report(&soft(issues[1]), LIMIT, now())
                .unwrap(),
        );
        assert_eq!(
            store.subscriber(ann).unwrap().unwrap().status,
            Status::Confirmed
        );
        outcomes.push(
            store
                .record_bounce_report(&soft(issues[2]), LIMIT, now())
                .unwrap(),
        );

        assert_eq!(
            outcomes,
            [
                ReportOutcome::SoftCounted(1),
                ReportOutcome::AlreadyDone,
                ReportOutcome::SoftCounted(2),
                ReportOutcome::Bounced
            ],
            "{name}"
        );
        let found = store.subscriber(ann).unwrap().unwrap();
        assert_eq!(found.status, Status::Bounced, "{name}");
        assert!(
            found
                .status_reason
                .as_deref()
                .unwrap()
                .starts_with("3 consecutive issues soft-bounced"),
            "{name}: {:?}",
            found.status_reason
        );
        let history = events(&store, "ann@example.org");
        assert!(
            history
                .iter()
                .any(|e| e.starts_with("soft-bounce bounce-mail soft bounce 2 of 3")),
            "{name}: {history:?}"
        );
    }
}

#[test]
fn an_issue_delivered_between_soft_bounces_starts_the_count_again() {
    for backend in backends("an_issue_delivered_between_soft_bounces") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        let issues: Vec<i64> = (1..=4).map(|n| send_issue(&mut store, n)).collect();
        let soft = |issue| report(ann, Some(issue), BounceKind::Soft);
        store
            .record_bounce_report(&soft(issues[0]), LIMIT, now())
            .unwrap();
        store
            .record_bounce_report(&soft(issues[1]), LIMIT, now())
            .unwrap();
        // Issue 3 was delivered: no bounce came back for it.
        let fourth = store
            .record_bounce_report(&soft(issues[3]), LIMIT, now())
            .unwrap();
        assert_eq!(fourth, ReportOutcome::SoftCounted(1), "{}", backend.name);
    }
}

#[test]
fn a_report_without_an_issue_counts_against_the_newest_issue_the_reader_was_sent() {
    for backend in backends("a_report_without_an_issue_counts_against_the_newest") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        send_issue(&mut store, 1);
        send_issue(&mut store, 2);
        let mut webhook = report(ann, None, BounceKind::Complaint);
        webhook.source = ReportSource::Postmark;
        assert_eq!(
            store.record_bounce_report(&webhook, LIMIT, now()).unwrap(),
            ReportOutcome::Complained
        );
        let counts = store.report_counts().unwrap();
        assert_eq!(counts.len(), 1, "{}", backend.name);
        assert_eq!(
            (counts[0].0.as_str(), counts[0].1.complaints),
            ("2026-W42", 1)
        );
        assert!(
            events(&store, "ann@example.org")
                .last()
                .unwrap()
                .starts_with("complaint webhook")
        );
    }
}

#[test]
fn a_complaint_stays_through_the_form_an_import_and_an_unsubscribe_link_until_the_reader_confirms()
{
    for backend in backends("a_complaint_stays_through_the_form_an_import") {
        let mut store = Store::open(&backend.database).unwrap();
        let name = backend.name;
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        let issue = send_issue(&mut store, 1);
        let complaint = report(ann, Some(issue), BounceKind::Complaint);
        assert_eq!(
            store
                .record_bounce_report(&complaint, LIMIT, now())
                .unwrap(),
            ReportOutcome::Complained,
            "{name}"
        );
        let found = store.subscriber(ann).unwrap().unwrap();
        assert_eq!(found.status, Status::Complained, "{name}");
        assert!(found.unsubscribed_at.is_some(), "{name}");

        // Neither an unsubscribe link nor an import clears the flag.
        assert_eq!(
            unsubscribe(&mut store, ann, now()),
            UnsubscribeOutcome::AlreadyUnsubscribed,
            "{name}"
        );
        let row = ImportRow {
            email: email("ann@example.org"),
            name: None,
            status: Status::Confirmed,
            categories: Categories::everything(),
            created_at: None,
            confirmed_at: None,
        };
        let summary = store.import(&[row], now()).unwrap();
        assert_eq!(summary.skipped_existing, 1, "{name}");
        assert_eq!(
            store.subscriber(ann).unwrap().unwrap().status,
            Status::Complained
        );
        // Nor do a restore (not a bounce) or a bounce.
        let restored = store
            .restore_bounced(&[email("ann@example.org")], now())
            .unwrap();
        assert!(
            matches!(
                &restored[0],
                Restore::NotBounced {
                    status: Status::Complained,
                    ..
                }
            ),
            "{name}: {restored:?}"
        );
        let hard = report(ann, Some(issue), BounceKind::Hard);
        assert_eq!(
            store.record_bounce_report(&hard, LIMIT, now()).unwrap(),
            ReportOutcome::AlreadyDone
        );

        // The form only queues a confirmation mail; following it is the reader confirming again.
        let later = now() + Duration::hours(1);
        let asked = subscribe(&mut store, "ann@example.org", later);
        assert_eq!(asked.kind, SubscribeKind::Resubscribed, "{name}");
        assert!(asked.should_send_confirmation, "{name}");
        assert_eq!(
            store.subscriber(ann).unwrap().unwrap().status,
            Status::Complained
        );
        confirm(&mut store, ann, later);
        let found = store.subscriber(ann).unwrap().unwrap();
        assert_eq!(found.status, Status::Confirmed, "{name}");
        assert_eq!(found.status_reason, None, "{name}");
    }
}

#[test]
fn a_report_for_an_id_not_on_the_list_records_nothing() {
    for backend in backends("a_report_for_an_id_not_on_the_list") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        store.remove(&email("ann@example.org"), now()).unwrap();
        for id in [ann, 999_999, u64::MAX] {
            let outcome = store
                .record_bounce_report(&report(id, None, BounceKind::Hard), LIMIT, now())
                .unwrap();
            assert_eq!(outcome, ReportOutcome::NotOnList, "{}", backend.name);
        }
        assert!(store.report_counts().unwrap().is_empty());
    }
}

#[test]
fn an_imported_complained_row_is_added_as_complained_and_unsubscribed() {
    for backend in backends("an_imported_complained_row") {
        let mut store = Store::open(&backend.database).unwrap();
        let row = ImportRow {
            email: email("cat@example.org"),
            name: None,
            status: Status::Complained,
            categories: Categories::everything(),
            created_at: None,
            confirmed_at: None,
        };
        store.import(&[row], now()).unwrap();
        let found = store
            .find_by_email(&email("cat@example.org"))
            .unwrap()
            .unwrap();
        assert_eq!(found.status, Status::Complained, "{}", backend.name);
        assert!(found.unsubscribed_at.is_some(), "{}", backend.name);
        let counts = store.count_by_status().unwrap();
        assert!(counts.contains(&(Status::Complained, 1)), "{counts:?}");
    }
}

const THREADS: usize = 8;

/// Runs `work` on `THREADS` connections of their own, released together.
fn at_once<T: Send>(database: &Database, work: impl Fn(&mut Store, usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(THREADS);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let barrier = &barrier;
                let work = &work;
                scope.spawn(move || {
                    let mut store = Store::open(database).unwrap();
                    barrier.wait();
                    work(&mut store, i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn reports_about_one_reader_handled_at_once_apply_once() {
    for backend in backends("reports_about_one_reader_handled_at_once") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        let bob = add(&mut store, "bob@example.org", Status::Confirmed);
        let issue = send_issue(&mut store, 1);
        drop(store);

        // The same hard bounce for Ann, and a complaint or a hard bounce for Bob, from several processes.
        let outcomes = at_once(&backend.database, |store, i| {
            let ann_says = store
                .record_bounce_report(&report(ann, Some(issue), BounceKind::Hard), LIMIT, now())
                .unwrap();
            let kind = if i % 2 == 0 {
                BounceKind::Complaint
            } else {
                BounceKind::Hard
            };
            let bob_says = store
                .record_bounce_report(&report(bob, Some(issue), kind), LIMIT, now())
                .unwrap();
            (ann_says, bob_says)
        });

        let name = backend.name;
        let store = Store::open(&backend.database).unwrap();
        let bounced = outcomes
            .iter()
            .filter(|(a, _)| *a == ReportOutcome::Bounced)
            .count();
        assert_eq!(bounced, 1, "{name}: {outcomes:?}");
        let complained = outcomes
            .iter()
            .filter(|(_, b)| *b == ReportOutcome::Complained)
            .count();
        assert_eq!(complained, 1, "{name}: {outcomes:?}");
        assert_eq!(
            store.subscriber(bob).unwrap().unwrap().status,
            Status::Complained
        );
        let history = events(&store, "ann@example.org");
        assert_eq!(
            history.iter().filter(|e| e.starts_with("bounce ")).count(),
            1,
            "{name}"
        );
        let history = events(&store, "bob@example.org");
        assert_eq!(
            history
                .iter()
                .filter(|e| e.starts_with("complaint "))
                .count(),
            1,
            "{name}"
        );
        let counts = store.report_counts().unwrap();
        assert_eq!(counts[0].1.hard, 2, "{name}: one each for Ann and Bob");
        assert_eq!(counts[0].1.complaints, 1, "{name}");
    }
}
