//! The PostgreSQL backend, for a publication on several machines: web instances and senders share one database.
//! `PgStore` holds one connection of the synchronous `postgres` client (the store interface is synchronous and the
//! async side calls it from blocking tasks, as it does SQLite); its methods, in the sibling files, implement the
//! operations [`crate::store::Store`] offers with fixed SQL. Times are `timestamptz`.

use std::cell::RefCell;
use std::panic;
use std::thread;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use postgres::Client;

use crate::store::PostgresUrl;

mod archive;
mod bounces;
mod claims;
mod confirmation_mails;
mod consent;
mod deliveries;
mod health;
mod import;
mod issues;
mod keys;
mod lease;
mod ledger_editions;
mod migrations;
mod paused;
mod restore;
mod scheduler_state;
mod subscriber_links;
mod subscriber_queries;
mod subscribers;
mod tls;
mod topics;

/// One connection to the database. Not shared between threads: open one per thread or task.
pub struct PgStore {
    // A RefCell because the client needs `&mut` for every query, reads included, while the store interface reads
    // through `&self` (as rusqlite does). Always `Some` until dropped.
    client: RefCell<Option<Client>>,
}

/// What `verdicts check` learns of a PostgreSQL store without changing it.
#[derive(Debug, Clone)]
pub struct Probe {
    /// "PostgreSQL 17.2 store … over TLS (schema version 3, current)".
    pub found: String,
    /// This machine's clock just before and after reading the server's, and the server's: senders sharing the
    /// ledger must keep their clocks close to it (see `delivery::claims::max_clock_skew`).
    pub clock_read: (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>),
}

impl PgStore {
    /// Connects and brings the schema up to date (under an advisory lock, so processes starting together migrate
    /// once).
    pub fn connect(url: &PostgresUrl) -> Result<PgStore> {
        let client = off_runtime(|| {
            let mut client = open(url)?;
            migrations::apply(&mut client)
                .with_context(|| format!("preparing the PostgreSQL store {url}"))?;
            Ok::<_, anyhow::Error>(client)
        })?;
        Ok(PgStore {
            client: RefCell::new(Some(client)),
        })
    }

    /// Connects without changing anything, for `verdicts check`: the server's version and the schema version
    /// found (0 when the database is empty) against the one this build knows.
    pub fn probe(url: &PostgresUrl) -> Result<Probe> {
        off_runtime(|| {
            let mut client = open(url)?;
            let before = crate::clock::now();
            let server_clock: DateTime<Utc> =
                client.query_one("SELECT clock_timestamp()", &[])?.get(0);
            let clock_read = (before, crate::clock::now(), server_clock);
            let server: String = client.query_one("SHOW server_version", &[])?.get(0);
            let tls: Option<String> = client
                .query_one(
                    "SELECT max(version) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl",
                    &[],
                )?
                .get(0);
            let found: i32 = match client
                .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?
                .get(0)
            {
                true => client
                    .query_one("SELECT version FROM schema_version", &[])?
                    .get(0),
                false => 0,
            };
            let known = migrations::known();
            let schema = match found {
                0 => "empty: the schema is created on first use".to_string(),
                v if v == known => format!("schema version {v}, current"),
                v if v < known => {
                    format!("schema version {v}; version {known} is applied on first use")
                }
                v => anyhow::bail!(
                    "the PostgreSQL store {url} has schema version {v} but this build knows only up to {known}; \
                     use a newer verdicts"
                ),
            };
            let channel = match tls {
                Some(version) => format!("over TLS ({version})"),
                None => "without TLS".to_string(),
            };
            Ok(Probe {
                found: format!("PostgreSQL {server} store {url} {channel} ({schema})"),
                clock_read,
            })
        })
    }

    /// Runs one operation on the connection. Every method goes through here.
    pub(crate) fn with<T: Send>(
        &self,
        operation: impl FnOnce(&mut Client) -> Result<T> + Send,
    ) -> Result<T> {
        let mut client = self.client.borrow_mut();
        let client = client
            .as_mut()
            .expect("a PgStore has its client until dropped");
        off_runtime(move || operation(client))
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Closing the connection blocks on the client's own runtime too.
        if let Some(client) = self.client.get_mut().take() {
            off_runtime(move || drop(client));
        }
    }
}

/// A new connection; TLS as the URL's `sslmode` says (see `tls.rs`).
fn open(url: &PostgresUrl) -> Result<Client> {
    url.config().connect(tls::connector()?).map_err(|error| {
        // The client's error names the step (e.g. the TLS handshake); its sources say what went wrong.
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text = format!("{text}: {cause}");
            source = cause.source();
        }
        anyhow::anyhow!(
            "connecting to the PostgreSQL store {url}: {text}{}",
            tls::hint(&text)
        )
    })
}

/// Runs `work` where the `postgres` client may block: that client drives each query (and its connecting and
/// closing) with a runtime of its own, and tokio refuses to start one on a thread that is already inside a
/// runtime (the delivery engine reads its pages of recipients on an async task; tests are async). There `work`
/// runs on a scoped helper thread instead, which blocks the caller for the query's length, as a SQLite call does.
fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return work();
    }
    thread::scope(|scope| {
        scope
            .spawn(work)
            .join()
            .unwrap_or_else(|panicked| panic::resume_unwind(panicked))
    })
}
