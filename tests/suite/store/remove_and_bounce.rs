//! Removing a subscriber (a request to be forgotten) and recording bounces, on each backend.

use chrono::Duration;
use weekly_verdicts::content::Categories;
use weekly_verdicts::store::{Source, Status, Store};

use crate::store::people::{
    email, execute, now, query_count, queued, status_of, subscribe, unsubscribe,
};
use crate::support::postgres::backends;

#[test]
fn removing_deletes_the_subscriber_their_deliveries_and_queued_mail() {
    for backend in backends("removing_deletes_the_subscriber_and_their_deliveries") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = email("ann@example.org");
        let id = store
            .add(
                &ann,
                None,
                &Categories::everything(),
                Status::Confirmed,
                Source::Cli,
                now(),
            )
            .unwrap();
        let other = store
            .add(
                &email("bob@example.org"),
                None,
                &Categories::everything(),
                Status::Confirmed,
                Source::Cli,
                now(),
            )
            .unwrap();
        let pending = subscribe(&mut store, "pending@example.org", now()).subscriber_id;
        // A sent issue with a ledger row for each; written beneath the interface, which makes ledgers only from
        // the confirmed list of the moment.
        let ledger = format!(
            "INSERT INTO issues (id, key, window_start, window_end, subject, preheader, html, text, created_at)
             VALUES (1, '2026-W48', '2026-11-16T00:00:00Z', '2026-11-23T00:00:00Z', 's', 'p', 'h', 't',
                     '2026-11-23T09:00:00Z');
             INSERT INTO deliveries (issue_id, subscriber_id, email, state) VALUES (1, {id}, 'x', 'sent');
             INSERT INTO deliveries (issue_id, subscriber_id, email, state) VALUES (1, {other}, 'x', 'sent');"
        );
        execute(&backend.database, &ledger, &ledger);

        assert!(
            store.remove(&email("Ann@example.org"), now()).unwrap(),
            "{}",
            backend.name
        );
        assert_eq!(store.find_by_email(&ann).unwrap(), None, "{}", backend.name);
        assert_eq!(
            query_count(&backend.database, "SELECT count(*) FROM deliveries"),
            1,
            "{}",
            backend.name
        );
        assert_eq!(
            query_count(
                &backend.database,
                "SELECT min(subscriber_id) FROM deliveries"
            ),
            other as i64,
            "{}",
            backend.name
        );
        assert!(!store.remove(&ann, now()).unwrap(), "{}", backend.name);

        assert!(
            store.remove(&email("pending@example.org"), now()).unwrap(),
            "{}",
            backend.name
        );
        assert!(
            queued(&mut store, now() + Duration::days(1), 10)
                .unwrap()
                .iter()
                .all(|mail| mail.subscriber_id != pending),
            "{}",
            backend.name
        );
        assert_eq!(store.list(None).unwrap().len(), 1, "{}", backend.name);
    }
}

#[test]
fn a_bounce_does_not_override_an_unsubscribe() {
    for backend in backends("a_bounce_does_not_override_an_unsubscribe") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = store
            .add(
                &email("ann@example.org"),
                None,
                &Categories::everything(),
                Status::Confirmed,
                Source::Cli,
                now(),
            )
            .unwrap();
        unsubscribe(&mut store, id, now());
        assert!(!store.mark_bounced(id, now()).unwrap(), "{}", backend.name);
        assert_eq!(
            status_of(&store, id),
            Status::Unsubscribed,
            "{}",
            backend.name
        );
        assert!(
            !store.mark_bounced(12345, now()).unwrap(),
            "{}",
            backend.name
        );
        assert!(
            !store.mark_bounced(u64::MAX, now()).unwrap(),
            "{}",
            backend.name
        );
    }
}

#[test]
fn a_bounce_drops_the_queued_confirmation_mail_and_a_second_bounce_changes_nothing() {
    for backend in backends("a_bounce_drops_the_queued_confirmation_mail") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        assert!(store.mark_bounced(id, now()).unwrap(), "{}", backend.name);
        assert!(!store.mark_bounced(id, now()).unwrap(), "{}", backend.name);
        assert_eq!(
            queued(&mut store, now(), 10).unwrap(),
            [],
            "{}",
            backend.name
        );
        let bounces: Vec<_> = store
            .consent_history(&email("ann@example.org"))
            .unwrap()
            .into_iter()
            .filter(|r| r.event == "bounce")
            .map(|r| (r.channel, r.detail))
            .collect();
        assert_eq!(bounces, [("relay".to_owned(), None)], "{}", backend.name);
    }
}
