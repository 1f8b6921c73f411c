//! The issue ledger: snapshot on creation, paging due work, recording outcomes, counts and history.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::email_address::SubscriberEmail;
use crate::store::{
    DeliveryResult, IssueComparison, IssueCreated, NewIssue, Outcome, Source, Status, Store,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn add(store: &mut Store, address: &str, status: Status) -> u64 {
    let email = SubscriberEmail::parse(address).unwrap();
    store.add(&email, None, status, Source::Cli, now()).unwrap()
}

fn new_issue(key: &str, window_end: DateTime<Utc>, slugs: &[&str]) -> NewIssue {
    NewIssue {
        key: key.to_string(),
        window_start: window_end - Duration::days(7),
        window_end,
        subject: format!("{key} subject"),
        preheader: "pre".into(),
        html: "<p>html</p>".into(),
        text: "text".into(),
        comparisons: slugs
            .iter()
            .map(|s| IssueComparison {
                slug: s.to_string(),
                title: format!("{s} title"),
            })
            .collect(),
    }
}

fn created(outcome: IssueCreated) -> (crate::store::StoredIssue, u64) {
    match outcome {
        IssueCreated::Created { issue, recipients } => (issue, recipients),
        IssueCreated::Exists(issue) => panic!("{} already existed", issue.issue.key),
        IssueCreated::NoRecipients => panic!("nobody was confirmed"),
    }
}

fn outcome(issue_id: i64, subscriber_id: u64, result: DeliveryResult) -> Outcome {
    Outcome {
        issue_id,
        subscriber_id,
        at: now(),
        result,
    }
}

#[test]
fn creating_an_issue_snapshots_only_confirmed_subscribers() {
    let mut store = Store::open_in_memory().unwrap();
    let ann = add(&mut store, "ann@example.org", Status::Confirmed);
    add(&mut store, "pending@example.org", Status::Pending);
    add(&mut store, "gone@example.org", Status::Unsubscribed);
    let bob = add(&mut store, "bob@example.org", Status::Confirmed);

    let (issue, recipients) = created(
        store
            .create_issue(&new_issue("2026-W48", now(), &["a", "b"]), now())
            .unwrap(),
    );
    assert_eq!(recipients, 2);
    assert_eq!(issue.issue.comparisons.len(), 2);
    assert_eq!(issue.created_at, now());
    let due = store.due_deliveries(issue.id, 0, 10, now()).unwrap();
    let ids: Vec<u64> = due.iter().map(|d| d.subscriber_id).collect();
    assert_eq!(ids, [ann, bob]);
    assert_eq!(due[0].email, "ann@example.org");
    assert_eq!(due[0].attempts, 0);
}

#[test]
fn creating_the_same_week_again_returns_the_existing_issue_unchanged() {
    let mut store = Store::open_in_memory().unwrap();
    add(&mut store, "ann@example.org", Status::Confirmed);
    let (first, _) = created(
        store
            .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
            .unwrap(),
    );
    add(&mut store, "late@example.org", Status::Confirmed);
    match store
        .create_issue(&new_issue("2026-W48", now(), &["other"]), now())
        .unwrap()
    {
        IssueCreated::Exists(issue) => {
            assert_eq!(issue.id, first.id);
            assert_eq!(issue.issue.comparisons[0].slug, "a");
        }
        IssueCreated::Created { .. } | IssueCreated::NoRecipients => panic!("created twice"),
    }
    assert_eq!(store.ledger_counts(first.id).unwrap().total(), 1);
}

#[test]
fn pages_follow_the_last_id_and_skip_what_is_not_due() {
    let mut store = Store::open_in_memory().unwrap();
    let ids: Vec<u64> = (0..5)
        .map(|i| add(&mut store, &format!("r{i}@example.org"), Status::Confirmed))
        .collect();
    let (issue, _) = created(
        store
            .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
            .unwrap(),
    );
    let later = now() + Duration::minutes(5);
    store
        .record(
            &[
                outcome(
                    issue.id,
                    ids[0],
                    DeliveryResult::Sent {
                        reply: "250 ok".into(),
                    },
                ),
                outcome(
                    issue.id,
                    ids[1],
                    DeliveryResult::Deferred {
                        error: "452 full".into(),
                        next_attempt_at: later,
                    },
                ),
            ],
            now(),
        )
        .unwrap();

    let page = store.due_deliveries(issue.id, 0, 2, now()).unwrap();
    let got: Vec<u64> = page.iter().map(|d| d.subscriber_id).collect();
    assert_eq!(got, [ids[2], ids[3]]);
    let page = store.due_deliveries(issue.id, ids[3], 2, now()).unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].subscriber_id, ids[4]);

    let due_later = store.due_deliveries(issue.id, 0, 10, later).unwrap();
    assert_eq!(due_later[0].subscriber_id, ids[1]);
    assert_eq!(due_later[0].attempts, 1);
    assert_eq!(store.next_retry(issue.id).unwrap(), Some(later));
}

