//! Issues: the recipient snapshot taken when one is created, creating a week twice, and the history the next
//! issue is assembled against.

use chrono::Duration;
use weekly_verdicts::store::{IssueCreated, Status, Store};

use crate::store::issue_fixtures::{add, created, new_issue, now};
use crate::support::postgres::backends;

#[test]
fn creating_an_issue_snapshots_only_confirmed_subscribers() {
    for backend in backends("creating_an_issue_snapshots_only_confirmed_subscribers") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        let ann = add(&mut store, "ann@example.org", Status::Confirmed);
        add(&mut store, "pending@example.org", Status::Pending);
        add(&mut store, "gone@example.org", Status::Unsubscribed);
        let bob = add(&mut store, "bob@example.org", Status::Confirmed);

        let new = new_issue("2026-W48", now(), &["b", "a"]);
        let (issue, recipients) = created(store.create_issue(&new, now()).unwrap(), name);
        assert_eq!(recipients, 2, "{name}");
        let slugs: Vec<&str> = issue
            .issue
            .comparisons
            .iter()
            .map(|c| c.slug.as_str())
            .collect();
        assert_eq!(slugs, ["b", "a"], "{name}: in the email's order");
        assert_eq!(issue.created_at, now(), "{name}");
        assert_eq!(issue.completed_at, None, "{name}");
        assert_eq!(issue.issue.window_start, new.window_start, "{name}");
        let due = store.due_deliveries(issue.id, 0, 10, now()).unwrap();
        let ids: Vec<u64> = due.iter().map(|d| d.subscriber_id).collect();
        assert_eq!(ids, [ann, bob], "{name}");
        assert_eq!(due[0].email, "ann@example.org", "{name}");
        assert_eq!(due[0].attempts, 0, "{name}");
        assert_eq!(due[0].status, Status::Confirmed, "{name}");
        let by_key = store.issue_by_key("2026-W48").unwrap().unwrap();
        assert_eq!(by_key.id, issue.id, "{name}");
        assert_eq!(by_key.issue.comparisons, issue.issue.comparisons, "{name}");
        assert!(store.issue_by_key("2026-W01").unwrap().is_none(), "{name}");
    }
}

#[test]
fn creating_the_same_week_again_returns_the_existing_issue_unchanged() {
    for backend in backends("creating_the_same_week_again_returns_the_existing_issue") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        add(&mut store, "ann@example.org", Status::Confirmed);
        let (first, _) = created(
            store
                .create_issue(&new_issue("2026-W48", now(), &["a"]), now())
                .unwrap(),
            name,
        );
        add(&mut store, "late@example.org", Status::Confirmed);
        match store
            .create_issue(&new_issue("2026-W48", now(), &["other"]), now())
            .unwrap()
        {
            IssueCreated::Exists(issue) => {
                assert_eq!(issue.id, first.id, "{name}");
                assert_eq!(issue.issue.comparisons[0].slug, "a", "{name}");
            }
            other => panic!("{name}: created twice: {other:?}"),
        }
        assert_eq!(store.ledger_counts(first.id).unwrap().total(), 1, "{name}");
    }
}

#[test]
fn history_holds_the_latest_earlier_window_and_every_sent_slug() {
    for backend in backends("history_holds_the_latest_earlier_window") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        add(&mut store, "ann@example.org", Status::Confirmed);
        assert!(
            store.history(now()).unwrap().previous_window_end.is_none(),
            "{name}"
        );
        let w47 = now() - Duration::days(7);
        store
            .create_issue(&new_issue("2026-W47", w47, &["a", "b"]), w47)
            .unwrap();
        store
            .create_issue(&new_issue("2026-W48", now(), &["c"]), now())
            .unwrap();
        let history = store.history(now() - Duration::days(1)).unwrap();
        assert_eq!(history.previous_window_end, Some(w47), "{name}");
        assert_eq!(history.sent_slugs.len(), 3, "{name}");
        assert!(
            ["a", "b", "c"]
                .iter()
                .all(|s| history.sent_slugs.contains(*s)),
            "{name}"
        );
        let status = store.delivery_counts().unwrap();
        let keys: Vec<&str> = status.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["2026-W48", "2026-W47"], "{name}: newest first");
    }
}

#[test]
fn with_nobody_confirmed_no_issue_is_created_and_the_first_window_stays_open() {
    for backend in backends("with_nobody_confirmed_no_issue_is_created") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        add(&mut store, "pending@example.org", Status::Pending);
        let w48 = new_issue("2026-W48", now(), &["a"]);
        assert!(
            matches!(
                store.create_issue(&w48, now()).unwrap(),
                IssueCreated::NoRecipients
            ),
            "{name}"
        );
        assert!(store.issue_by_key("2026-W48").unwrap().is_none(), "{name}");
        assert!(store.delivery_counts().unwrap().is_empty(), "{name}");
        // A week later the first issue starts where this one would have, so "a" is still in its window.
        let later = now() + Duration::days(7);
        let history = store.history(later).unwrap();
        assert_eq!(
            history.previous_window_end,
            Some(w48.window_start),
            "{name}"
        );
        assert!(history.sent_slugs.is_empty(), "{name}");
        // A second empty send does not move the start later.
        let w49 = new_issue("2026-W49", later, &["a"]);
        assert!(
            matches!(
                store.create_issue(&w49, later).unwrap(),
                IssueCreated::NoRecipients
            ),
            "{name}"
        );
        assert_eq!(
            store.history(later).unwrap().previous_window_end,
            Some(w48.window_start),
            "{name}"
        );
        // Before that start, there is nothing to start from.
        let before = w48.window_start - Duration::days(1);
        assert_eq!(
            store.history(before).unwrap().previous_window_end,
            None,
            "{name}"
        );
    }
}
