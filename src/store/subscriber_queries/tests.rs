//! Reading subscribers back: case-insensitive lookup, filters, counts and keyset pages.

use chrono::{DateTime, TimeZone, Utc};

use crate::email_address::SubscriberEmail;
use crate::store::{Channel, Origin, Source, Status, Store};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn email(s: &str) -> SubscriberEmail {
    SubscriberEmail::parse(s).unwrap()
}

fn subscribe(store: &mut Store, address: &str) -> u64 {
    store
        .subscribe(
            &email(address),
            None,
            Source::Form,
            &Origin::new(Channel::Form),
            now(),
        )
        .unwrap()
        .subscriber_id
}

#[test]
fn an_address_is_one_subscriber_whatever_its_case() {
    let mut store = Store::open_in_memory().unwrap();
    let first = subscribe(&mut store, "Ann.Lee@Example.org");
    let second = subscribe(&mut store, "ann.lee@EXAMPLE.ORG");
    assert_eq!(first, second);
    assert_eq!(store.list(None).unwrap().len(), 1);
    let found = store
        .find_by_email(&email("ANN.LEE@example.org"))
        .unwrap()
        .unwrap();
    assert_eq!(found.email, "Ann.Lee@example.org", "stored as first given");
}

#[test]
fn an_address_with_an_apostrophe_is_stored_and_found() {
    let mut store = Store::open_in_memory().unwrap();
    let id = subscribe(&mut store, "o'brien@x.org");
    let found = store
        .find_by_email(&email("O'Brien@x.org"))
        .unwrap()
        .unwrap();
    assert_eq!(found.id, id);
    assert_eq!(found.email, "o'brien@x.org");
}

#[test]
fn listing_filters_by_status_and_counts_include_every_status() {
    let mut store = Store::open_in_memory().unwrap();
    for (address, status) in [
        ("a@example.org", Status::Confirmed),
        ("b@example.org", Status::Pending),
        ("c@example.org", Status::Confirmed),
    ] {
        store
            .add(&email(address), None, status, Source::Cli, now())
            .unwrap();
    }
    let confirmed: Vec<String> = store
        .list(Some(Status::Confirmed))
        .unwrap()
        .into_iter()
        .map(|s| s.email)
        .collect();
    assert_eq!(confirmed, ["a@example.org", "c@example.org"]);
    assert_eq!(store.list(None).unwrap().len(), 3);
    assert_eq!(
        store.count_by_status().unwrap(),
        [
            (Status::Pending, 1),
            (Status::Confirmed, 2),
            (Status::Unsubscribed, 0),
            (Status::Bounced, 0)
        ]
    );
}