#[test]
fn a_permanent_failure_bounces_the_subscriber_but_not_one_who_unsubscribed() {
    let mut store = Store::open_in_memory().unwrap();
    let ann = add(&mut store, "ann@example.org", Status::Confirmed);
    let bob = add(&mut store, "bob@example.org", Status::Confirmed);
    let (issue, _) = created(
        store
            .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
            .unwrap(),
    );
    store
        .unsubscribe(
            &crate::tokens::Link {
                subscriber_id: bob,
                nonce: None,
                issued_at: now(),
            },
            &crate::store::Origin::new(crate::store::Channel::OneClick),
            now(),
        )
        .unwrap();
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
    assert_eq!(
        store.subscriber(ann).unwrap().unwrap().status,
        Status::Bounced
    );
    assert_eq!(
        store.subscriber(bob).unwrap().unwrap().status,
        Status::Unsubscribed
    );
    let counts = store.ledger_counts(issue.id).unwrap();
    assert_eq!(counts.failed, 2);
    assert!(store.complete_issue(issue.id, now()).unwrap());
}

#[test]
fn an_unsubscribe_after_the_snapshot_shows_in_the_due_row() {
    let mut store = Store::open_in_memory().unwrap();
    let ann = add(&mut store, "ann@example.org", Status::Confirmed);
    let (issue, _) = created(
        store
            .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
            .unwrap(),
    );
    store
        .unsubscribe(
            &crate::tokens::Link {
                subscriber_id: ann,
                nonce: None,
                issued_at: now(),
            },
            &crate::store::Origin::new(crate::store::Channel::OneClick),
            now(),
        )
        .unwrap();
    let due = store.due_deliveries(issue.id, 0, 10, now()).unwrap();
    assert_eq!(due[0].status, Status::Unsubscribed);
    store
        .record(
            &[outcome(
                issue.id,
                ann,
                DeliveryResult::Skipped {
                    reason: "unsubscribed".into(),
                },
            )],
            now(),
        )
        .unwrap();
    assert!(
        store
            .due_deliveries(issue.id, 0, 10, now())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn an_issue_is_complete_only_when_nobody_is_pending_or_deferred() {
    let mut store = Store::open_in_memory().unwrap();
    let ann = add(&mut store, "ann@example.org", Status::Confirmed);
    let (issue, _) = created(
        store
            .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
            .unwrap(),
    );
    assert!(!store.complete_issue(issue.id, now()).unwrap());
    store
        .record(
            &[outcome(
                issue.id,
                ann,
                DeliveryResult::Sent {
                    reply: "250 ok".into(),
                },
            )],
            now(),
        )
        .unwrap();
    assert!(store.complete_issue(issue.id, now()).unwrap());
    let status = store.delivery_counts().unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].counts.sent, 1);
    assert_eq!(status[0].completed_at, Some(now()));
}

