//! The scheduler's memory: the last fire handled, which only ever moves forward, whoever records it.

use std::sync::{Arc, Barrier};

use chrono::{Duration, TimeZone, Utc};
use weekly_verdicts::store::Store;

use crate::support::postgres::backends;

#[test]
fn the_last_fire_is_absent_at_first_and_only_ever_moves_forward() {
    for backend in backends("the_last_fire_is_absent_at_first_and_only_ever_moves_forward") {
        let name = backend.name;
        let mut store = Store::open(&backend.database).unwrap();
        assert_eq!(store.scheduler_last_fire().unwrap(), None, "{name}");
        let monday = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        let earlier = Utc.with_ymd_and_hms(2026, 11, 16, 8, 0, 0).unwrap();
        store.record_scheduler_fire(monday).unwrap();
        store.record_scheduler_fire(earlier).unwrap();
        assert_eq!(store.scheduler_last_fire().unwrap(), Some(monday), "{name}");
        let next = monday + Duration::days(7) + Duration::microseconds(5);
        store.record_scheduler_fire(next).unwrap();
        let other = Store::open(&backend.database).unwrap();
        assert_eq!(other.scheduler_last_fire().unwrap(), Some(next), "{name}");
    }
}

#[test]
fn of_instances_recording_fires_at_once_the_latest_fire_stays() {
    for backend in backends("of_instances_recording_fires_at_once_the_latest_fire_stays") {
        let name = backend.name;
        Store::open(&backend.database).unwrap();
        let first = Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap();
        let barrier = Arc::new(Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|week| {
                let (database, barrier) = (backend.database.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut store = Store::open(&database).unwrap();
                    barrier.wait();
                    store
                        .record_scheduler_fire(first + Duration::weeks(week))
                        .unwrap();
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        let store = Store::open(&backend.database).unwrap();
        assert_eq!(
            store.scheduler_last_fire().unwrap(),
            Some(first + Duration::weeks(3)),
            "{name}"
        );
    }
}
