//! The consent history and undoing bounces: every change leaves its entry, removal keeps them, and restoring a
//! bounce is recorded beside it; on each backend.

use chrono::Duration;
use weekly_verdicts::content::Categories;
use weekly_verdicts::store::{Restore, Source, Status, Store};

use crate::store::people::{confirm, email, now, query_count, status_of, subscribe, unsubscribe};
use crate::support::postgres::backends;

#[test]
fn every_change_enters_the_consent_history_with_its_channel_and_client_and_removal_keeps_it() {
    for backend in backends("every_change_enters_the_consent_history") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        subscribe(&mut store, "ann@example.org", now() + Duration::minutes(1));
        confirm(&mut store, id, now());
        unsubscribe(&mut store, id, now());
        assert!(
            store.remove(&email("ANN@example.org"), now()).unwrap(),
            "{}",
            backend.name
        );
        assert_eq!(
            store.find_by_email(&email("ann@example.org")).unwrap(),
            None,
            "{}",
            backend.name
        );
        let history = store.consent_history(&email("Ann@Example.org")).unwrap();
        let summary: Vec<(&str, &str, Option<&str>, Option<&str>)> = history
            .iter()
            .map(|r| {
                (
                    r.event.as_str(),
                    r.channel.as_str(),
                    r.client.as_deref(),
                    r.detail.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "opt-in",
                    "form",
                    Some("192.0.2.7"),
                    Some("new address: confirmation mail queued")
                ),
                (
                    "opt-in",
                    "form",
                    Some("192.0.2.7"),
                    Some(
                        "a confirmation mail went out less than 10 minutes ago: nothing sent or changed"
                    )
                ),
                ("confirm", "link", None, Some("was pending")),
                ("opt-out", "one-click", None, Some("was confirmed")),
                (
                    "remove",
                    "cli",
                    None,
                    Some("was unsubscribed; address, name and delivery history deleted")
                ),
            ],
            "{}",
            backend.name
        );
        assert!(
            history.iter().all(|r| r.subscriber_id == id),
            "{}",
            backend.name
        );
        assert_eq!(
            history[1].at,
            now() + Duration::minutes(1),
            "{}",
            backend.name
        );
        // The address itself is gone from the store; the history names it by hash.
        assert_eq!(
            query_count(
                &backend.database,
                "SELECT count(*) FROM consent_events WHERE email_hash LIKE '%ann%'"
            ),
            0,
            "{}",
            backend.name
        );
        assert_eq!(
            store.consent_history(&email("bob@example.org")).unwrap(),
            [],
            "{}",
            backend.name
        );
        let again = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        assert!(
            again > id,
            "{}: a removed reader's id is never given out again",
            backend.name
        );
    }
}

#[test]
fn restoring_bounced_addresses_confirms_them_again_and_reports_the_others() {
    for backend in backends("restoring_bounced_addresses_confirms_them_again") {
        let mut store = Store::open(&backend.database).unwrap();
        let bounced_at = now() + Duration::microseconds(1_500);
        let ann = store
            .add(
                &email("ann@example.org"),
                None,
                &Categories::everything(),
                Status::Confirmed,
                Source::Cli,
                now(),
            )
            .unwrap();
        store
            .add(
                &email("bob@example.org"),
                None,
                &Categories::everything(),
                Status::Confirmed,
                Source::Cli,
                now(),
            )
            .unwrap();
        assert!(store.mark_bounced(ann, bounced_at).unwrap());
        let later = now() + Duration::days(1);

        let done = store
            .restore_bounced(
                &[
                    email("ANN@example.org"),
                    email("bob@example.org"),
                    email("nobody@example.org"),
                ],
                later,
            )
            .unwrap();
        assert_eq!(
            done,
            [
                Restore::Restored {
                    email: "ann@example.org".into(),
                    bounced_at
                },
                Restore::NotBounced {
                    email: "bob@example.org".into(),
                    status: Status::Confirmed
                },
                Restore::NotFound {
                    email: "nobody@example.org".into()
                },
            ],
            "{}",
            backend.name
        );
        let restored = store.subscriber(ann).unwrap().unwrap();
        assert_eq!(
            (restored.status, restored.status_changed_at),
            (Status::Confirmed, later),
            "{}",
            backend.name
        );
        let last = store
            .consent_history(&email("ann@example.org"))
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(
            (
                last.event.as_str(),
                last.channel.as_str(),
                last.detail.as_deref(),
                last.at
            ),
            (
                "restore",
                "cli",
                Some("bounce of 2026-11-23T09:00:00.001500Z undone: confirmed again"),
                later
            ),
            "{}",
            backend.name
        );
        // Restoring again finds nothing to undo.
        assert_eq!(
            store
                .restore_bounced(&[email("ann@example.org")], later)
                .unwrap(),
            [Restore::NotBounced {
                email: "ann@example.org".into(),
                status: Status::Confirmed
            }],
            "{}",
            backend.name
        );
    }
}

#[test]
fn restoring_by_time_undoes_only_the_bounces_since_then_oldest_first() {
    for backend in backends("restoring_by_time_undoes_only_the_bounces_since_then") {
        let mut store = Store::open(&backend.database).unwrap();
        let mut ids = Vec::new();
        for (address, hours) in [
            ("early@example.org", 1),
            ("late@example.org", 5),
            ("mid@example.org", 3),
        ] {
            let id = store
                .add(
                    &email(address),
                    None,
                    &Categories::everything(),
                    Status::Confirmed,
                    Source::Cli,
                    now(),
                )
                .unwrap();
            store
                .mark_bounced(id, now() + Duration::hours(hours))
                .unwrap();
            ids.push(id);
        }
        let gone = store
            .add(
                &email("gone@example.org"),
                None,
                &Categories::everything(),
                Status::Confirmed,
                Source::Cli,
                now(),
            )
            .unwrap();
        unsubscribe(&mut store, gone, now() + Duration::hours(4));
        let later = now() + Duration::days(1);

        let done = store
            .restore_bounced_since(now() + Duration::hours(3), later)
            .unwrap();
        assert_eq!(
            done,
            [
                Restore::Restored {
                    email: "mid@example.org".into(),
                    bounced_at: now() + Duration::hours(3)
                },
                Restore::Restored {
                    email: "late@example.org".into(),
                    bounced_at: now() + Duration::hours(5)
                },
            ],
            "{}",
            backend.name
        );
        assert_eq!(
            status_of(&store, ids[0]),
            Status::Bounced,
            "{}",
            backend.name
        );
        assert_eq!(
            status_of(&store, ids[1]),
            Status::Confirmed,
            "{}",
            backend.name
        );
        assert_eq!(
            status_of(&store, gone),
            Status::Unsubscribed,
            "{}",
            backend.name
        );
        assert_eq!(
            store.restore_bounced_since(now(), later).unwrap().len(),
            1,
            "{}: only the early one is left",
            backend.name
        );
    }
}