#[test]
fn history_holds_the_latest_earlier_window_and_every_sent_slug() {
    let mut store = Store::open_in_memory().unwrap();
    add(&mut store, "ann@example.org", Status::Confirmed);
    assert!(store.history(now()).unwrap().previous_window_end.is_none());
    let w47 = now() - Duration::days(7);
    store
        .create_issue(&new_issue("2026-W47", w47, &["a", "b"]), w47)
        .unwrap();
    store
        .create_issue(&new_issue("2026-W48", now(), &["c"]), now())
        .unwrap();
    let history = store.history(now() - Duration::days(1)).unwrap();
    assert_eq!(history.previous_window_end, Some(w47));
    assert!(
        ["a", "b", "c"]
            .iter()
            .all(|s| history.sent_slugs.contains(*s))
    );
    let status = store.delivery_counts().unwrap();
    let keys: Vec<&str> = status.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["2026-W48", "2026-W47"], "newest first");
}

#[test]
fn paging_a_large_ledger_uses_the_primary_key_in_order() {
    let store = Store::open_in_memory().unwrap();
    let plan: Vec<String> = store
        .sqlite()
        .conn
        .prepare(
            "EXPLAIN QUERY PLAN
             SELECT d.subscriber_id, d.email, s.name, s.status, d.attempts
             FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             WHERE d.issue_id = ?1 AND d.subscriber_id > ?2
               AND (+d.state = 'pending' OR (+d.state = 'deferred' AND d.next_attempt_at <= ?3))
             ORDER BY d.subscriber_id LIMIT ?4",
        )
        .unwrap()
        .query_map([1, 0, 0, 10], |row| row.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let plan = plan.join("\n");
    assert!(!plan.contains("TEMP B-TREE"), "sorts each page:\n{plan}");
    assert!(plan.contains("PRIMARY KEY"), "{plan}");
}

#[test]
fn with_nobody_confirmed_no_issue_is_created_and_the_first_window_stays_open() {
    let mut store = Store::open_in_memory().unwrap();
    add(&mut store, "pending@example.org", Status::Pending);
    let w48 = new_issue("2026-W48", now(), &["a"]);
    assert!(matches!(
        store.create_issue(&w48, now()).unwrap(),
        IssueCreated::NoRecipients
    ));
    assert!(store.issue_by_key("2026-W48").unwrap().is_none());
    // A week later the first issue starts where this one would have, so "a" is still in its window.
    let later = now() + Duration::days(7);
    let history = store.history(later).unwrap();
    assert_eq!(history.previous_window_end, Some(w48.window_start));
    assert!(history.sent_slugs.is_empty());
    // A second empty send does not move the start later.
    let w49 = new_issue("2026-W49", later, &["a"]);
    assert!(matches!(
        store.create_issue(&w49, later).unwrap(),
        IssueCreated::NoRecipients
    ));
    assert_eq!(
        store.history(later).unwrap().previous_window_end,
        Some(w48.window_start)
    );
}

#[test]
fn a_subscriber_who_left_after_the_snapshot_is_recorded_skipped_without_an_attempt() {
    let mut store = Store::open_in_memory().unwrap();
    let ann = add(&mut store, "ann@example.org", Status::Confirmed);
    let bob = add(&mut store, "bob@example.org", Status::Confirmed);
    let (issue, _) = created(
        store
            .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
            .unwrap(),
    );
    let outcomes = [
        outcome(
            issue.id,
            ann,
            DeliveryResult::Skipped {
                reason: "left".into(),
            },
        ),
        outcome(
            issue.id,
            bob,
            DeliveryResult::Sent {
                reply: "250 ok".into(),
            },
        ),
    ];
    store.record(&outcomes, now()).unwrap();
    let counts = store.ledger_counts(issue.id).unwrap();
    assert_eq!((counts.skipped, counts.sent, counts.failed), (1, 1, 0));
    assert!(store.complete_issue(issue.id, now()).unwrap());
    assert_eq!(store.delivery_counts().unwrap()[0].counts.skipped, 1);
}
