//! Reading subscribers back: case-insensitive lookup, filters and counts, on each backend.

use weekly_verdicts::content::Categories;
use weekly_verdicts::store::{Source, Status, Store};

use crate::store::people::{email, now, subscribe};
use crate::support::postgres::backends;

#[test]
fn an_address_is_one_subscriber_whatever_its_case() {
    for backend in backends("an_address_is_one_subscriber_whatever_its_case") {
        let mut store = Store::open(&backend.database).unwrap();
        let first = subscribe(&mut store, "Ann.Lee@Example.org", now()).subscriber_id;
        let second = subscribe(&mut store, "ann.lee@EXAMPLE.ORG", now()).subscriber_id;
        assert_eq!(first, second, "{}", backend.name);
        assert_eq!(store.list(None).unwrap().len(), 1, "{}", backend.name);
        let found = store
            .find_by_email(&email("ANN.LEE@example.org"))
            .unwrap()
            .unwrap();
        assert_eq!(
            found.email, "Ann.Lee@example.org",
            "{}: stored as first given",
            backend.name
        );
    }
}

#[test]
fn an_address_with_an_apostrophe_is_stored_and_found() {
    for backend in backends("an_address_with_an_apostrophe_is_stored_and_found") {
        let mut store = Store::open(&backend.database).unwrap();
        let id = subscribe(&mut store, "o'brien@x.org", now()).subscriber_id;
        let found = store
            .find_by_email(&email("O'Brien@x.org"))
            .unwrap()
            .unwrap();
        assert_eq!(found.id, id, "{}", backend.name);
        assert_eq!(found.email, "o'brien@x.org", "{}", backend.name);
        assert_eq!(
            store.subscriber(id).unwrap(),
            Some(found),
            "{}",
            backend.name
        );
        assert_eq!(store.subscriber(id + 1).unwrap(), None, "{}", backend.name);
        assert_eq!(
            store.subscriber(u64::MAX).unwrap(),
            None,
            "{}",
            backend.name
        );
        assert_eq!(
            store.find_by_email(&email("nobody@x.org")).unwrap(),
            None,
            "{}",
            backend.name
        );
    }
}

#[test]
fn listing_filters_by_status_and_counts_include_every_status() {
    for backend in backends("listing_filters_by_status_and_counts_include_every_status") {
        let mut store = Store::open(&backend.database).unwrap();
        assert_eq!(
            store.count_by_status().unwrap(),
            [
                (Status::Pending, 0),
                (Status::Confirmed, 0),
                (Status::Unsubscribed, 0),
                (Status::Bounced, 0),
                (Status::Complained, 0)
            ],
            "{}",
            backend.name
        );
        for (address, status) in [
            ("a@example.org", Status::Confirmed),
            ("b@example.org", Status::Pending),
            ("c@example.org", Status::Confirmed),
        ] {
            store
                .add(
                    &email(address),
                    None,
                    &Categories::everything(),
                    status,
                    Source::Cli,
                    now(),
                )
                .unwrap();
        }
        let confirmed: Vec<String> = store
            .list(Some(Status::Confirmed))
            .unwrap()
            .into_iter()
            .map(|s| s.email)
            .collect();
        assert_eq!(
            confirmed,
            ["a@example.org", "c@example.org"],
            "{}",
            backend.name
        );
        assert_eq!(
            store.list(Some(Status::Bounced)).unwrap(),
            [],
            "{}",
            backend.name
        );
        assert_eq!(store.list(None).unwrap().len(), 3, "{}", backend.name);
        assert_eq!(
            store.count_by_status().unwrap(),
            [
                (Status::Pending, 1),
                (Status::Confirmed, 2),
                (Status::Unsubscribed, 0),
                (Status::Bounced, 0),
                (Status::Complained, 0)
            ],
            "{}",
            backend.name
        );
    }
}
