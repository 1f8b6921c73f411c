//! What the subscriber cases of the store suite share: a pinned clock, a form sign-up, the newest confirm link as
//! its queued mail carries it, a one-click unsubscribe, and raw SQL on either backend for the few cases that must
//! set up or look at rows the interface does not offer.

use chrono::{DateTime, Duration, TimeZone, Utc};
use weekly_verdicts::content::Categories;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{
    Channel, ConfirmOutcome, Database, Origin, QueueTake, QueuedConfirmation, Source, Status,
    Store, SubscribeOutcome, UnsubscribeOutcome,
};
use weekly_verdicts::tokens::Link;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

pub fn email(s: &str) -> SubscriberEmail {
    SubscriberEmail::parse(s).unwrap()
}

pub fn form() -> Origin {
    Origin::from_client(Channel::Form, "192.0.2.7")
}

pub fn subscribe(store: &mut Store, address: &str, at: DateTime<Utc>) -> SubscribeOutcome {
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

/// The link in the newest confirmation mail queued for `id` (the queue holds the nonce it is signed with).
pub fn newest_link(store: &mut Store, id: u64, at: DateTime<Utc>) -> Link {
    let queued = queued(store, now() + Duration::days(3650), usize::MAX)
        .unwrap()
        .into_iter()
        .find(|mail| mail.subscriber_id == id)
        .unwrap_or_else(|| {
            panic!(
                "{}: no confirmation mail queued for {id}",
                store.backend_name()
            )
        });
    Link {
        subscriber_id: id,
        nonce: Some(queued.nonce),
        issued_at: at,
    }
}

/// Follows the newest confirm link.
/// The mails due at `at` (at most `limit`), read without keeping them: taken, then their claims given back.
pub fn queued(
    store: &mut Store,
    at: DateTime<Utc>,
    limit: usize,
) -> anyhow::Result<Vec<QueuedConfirmation>> {
    let mails = store.due_confirmation_mails(&QueueTake {
        now: at,
        limit,
        owner: "store-suite",
        only: None,
    })?;
    store.release_confirmation_claims("store-suite", at)?;
    Ok(mails)
}

pub fn confirm(store: &mut Store, id: u64, at: DateTime<Utc>) -> ConfirmOutcome {
    let link = newest_link(store, id, at);
    store
        .confirm(&link, &Origin::new(Channel::Link), at)
        .unwrap()
}

pub fn id_only(id: u64, at: DateTime<Utc>) -> Link {
    Link {
        subscriber_id: id,
        nonce: None,
        issued_at: at,
    }
}

/// A one-click unsubscribe with an id-only link made at `at`.
pub fn unsubscribe(store: &mut Store, id: u64, at: DateTime<Utc>) -> UnsubscribeOutcome {
    store
        .unsubscribe(&id_only(id, at), &Origin::new(Channel::OneClick), at)
        .unwrap()
}

pub fn status_of(store: &Store, id: u64) -> Status {
    store.subscriber(id).unwrap().unwrap().status
}

/// Runs `sqlite` or `postgres` (statements without parameters) on a connection of its own to `database`.
pub fn execute(database: &Database, sqlite: &str, postgres: &str) {
    match database {
        Database::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch(sqlite)
            .unwrap(),
        Database::Postgres(url) => pg_client(url).batch_execute(postgres).unwrap(),
    }
}

/// The one integer `sql` (the same on both backends) answers.
pub fn query_count(database: &Database, sql: &str) -> i64 {
    match database {
        Database::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row(sql, [], |row| row.get(0))
            .unwrap(),
        Database::Postgres(url) => pg_client(url).query_one(sql, &[]).unwrap().get(0),
    }
}

/// A plain connection to the test database, beside the store's own.
pub fn pg_client(url: &weekly_verdicts::store::PostgresUrl) -> postgres::Client {
    url.config().connect(postgres::NoTls).unwrap()
}
