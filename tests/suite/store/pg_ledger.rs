//! The issue and ledger code on PostgreSQL alone: what only several processes sharing one database can do to it
//! (create the same week at once), and the ledger checked row by row in SQL, with subscribers inserted straight
//! in SQL so that these cases do not lean on the subscriber code.

use std::sync::{Arc, Barrier};

use chrono::Duration;
use weekly_verdicts::store::{DeliveryResult, IssueCreated, Store};

use crate::store::issue_fixtures::{
    created, insert_confirmed_pg, new_issue, now, outcome, pg_client, sent,
};
use crate::support::postgres::fresh_database;

#[test]
fn senders_creating_the_same_week_at_once_make_one_issue_with_one_ledger() {
    let Some(database) = fresh_database("senders_creating_the_same_week_at_once") else {
        return;
    };
    Store::open(&database).unwrap();
    insert_confirmed_pg(&database, 1, 2_000);
    let senders = 4;
    let barrier = Arc::new(Barrier::new(senders));
    let handles: Vec<_> = (0..senders)
        .map(|_| {
            let (database, barrier) = (database.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut store = Store::open(&database).unwrap();
                barrier.wait();
                store
                    .create_issue(&new_issue("2026-W48", now(), &["a", "b"]), now())
                    .unwrap()
            })
        })
        .collect();
    let outcomes: Vec<IssueCreated> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let created: Vec<_> = outcomes
        .iter()
        .filter_map(|o| match o {
            IssueCreated::Created { issue, recipients } => Some((issue.id, *recipients)),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    let (id, recipients) = created[0];
    assert_eq!(recipients, 2_000);
    for outcome in &outcomes {
        match outcome {
            IssueCreated::Created { .. } => {}
            IssueCreated::Exists(issue) => {
                assert_eq!(issue.id, id);
                assert_eq!(issue.issue.comparisons.len(), 2);
            }
            IssueCreated::NoRecipients => panic!("{outcomes:?}"),
        }
    }
    let mut client = pg_client(&database);
    let counts: (i64, i64, i64) = {
        let row = client
            .query_one(
                "SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM deliveries),
                        (SELECT count(*) FROM issue_comparisons)",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1), row.get(2))
    };
    assert_eq!(counts, (1, 2_000, 2));
}

#[test]
fn recording_outcomes_updates_each_row_ends_its_claim_and_bounces_the_address() {
    let Some(database) = fresh_database("recording_outcomes_updates_each_row") else {
        return;
    };
    let mut store = Store::open(&database).unwrap();
    // Nobody yet: no issue, and the first window stays open.
    let w48 = new_issue("2026-W48", now(), &["a"]);
    assert!(matches!(
        store.create_issue(&w48, now()).unwrap(),
        IssueCreated::NoRecipients
    ));
    assert_eq!(
        store.history(now()).unwrap().previous_window_end,
        Some(w48.window_start)
    );
    let ids = insert_confirmed_pg(&database, 1, 7);
    let (issue, recipients) = created(store.create_issue(&w48, now()).unwrap(), "PostgreSQL");
    assert_eq!(recipients, 7);
    let mut client = pg_client(&database);
    // Another sender's claims on every row: recording ends them.
    client
        .execute(
            "UPDATE deliveries SET claimed_by = 'other', claim_expires_at = $1",
            &[&now()],
        )
        .unwrap();

    let later = now() + Duration::minutes(5);
    let deferred = DeliveryResult::Deferred {
        error: "452 full".into(),
        next_attempt_at: later,
    };
    let bounced = DeliveryResult::Failed {
        error: "550 no such user".into(),
        bounce: true,
    };
    let failed = DeliveryResult::Failed {
        error: "554 rejected".into(),
        bounce: false,
    };
    let skipped = DeliveryResult::Skipped {
        reason: "left".into(),
    };
    store
        .record(
            &[
                outcome(issue.id, ids[0], sent()),
                outcome(issue.id, ids[1], deferred.clone()),
                outcome(issue.id, ids[2], bounced),
                outcome(issue.id, ids[3], failed),
                outcome(issue.id, ids[4], skipped),
                // The same row twice in one batch: both count, in order.
                outcome(issue.id, ids[1], sent()),
                outcome(issue.id, ids[5], deferred),
            ],
            now(),
        )
        .unwrap();

    let rows = client
        .query(
            "SELECT subscriber_id, state, attempts, last_error, relay_reply, sent_at, next_attempt_at,
                    claimed_by, claim_expires_at IS NULL
             FROM deliveries WHERE subscriber_id <> $1 ORDER BY subscriber_id",
            &[&(ids[6] as i64)],
        )
        .unwrap();
    let seen: Vec<(String, i32, Option<String>, Option<String>)> = rows
        .iter()
        .map(|row| (row.get(1), row.get(2), row.get(3), row.get(4)))
        .collect();
    let text = |s: &str| Some(s.to_string());
    assert_eq!(
        seen,
        [
            ("sent".into(), 1, None, text("250 ok")),
            ("sent".into(), 2, text("452 full"), text("250 ok")),
            ("failed".into(), 1, text("550 no such user"), None),
            ("failed".into(), 1, text("554 rejected"), None),
            ("skipped".into(), 0, text("left"), None),
            ("deferred".into(), 1, text("452 full"), None),
        ]
    );
    for row in &rows {
        assert_eq!(row.get::<_, Option<String>>(7), None, "claim ended");
        assert!(row.get::<_, bool>(8), "claim expiry cleared");
    }
    assert_eq!(
        rows[0].get::<_, Option<chrono::DateTime<chrono::Utc>>>(5),
        Some(now())
    );
    assert_eq!(
        rows[5].get::<_, Option<chrono::DateTime<chrono::Utc>>>(6),
        Some(later)
    );

    // A row the batch did not hold keeps its claim.
    let untouched = client
        .query_one(
            "SELECT state, claimed_by FROM deliveries WHERE subscriber_id = $1",
            &[&(ids[6] as i64)],
        )
        .unwrap();
    assert_eq!(
        (
            untouched.get::<_, &str>(0),
            untouched.get::<_, Option<&str>>(1)
        ),
        ("pending", Some("other"))
    );
    store
        .record(&[outcome(issue.id, ids[6], sent())], now())
        .unwrap();

    let statuses: Vec<String> = client
        .query("SELECT status FROM subscribers ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(statuses.iter().filter(|s| *s == "bounced").count(), 1);
    assert_eq!(statuses[2], "bounced");
    let events = client
        .query(
            "SELECT subscriber_id, event, channel, detail FROM consent_events",
            &[],
        )
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].get::<_, i64>(0), ids[2] as i64);
    assert_eq!(
        (
            events[0].get::<_, &str>(1),
            events[0].get::<_, &str>(2),
            events[0].get::<_, Option<&str>>(3)
        ),
        ("bounce", "relay", Some("550 no such user"))
    );

    let counts = store.ledger_counts(issue.id).unwrap();
    assert_eq!(
        (
            counts.sent,
            counts.deferred,
            counts.failed,
            counts.skipped,
            counts.pending
        ),
        (3, 1, 2, 1, 0)
    );
    assert_eq!(store.next_retry(issue.id).unwrap(), Some(later));
    assert!(
        store
            .due_deliveries(issue.id, 0, 10, now())
            .unwrap()
            .is_empty()
    );
    let due = store.due_deliveries(issue.id, 0, 10, later).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].subscriber_id, due[0].attempts), (ids[5], 1));
    assert!(!store.complete_issue(issue.id, now()).unwrap());
    store
        .record(&[outcome(issue.id, ids[5], sent())], later)
        .unwrap();
    assert!(store.complete_issue(issue.id, later).unwrap());
    let status = store.delivery_counts().unwrap();
    assert_eq!(status[0].completed_at, Some(later));
    assert_eq!(status[0].next_attempt_at, None);
}

