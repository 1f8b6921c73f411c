//! Several instances taking requests for one address at the same moment, each on its own connection: the outcomes
//! are those of some serial order (one row, one mail, one entry per change), on each backend.

use std::sync::Barrier;
use std::thread;
use weekly_verdicts::content::Categories;

use weekly_verdicts::store::{
    CONFIRMATION_RESEND_INTERVAL, Channel, ConfirmOutcome, Database, Origin, Source, Status, Store,
    SubscribeKind, UnsubscribeOutcome,
};

use crate::store::people::{
    email, execute, newest_link, now, pg_client, query_count, queued, subscribe, unsubscribe,
};
use crate::support::postgres::{backends, fresh_database};

const THREADS: usize = 16;

/// Runs `work` on `THREADS` connections of their own, released together; returns what each returned.
fn at_once<T: Send>(database: &Database, work: impl Fn(&mut Store) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(THREADS);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    let mut store = Store::open(database).unwrap();
                    barrier.wait();
                    work(&mut store)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn connections_subscribing_one_new_address_at_once_make_one_row_one_mail_and_an_entry_each() {
    for backend in backends("connections_subscribing_one_new_address_at_once") {
        // Migrated before the race, so only the subscribes race.
        drop(Store::open(&backend.database).unwrap());
        let outcomes = at_once(&backend.database, |store| {
            subscribe(store, "race@example.org", now())
        });

        let mut store = Store::open(&backend.database).unwrap();
        let rows = store.list(None).unwrap();
        assert_eq!(rows.len(), 1, "{}", backend.name);
        assert!(
            outcomes.iter().all(|o| o.subscriber_id == rows[0].id),
            "{}",
            backend.name
        );
        let created = outcomes
            .iter()
            .filter(|o| o.kind == SubscribeKind::Created)
            .count();
        let mailed = outcomes
            .iter()
            .filter(|o| o.should_send_confirmation)
            .count();
        assert_eq!((created, mailed), (1, 1), "{}: {outcomes:?}", backend.name);
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o.kind, SubscribeKind::Created | SubscribeKind::StillPending)),
            "{}",
            backend.name
        );
        assert_eq!(
            queued(&mut store, now(), 100).unwrap().len(),
            1,
            "{}",
            backend.name
        );
        assert_eq!(
            store
                .consent_history(&email("race@example.org"))
                .unwrap()
                .len(),
            THREADS,
            "{}: every request is on record",
            backend.name
        );
    }
}

#[test]
fn connections_asking_again_for_a_pending_address_at_once_queue_one_new_mail() {
    for backend in backends("connections_asking_again_for_a_pending_address_at_once") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        let first = newest_link(&mut store, id, now());
        let resend_at = now() + CONFIRMATION_RESEND_INTERVAL;
        let outcomes = at_once(&backend.database, |store| {
            subscribe(store, "ann@example.org", resend_at)
        });
        let mailed = outcomes
            .iter()
            .filter(|o| o.should_send_confirmation)
            .count();
        assert_eq!(mailed, 1, "{}: {outcomes:?}", backend.name);
        let due = queued(&mut store, resend_at, 100).unwrap();
        assert_eq!(due.len(), 1, "{}", backend.name);
        assert_ne!(due[0].nonce, first.nonce.unwrap(), "{}", backend.name);
        let link = newest_link(&mut store, id, resend_at);
        assert_eq!(
            store
                .confirm(&link, &Origin::new(Channel::Link), resend_at)
                .unwrap(),
            ConfirmOutcome::Confirmed,
            "{}: the queued mail carries the subscription's nonce",
            backend.name
        );
    }
}

#[test]
fn connections_following_one_confirm_link_at_once_confirm_it_once() {
    for backend in backends("connections_following_one_confirm_link_at_once") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = subscribe(&mut store, "ann@example.org", now()).subscriber_id;
        let link = newest_link(&mut store, id, now());
        let outcomes = at_once(&backend.database, |store| {
            store
                .confirm(&link, &Origin::new(Channel::Link), now())
                .unwrap()
        });
        let confirmed = outcomes
            .iter()
            .filter(|o| **o == ConfirmOutcome::Confirmed)
            .count();
        assert_eq!(confirmed, 1, "{}: {outcomes:?}", backend.name);
        assert!(
            outcomes.iter().all(|o| matches!(
                o,
                ConfirmOutcome::Confirmed | ConfirmOutcome::AlreadyConfirmed
            )),
            "{}: {outcomes:?}",
            backend.name
        );
        let confirms = store
            .consent_history(&email("ann@example.org"))
            .unwrap()
            .iter()
            .filter(|r| r.event == "confirm")
            .count();
        assert_eq!(confirms, 1, "{}", backend.name);
    }
}

