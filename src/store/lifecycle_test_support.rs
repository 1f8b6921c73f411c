//! Helpers the store's subscriber lifecycle tests share: a pinned clock, a form sign-up, following the newest
//! confirm link and a one-click unsubscribe, all against a real SQLite store.

use crate::content::Categories;
use chrono::{DateTime, TimeZone, Utc};

use crate::email_address::SubscriberEmail;
use crate::store::{
    Channel, ConfirmOutcome, Origin, Source, Status, Store, SubscribeOutcome, UnsubscribeOutcome,
};
use crate::tokens::Link;

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

pub(super) fn email(s: &str) -> SubscriberEmail {
    SubscriberEmail::parse(s).unwrap()
}

pub(super) fn form() -> Origin {
    Origin::from_client(Channel::Form, "192.0.2.7")
}

pub(super) fn subscribe(store: &mut Store, address: &str, at: DateTime<Utc>) -> SubscribeOutcome {
    store
        .subscribe(
            &email(address),
            None,
            &Categories::everything(),
            Source::Form,
            &form(),
            at,
        )
        .unwrap()
}

/// The subscription's current link nonce, as a mailed confirm link carries it.
pub(super) fn nonce_of(store: &Store, id: u64) -> u64 {
    store
        .sqlite()
        .conn
        .query_row(
            "SELECT link_nonce FROM subscribers WHERE id = ?1",
            [id as i64],
            |row| row.get::<_, i64>(0),
        )
        .unwrap() as u64
}

/// The link in the newest confirmation mail.
pub(super) fn newest_link(store: &Store, id: u64, at: DateTime<Utc>) -> Link {
    Link {
        subscriber_id: id,
        nonce: Some(nonce_of(store, id)),
        issued_at: at,
    }
}

pub(super) fn confirm(store: &mut Store, id: u64, at: DateTime<Utc>) -> ConfirmOutcome {
    let link = newest_link(store, id, at);
    store
        .confirm(&link, &Origin::new(Channel::Link), at)
        .unwrap()
}

pub(super) fn id_only(id: u64, at: DateTime<Utc>) -> Link {
    Link {
        subscriber_id: id,
        nonce: None,
        issued_at: at,
    }
}

pub(super) fn unsubscribe(store: &mut Store, id: u64, at: DateTime<Utc>) -> UnsubscribeOutcome {
    store
        .unsubscribe(&id_only(id, at), &Origin::new(Channel::OneClick), at)
        .unwrap()
}

pub(super) fn status_of(store: &Store, id: u64) -> Status {
    store.subscriber(id).unwrap().unwrap().status
}
