//! The guard on the real clock with short leases: renewal keeps others out past the first expiry, drop and
//! release let them in, a takeover is noticed.

use std::time::Duration;

use super::{Acquire, LeaseGuard, owner_id};
use crate::store::{Database, LeaseOutcome, Store};

fn acquire(path: &std::path::Path, owner: &str, ttl: Duration) -> Acquire {
    LeaseGuard::acquire_as(&Database::Sqlite(path.to_path_buf()), "send", owner, ttl).unwrap()
}

#[test]
fn the_guard_renews_in_the_background_and_releases_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdicts.db");
    let ttl = Duration::from_millis(1500);
    let Acquire::Acquired(guard) = acquire(&path, "a", ttl) else {
        panic!("a free lease is acquired");
    };
    std::thread::sleep(Duration::from_millis(2500));
    match acquire(&path, "b", ttl) {
        Acquire::HeldBy { owner, .. } => assert_eq!(owner, "a"),
        Acquire::Acquired(_) => panic!("the lease lapsed although it was renewed"),
    }
    assert!(!*guard.lost_signal().borrow());
    drop(guard);
    assert!(matches!(acquire(&path, "b", ttl), Acquire::Acquired(_)));
}

#[test]
fn release_gives_the_lease_up_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdicts.db");
    let Acquire::Acquired(guard) = acquire(&path, "a", Duration::from_secs(60)) else {
        panic!("a free lease is acquired");
    };
    guard.release().unwrap();
    let store = Store::open_sqlite(&path).unwrap();
    assert_eq!(
        store.lease_holder("send", crate::clock::now()).unwrap(),
        None
    );
}

#[test]
fn a_guard_whose_lease_was_taken_over_says_it_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdicts.db");
    let ttl = Duration::from_millis(300);
    let Acquire::Acquired(guard) = acquire(&path, "a", ttl) else {
        panic!("a free lease is acquired");
    };
    // As if "a" had stalled past its expiry and "b" had taken over.
    let mut other = Store::open_sqlite(&path).unwrap();
    let later = crate::clock::now() + chrono::Duration::seconds(10);
    assert!(other.release_lease("send", "a").unwrap());
    assert_eq!(
        other
            .try_acquire_lease("send", "b", chrono::Duration::seconds(60), later)
            .unwrap(),
        LeaseOutcome::Acquired
    );
    let mut lost = guard.lost_signal();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(5), lost.wait_for(|lost| *lost)).await
        })
        .expect("the loss is noticed within a few renewals")
        .unwrap();
    assert!(*guard.lost_signal().borrow());
    drop(guard);
    let holder = other.lease_holder("send", later).unwrap().unwrap();
    assert_eq!(
        holder.0, "b",
        "dropping a lost guard leaves the new holder alone"
    );
}

#[test]
fn owner_ids_name_the_host_and_process_and_differ_between_runs() {
    let (a, b) = (owner_id(), owner_id());
    assert_ne!(a, b);
    let parts: Vec<&str> = a.split(':').collect();
    assert_eq!(parts.len(), 3, "{a}");
    assert_eq!(parts[1], std::process::id().to_string());
}

#[test]
fn a_lease_left_by_a_process_that_died_on_this_host_is_taken_over_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdicts.db");
    let ttl = Duration::from_secs(600);
    let here = super::hostname();
    let mut store = Store::open_sqlite(&path).unwrap();
    let now = crate::clock::now();
    let dead = format!("{here}:4294967:dead");
    assert_eq!(
        store
            .try_acquire_lease("send", &dead, chrono::Duration::minutes(10), now)
            .unwrap(),
        LeaseOutcome::Acquired
    );
    let Acquire::Acquired(guard) =
        LeaseGuard::acquire(&Database::Sqlite(path.clone()), "send", ttl).unwrap()
    else {
        panic!("the dead holder's lease is taken over");
    };
    drop(guard);

    for alive in [
        "other-host:4294967:beef".to_string(),
        format!("{here}:{}:live", std::process::id()),
    ] {
        store
            .try_acquire_lease("send", &alive, chrono::Duration::minutes(10), now)
            .unwrap();
        match LeaseGuard::acquire(&Database::Sqlite(path.clone()), "send", ttl).unwrap() {
            Acquire::HeldBy { owner, .. } => assert_eq!(owner, alive),
            Acquire::Acquired(_) => panic!("{alive} may still be running: its lease is kept"),
        }
        store.release_lease("send", &alive).unwrap();
    }
}
