//! Many processes subscribing the same address at the same moment, each through its own connection to one file.

use crate::content::Categories;
use std::sync::{Arc, Barrier};
use std::thread;

use chrono::{TimeZone, Utc};

use crate::email_address::SubscriberEmail;
use crate::store::{Channel, Origin, Source, Store, SubscribeKind, SubscribeOutcome};

/// All fifty also open the file for the first time together, so this races the migrations and the switch to WAL.
#[test]
fn fifty_connections_subscribing_one_address_at_once_make_one_row_and_one_confirmation_mail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("subscribers").join("verdicts.db");
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    let email = SubscriberEmail::parse("race@example.org").unwrap();
    let barrier = Arc::new(Barrier::new(50));
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let (path, email, barrier) = (path.clone(), email.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                let mut store = Store::open_sqlite(&path).unwrap();
                store
                    .subscribe(
                        &email,
                        None,
                        &Categories::everything(),
                        Source::Form,
                        &Origin::new(Channel::Form),
                        now,
                    )
                    .unwrap()
            })
        })
        .collect();
    let outcomes: Vec<SubscribeOutcome> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let store = Store::open_sqlite(&path).unwrap();
    let rows = store.list(None).unwrap();
    assert_eq!(rows.len(), 1);
    assert!(outcomes.iter().all(|o| o.subscriber_id == rows[0].id));
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o.should_send_confirmation)
            .count(),
        1
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o.kind == SubscribeKind::Created)
            .count(),
        1
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o.kind, SubscribeKind::Created | SubscribeKind::StillPending))
    );
}