#[test]
fn connections_unsubscribing_and_bouncing_one_reader_at_once_leave_one_change_on_record() {
    for backend in backends("connections_unsubscribing_and_bouncing_one_reader_at_once") {
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
        let outcomes = at_once(&backend.database, |store| {
            (
                unsubscribe(store, id, now()),
                store.mark_bounced(id, now()).unwrap(),
            )
        });
        let unsubscribed = outcomes
            .iter()
            .filter(|(o, _)| *o == UnsubscribeOutcome::Unsubscribed)
            .count();
        let bounced = outcomes.iter().filter(|(_, b)| *b).count();
        let history = store.consent_history(&ann).unwrap();
        let changes: Vec<&str> = history
            .iter()
            .map(|r| r.event.as_str())
            .filter(|e| *e != "add")
            .collect();
        // Whichever came first, the other kind of change happened at most once, and each is on record once.
        assert_eq!(
            changes.len(),
            unsubscribed + bounced,
            "{}: {changes:?}",
            backend.name
        );
        assert!(
            unsubscribed <= 1 && bounced <= 1,
            "{}: {outcomes:?}",
            backend.name
        );
        assert!(
            unsubscribed == 1,
            "{}: an unsubscribe always wins over a bounce: {outcomes:?}",
            backend.name
        );
    }
}

#[test]
fn connections_removing_one_address_at_once_remove_it_once() {
    for backend in backends("connections_removing_one_address_at_once") {
        let mut store = Store::open(&backend.database).unwrap();
        let ann = email("ann@example.org");
        store
            .add(
                &ann,
                None,
                &Categories::everything(),
                Status::Confirmed,
                Source::Cli,
                now(),
            )
            .unwrap();
        let removed = at_once(&backend.database, |store| {
            store.remove(&ann, now()).unwrap()
        });
        assert_eq!(
            removed.iter().filter(|r| **r).count(),
            1,
            "{}",
            backend.name
        );
        let removes = store
            .consent_history(&ann)
            .unwrap()
            .iter()
            .filter(|r| r.event == "remove")
            .count();
        assert_eq!(removes, 1, "{}", backend.name);
    }
}

/// A sender recording a bounce holds the ledger row and then wants the subscriber's row; `subscribers remove` must
/// take them in the same order, or PostgreSQL breaks the deadlock by failing one of the two.
#[test]
fn on_postgresql_a_remove_waiting_for_a_senders_ledger_row_lets_the_senders_bounce_through() {
    let Some(database) = fresh_database("on_postgresql_a_remove_waiting_for_a_senders_ledger_row")
    else {
        return;
    };
    let Database::Postgres(url) = &database else {
        unreachable!()
    };
    let mut store = Store::open(&database).unwrap();
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
    let ledger = format!(
        "INSERT INTO issues (id, key, window_start, window_end, subject, preheader, html, text, created_at)
         VALUES (1, '2026-W48', '2026-11-16T00:00:00Z', '2026-11-23T00:00:00Z', 's', 'p', 'h', 't',
                 '2026-11-23T09:00:00Z');
         INSERT INTO deliveries (issue_id, subscriber_id, email, state) VALUES (1, {id}, 'x', 'pending');"
    );
    execute(&database, &ledger, &ledger);

    let mut sender = pg_client(url);
    let mut sending = sender.transaction().unwrap();
    sending
        .batch_execute(&format!(
            "UPDATE deliveries SET state = 'failed' WHERE subscriber_id = {id}"
        ))
        .unwrap();
    thread::scope(|scope| {
        let removing = scope.spawn(|| Store::open(&database).unwrap().remove(&ann, now()));
        // Wait until the remove is blocked on the ledger row.
        let mut watcher = pg_client(url);
        while watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .unwrap()
            .get::<_, i64>(0)
            == 0
        {
            thread::yield_now();
        }
        sending
            .batch_execute(&format!(
                "UPDATE subscribers SET status = 'bounced' WHERE id = {id}"
            ))
            .unwrap();
        sending.commit().unwrap();
        assert!(removing.join().unwrap().unwrap());
    });
    assert_eq!(store.find_by_email(&ann).unwrap(), None);
    assert_eq!(query_count(&database, "SELECT count(*) FROM deliveries"), 0);
}
