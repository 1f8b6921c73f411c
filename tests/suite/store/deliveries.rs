//! The delivery ledger: paging due work, recording what the relay said (bounces included), completing an issue,
//! and the counts `verdicts status` shows.

use chrono::Duration;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{Channel, DeliveryResult, Origin, Status, Store};
use weekly_verdicts::tokens::Link;

use crate::store::issue_fixtures::{add, created, new_issue, now, outcome, sent};
use crate::support::postgres::backends;

fn unsubscribe(store: &mut Store, subscriber_id: u64) {
    let link = Link {
        subscriber_id,
        nonce: None,
        issued_at: now(),
    };
    store
        .unsubscribe(&link, &Origin::new(Channel::OneClick), now())
        .unwrap();
}

#[test]
fn pages_follow_the_last_id_and_skip_what_is_not_due() {
    for backend in backends("pages_follow_the_last_id_and_skip_what_is_not_due") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        let ids: Vec<u64> = (0..5)
            .map(|i| add(&mut store, &format!("r{i}@example.org"), Status::Confirmed))
            .collect();
        let (issue, _) = created(
            store
                .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
                .unwrap(),
            name,
        );
        let later = now() + Duration::minutes(5);
        let deferred = DeliveryResult::Deferred {
            error: "452 full".into(),
            next_attempt_at: later,
        };
        store
            .record(
                &[
                    outcome(issue.id, ids[0], sent()),
                    outcome(issue.id, ids[1], deferred),
                ],
                now(),
            )
            .unwrap();

        let page = store.due_deliveries(issue.id, 0, 2, now()).unwrap();
        let got: Vec<u64> = page.iter().map(|d| d.subscriber_id).collect();
        assert_eq!(got, [ids[2], ids[3]], "{name}");
        let page = store.due_deliveries(issue.id, ids[3], 2, now()).unwrap();
        let got: Vec<u64> = page.iter().map(|d| d.subscriber_id).collect();
        assert_eq!(got, [ids[4]], "{name}");

        let due_later = store.due_deliveries(issue.id, 0, 10, later).unwrap();
        assert_eq!(due_later[0].subscriber_id, ids[1], "{name}");
        assert_eq!(due_later[0].attempts, 1, "{name}");
        assert_eq!(due_later.len(), 4, "{name}");
        assert_eq!(store.next_retry(issue.id).unwrap(), Some(later), "{name}");
        let counts = store.ledger_counts(issue.id).unwrap();
        assert_eq!(
            (counts.pending, counts.sent, counts.deferred),
            (3, 1, 1),
            "{name}"
        );
    }
}

#[test]
fn a_permanent_failure_bounces_the_subscriber_but_not_one_who_unsubscribed() {
    for backend in backends("a_permanent_failure_bounces_the_subscriber") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        let bob = add(&mut store, "bob@example.org", Status::Confirmed);
        let (issue, _) = created(
            store
                .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
                .unwrap(),
            name,
        );
        unsubscribe(&mut store, bob);
        let failed = |id| {
            outcome(
                issue.id,
                id,
                DeliveryResult::Failed {
                    error: "550 no such user".into(),
                    bounce: true,
                },
            )
        };
        store.record(&[failed(ann), failed(bob)], now()).unwrap();
        let ann_now = store.subscriber(ann).unwrap().unwrap();
        assert_eq!(ann_now.status, Status::Bounced, "{name}");
        let bob_now = store.subscriber(bob).unwrap().unwrap();
        assert_eq!(bob_now.status, Status::Unsubscribed, "{name}");
        let ann_email = SubscriberEmail::parse(&ann_now.email).unwrap();
        let history = store.consent_history(&ann_email).unwrap();
        let last = history.last().unwrap();
        assert_eq!(
            (
                last.event.as_str(),
                last.channel.as_str(),
                last.detail.as_deref()
            ),
            ("bounce", "relay", Some("550 no such user")),
            "{name}"
        );
        let bob_email = SubscriberEmail::parse(&bob_now.email).unwrap();
        let bob_history = store.consent_history(&bob_email).unwrap();
        assert!(bob_history.iter().all(|e| e.event != "bounce"), "{name}");
        let counts = store.ledger_counts(issue.id).unwrap();
        assert_eq!(counts.failed, 2, "{name}");
        assert!(store.complete_issue(issue.id, now()).unwrap(), "{name}");
    }
}

