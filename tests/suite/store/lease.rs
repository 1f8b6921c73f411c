//! Named leases between two connections on one store, as two processes see them.

use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, TimeZone, Utc};
use weekly_verdicts::store::{Database, LeaseOutcome, Store};

use crate::support::postgres::backends;

const SEND: &str = "send";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn ttl() -> Duration {
    Duration::minutes(2)
}

fn two_stores(database: &Database) -> (Store, Store) {
    (
        Store::open(database).unwrap(),
        Store::open(database).unwrap(),
    )
}

#[test]
fn a_second_sender_is_refused_and_told_who_holds_the_lease() {
    for backend in backends("a_second_sender_is_refused_and_told_who_holds_the_lease") {
        let name = backend.name;
        let (mut a, mut b) = two_stores(&backend.database);
        assert_eq!(
            a.try_acquire_lease(SEND, "host-a:1:aa", ttl(), now())
                .unwrap(),
            LeaseOutcome::Acquired,
            "{name}"
        );
        assert_eq!(
            b.try_acquire_lease(SEND, "host-b:2:bb", ttl(), now() + Duration::seconds(30))
                .unwrap(),
            LeaseOutcome::HeldBy {
                owner: "host-a:1:aa".into(),
                expires_at: now() + ttl()
            },
            "{name}"
        );
        assert_eq!(
            b.lease_holder(SEND, now()).unwrap(),
            Some(("host-a:1:aa".to_string(), now() + ttl())),
            "{name}"
        );
        assert_eq!(b.lease_holder("other", now()).unwrap(), None, "{name}");
    }
}

#[test]
fn after_the_lease_expires_the_next_sender_takes_it_and_the_old_holder_cannot_renew() {
    for backend in backends("after_the_lease_expires_the_next_sender_takes_it") {
        let name = backend.name;
        let (mut a, mut b) = two_stores(&backend.database);
        a.try_acquire_lease(SEND, "a", ttl(), now()).unwrap();
        let later = now() + ttl();
        assert_eq!(
            a.lease_holder(SEND, later).unwrap(),
            None,
            "{name}: expired"
        );
        assert_eq!(
            b.try_acquire_lease(SEND, "b", ttl(), later).unwrap(),
            LeaseOutcome::Acquired,
            "{name}"
        );
        assert!(!a.renew_lease(SEND, "a", ttl(), later).unwrap(), "{name}");
        assert!(!a.release_lease(SEND, "a").unwrap(), "{name}");
        assert_eq!(
            a.lease_holder(SEND, later).unwrap().unwrap().0,
            "b",
            "{name}"
        );
    }
}

#[test]
fn renewing_keeps_others_out_past_the_first_expiry() {
    for backend in backends("renewing_keeps_others_out_past_the_first_expiry") {
        let name = backend.name;
        let (mut a, mut b) = two_stores(&backend.database);
        a.try_acquire_lease(SEND, "a", ttl(), now()).unwrap();
        let renewed_at = now() + Duration::minutes(1);
        assert!(
            a.renew_lease(SEND, "a", ttl(), renewed_at).unwrap(),
            "{name}"
        );
        let outcome = b
            .try_acquire_lease(SEND, "b", ttl(), now() + Duration::minutes(2))
            .unwrap();
        assert_eq!(
            outcome,
            LeaseOutcome::HeldBy {
                owner: "a".into(),
                expires_at: renewed_at + ttl()
            },
            "{name}"
        );
    }
}

#[test]
fn releasing_lets_the_other_sender_in_at_once() {
    for backend in backends("releasing_lets_the_other_sender_in_at_once") {
        let name = backend.name;
        let (mut a, mut b) = two_stores(&backend.database);
        a.try_acquire_lease(SEND, "a", ttl(), now()).unwrap();
        assert!(
            !b.release_lease(SEND, "b").unwrap(),
            "{name}: only the holder releases"
        );
        assert!(a.release_lease(SEND, "a").unwrap(), "{name}");
        assert_eq!(
            b.try_acquire_lease(SEND, "b", ttl(), now()).unwrap(),
            LeaseOutcome::Acquired,
            "{name}"
        );
    }
}

#[test]
fn the_holder_acquiring_again_extends_its_lease() {
    for backend in backends("the_holder_acquiring_again_extends_its_lease") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        store.try_acquire_lease(SEND, "a", ttl(), now()).unwrap();
        let later = now() + Duration::minutes(1);
        assert_eq!(
            store.try_acquire_lease(SEND, "a", ttl(), later).unwrap(),
            LeaseOutcome::Acquired,
            "{name}"
        );
        assert_eq!(
            store.lease_holder(SEND, later).unwrap().unwrap().1,
            later + ttl(),
            "{name}"
        );
    }
}

#[test]
fn a_lease_is_taken_over_only_from_the_holder_named() {
    for backend in backends("a_lease_is_taken_over_only_from_the_holder_named") {
        let name = backend.name;
        let (mut a, mut b) = two_stores(&backend.database);
        a.try_acquire_lease(SEND, "a", ttl(), now()).unwrap();
        let later = now() + Duration::seconds(10);
        assert!(
            !b.take_over_lease(SEND, "x", "b", ttl(), later).unwrap(),
            "{name}"
        );
        assert!(
            b.take_over_lease(SEND, "a", "b", ttl(), later).unwrap(),
            "{name}"
        );
        assert_eq!(
            a.lease_holder(SEND, later).unwrap(),
            Some(("b".to_string(), later + ttl())),
            "{name}"
        );
        assert!(!a.renew_lease(SEND, "a", ttl(), later).unwrap(), "{name}");
    }
}

#[test]
fn of_many_senders_racing_for_a_free_lease_exactly_one_wins() {
    for backend in backends("of_many_senders_racing_for_a_free_lease_exactly_one_wins") {
        let name = backend.name;
        Store::open(&backend.database).unwrap();
        let barrier = Arc::new(Barrier::new(6));
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let (database, barrier) = (backend.database.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut store = Store::open(&database).unwrap();
                    barrier.wait();
                    store
                        .try_acquire_lease(SEND, &format!("sender-{i}"), ttl(), now())
                        .unwrap()
                })
            })
            .collect();
        let outcomes: Vec<LeaseOutcome> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners = outcomes
            .iter()
            .filter(|o| **o == LeaseOutcome::Acquired)
            .count();
        assert_eq!(winners, 1, "{name}: {outcomes:?}");
    }
}