#[test]
fn paging_a_ledger_walks_the_primary_key_in_order_without_sorting() {
    let Some(database) = fresh_database("paging_a_ledger_walks_the_primary_key") else {
        return;
    };
    let mut store = Store::open(&database).unwrap();
    insert_confirmed_pg(&database, 1, 20_000);
    // Last week's issue too: a year of them is the usual ledger.
    let w47 = now() - Duration::days(7);
    store
        .create_issue(&new_issue("2026-W47", w47, &["a"]), w47)
        .unwrap();
    let (issue, _) = created(
        store
            .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
            .unwrap(),
        "PostgreSQL",
    );
    let mut client = pg_client(&database);
    client.batch_execute("ANALYZE").unwrap();
    // The query of `due_deliveries` (postgres/deliveries.rs), halfway through a pass.
    let plan: Vec<String> = client
        .query(
            "EXPLAIN ANALYZE SELECT d.subscriber_id, d.email, s.name, s.status, d.attempts
             FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             WHERE d.issue_id = $1 AND d.subscriber_id > $2 AND s.id > $2
               AND (d.state = 'pending' OR (d.state = 'deferred' AND d.next_attempt_at <= $3))
             ORDER BY d.subscriber_id
             LIMIT $4",
            &[&issue.id, &10_000i64, &now(), &500i64],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let plan = plan.join("\n");
    assert!(!plan.contains("Sort"), "sorts each page:\n{plan}");
    assert!(plan.contains("deliveries_pkey"), "{plan}");
    // Each page reads about a page of subscribers, not every one before it.
    let subscribers_read: u64 = plan
        .lines()
        .filter(|line| line.contains("on subscribers"))
        .map(|line| actual(line, "rows=") * actual(line, "loops="))
        .sum();
    assert!(subscribers_read <= 2 * 500, "{plan}");
    // And a whole pass reads every row once, in order.
    let (mut after, mut seen) = (0, 0);
    loop {
        let page = store.due_deliveries(issue.id, after, 500, now()).unwrap();
        let Some(last) = page.last() else { break };
        assert!(last.subscriber_id > after);
        after = last.subscriber_id;
        seen += page.len();
    }
    assert_eq!(seen, 20_000);
}

/// A figure from the `(actual … rows=N loops=N)` part of an EXPLAIN ANALYZE line.
fn actual(line: &str, name: &str) -> u64 {
    let actual = &line[line.find("(actual").expect("an EXPLAIN ANALYZE line")..];
    let from = actual.find(name).unwrap() + name.len();
    let digits: String = actual[from..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}
