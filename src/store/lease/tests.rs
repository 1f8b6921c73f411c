//! Leases between two connections on one database file, as two processes would see them.

use std::path::Path;
use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::store::{LeaseOutcome, Store};

const SEND: &str = "send";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn ttl() -> Duration {
    Duration::minutes(2)
}

fn two_stores(path: &Path) -> (Store, Store) {
    (
        Store::open_sqlite(path).unwrap(),
        Store::open_sqlite(path).unwrap(),
    )
}

#[test]
fn a_second_sender_is_refused_and_told_who_holds_the_lease() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = two_stores(&dir.path().join("verdicts.db"));
    assert_eq!(
        a.try_acquire_lease(SEND, "host-a:1:aa", ttl(), now())
            .unwrap(),
        LeaseOutcome::Acquired
    );
    assert_eq!(
        b.try_acquire_lease(SEND, "host-b:2:bb", ttl(), now() + Duration::seconds(30))
            .unwrap(),
        LeaseOutcome::HeldBy {
            owner: "host-a:1:aa".into(),
            expires_at: now() + ttl()
        }
    );
    assert_eq!(
        b.lease_holder(SEND, now()).unwrap(),
        Some(("host-a:1:aa".to_string(), now() + ttl()))
    );
}

#[test]
fn after_the_lease_expires_the_next_sender_takes_it_and_the_old_holder_cannot_renew() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = two_stores(&dir.path().join("verdicts.db"));
    a.try_acquire_lease(SEND, "a", ttl(), now()).unwrap();
    let later = now() + ttl();
    assert_eq!(
        b.try_acquire_lease(SEND, "b", ttl(), later).unwrap(),
        LeaseOutcome::Acquired
    );
    assert!(!a.renew_lease(SEND, "a", ttl(), later).unwrap());
    assert!(!a.release_lease(SEND, "a").unwrap());
    assert_eq!(a.lease_holder(SEND, later).unwrap().unwrap().0, "b");
}

#[test]
fn renewing_keeps_others_out_past_the_first_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = two_stores(&dir.path().join("verdicts.db"));
    a.try_acquire_lease(SEND, "a", ttl(), now()).unwrap();
    assert!(
        a.renew_lease(SEND, "a", ttl(), now() + Duration::minutes(1))
            .unwrap()
    );
    let outcome = b
        .try_acquire_lease(SEND, "b", ttl(), now() + Duration::minutes(2))
        .unwrap();
    assert!(
        matches!(outcome, LeaseOutcome::HeldBy { .. }),
        "{outcome:?}"
    );
}

#[test]
fn releasing_lets_the_other_sender_in_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = two_stores(&dir.path().join("verdicts.db"));
    a.try_acquire_lease(SEND, "a", ttl(), now()).unwrap();
    assert!(
        !b.release_lease(SEND, "b").unwrap(),
        "only the holder releases"
    );
    assert!(a.release_lease(SEND, "a").unwrap());
    assert_eq!(
        b.try_acquire_lease(SEND, "b", ttl(), now()).unwrap(),
        LeaseOutcome::Acquired
    );
}

#[test]
fn the_holder_acquiring_again_extends_its_lease() {
    let mut store = Store::open_in_memory().unwrap();
    store.try_acquire_lease(SEND, "a", ttl(), now()).unwrap();
    let later = now() + Duration::minutes(1);
    assert_eq!(
        store.try_acquire_lease(SEND, "a", ttl(), later).unwrap(),
        LeaseOutcome::Acquired
    );
    assert_eq!(
        store.lease_holder(SEND, later).unwrap().unwrap().1,
        later + ttl()
    );
}

#[test]
fn of_many_senders_racing_for_a_free_lease_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdicts.db");
    Store::open_sqlite(&path).unwrap();
    let barrier = Arc::new(Barrier::new(6));
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut store = Store::open_sqlite(&path).unwrap();
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
    assert_eq!(winners, 1, "{outcomes:?}");
}