#[test]
fn an_unsubscribe_after_the_snapshot_shows_in_the_due_row() {
    for backend in backends("an_unsubscribe_after_the_snapshot_shows_in_the_due_row") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        let (issue, _) = created(
            store
                .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
                .unwrap(),
            name,
        );
        unsubscribe(&mut store, ann);
        let due = store.due_deliveries(issue.id, 0, 10, now()).unwrap();
        assert_eq!(due[0].status, Status::Unsubscribed, "{name}");
        let skipped = DeliveryResult::Skipped {
            reason: "unsubscribed".into(),
        };
        store
            .record(&[outcome(issue.id, ann, skipped)], now())
            .unwrap();
        assert!(
            store
                .due_deliveries(issue.id, 0, 10, now())
                .unwrap()
                .is_empty(),
            "{name}"
        );
    }
}

#[test]
fn an_issue_is_complete_only_when_nobody_is_pending_or_deferred() {
    for backend in backends("an_issue_is_complete_only_when_nobody_is_pending") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        let (issue, _) = created(
            store
                .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
                .unwrap(),
            name,
        );
        assert!(!store.complete_issue(issue.id, now()).unwrap(), "{name}");
        store
            .record(&[outcome(issue.id, ann, sent())], now())
            .unwrap();
        assert!(store.complete_issue(issue.id, now()).unwrap(), "{name}");
        let later = now() + Duration::hours(1);
        assert!(store.complete_issue(issue.id, later).unwrap(), "{name}");
        let status = store.delivery_counts().unwrap();
        assert_eq!(status.len(), 1, "{name}");
        assert_eq!(status[0].counts.sent, 1, "{name}");
        assert_eq!(
            status[0].completed_at,
            Some(now()),
            "{name}: the first completion stays"
        );
    }
}

#[test]
fn a_subscriber_who_left_after_the_snapshot_is_recorded_skipped_without_an_attempt() {
    for backend in backends("a_subscriber_who_left_after_the_snapshot_is_recorded_skipped") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        let bob = add(&mut store, "bob@example.org", Status::Confirmed);
        let (issue, _) = created(
            store
                .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
                .unwrap(),
            name,
        );
        let skipped = DeliveryResult::Skipped {
            reason: "left".into(),
        };
        let outcomes = [
            outcome(issue.id, ann, skipped),
            outcome(issue.id, bob, sent()),
        ];
        store.record(&outcomes, now()).unwrap();
        let counts = store.ledger_counts(issue.id).unwrap();
        assert_eq!(
            (counts.skipped, counts.sent, counts.failed),
            (1, 1, 0),
            "{name}"
        );
        assert!(store.complete_issue(issue.id, now()).unwrap(), "{name}");
        assert_eq!(
            store.delivery_counts().unwrap()[0].counts.skipped,
            1,
            "{name}"
        );
    }
}

#[test]
fn a_paused_issue_shows_why_until_a_run_resumes_it() {
    for backend in backends("a_paused_issue_shows_why_until_a_run_resumes_it") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        add(&mut store, "ann@example.org", Status::Confirmed);
        let (issue, _) = created(
            store
                .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
                .unwrap(),
            name,
        );
        store.pause_issue(issue.id, "421 try later", now()).unwrap();
        let status = store.delivery_counts().unwrap();
        assert_eq!(
            status[0].paused,
            Some((now(), "421 try later".to_string())),
            "{name}"
        );
        assert_eq!(status[0].counts.pending, 1, "{name}");
        store.resume_issue(issue.id).unwrap();
        assert_eq!(store.delivery_counts().unwrap()[0].paused, None, "{name}");
    }
}
