//! The store of subscribers, issues and the delivery ledger, behind one interface with two backends: SQLite in a
//! file (the embedded default, one machine) and PostgreSQL (several web instances and senders on one database).
//! [`Store`] is the interface (its domain operations are in `api.rs`); `sqlite/` and `postgres/` each implement
//! every operation once, with fixed SQL. The types the operations take and return live in the files named after
//! their part of the domain.

use anyhow::Result;
use chrono::{DateTime, Utc};

mod api;
mod archive;
mod bounces;
mod claims;
mod confirmation_mails;
pub mod consent;
mod copy;
mod deliveries;
mod import;
mod issues;
mod keys;
mod lease;
#[cfg(test)]
mod lifecycle_test_support;
mod location;
mod postgres;
mod restore;
mod scheduler_state;
mod sqlite;
mod status;
mod subscriber_links;
mod subscriber_queries;
mod subscribers;
mod time_text;
mod topics;

pub use archive::{ArchivedComparison, ArchivedIssue};
pub use bounces::{BounceKind, BounceReport, ReportCounts, ReportOutcome, ReportSource};
pub use claims::ClaimRequest;
pub use confirmation_mails::{
    CONFIRMATION_MAIL_ATTEMPTS, CONFIRMATION_MAIL_CLAIM, QueueTake, QueuedConfirmation,
};
pub use consent::{Channel, ConsentEvent, ConsentRecord, Origin};
pub use copy::{CopyOutcome, CopyRequest, TableCount, copy_sqlite_to_postgres};
pub use deliveries::{DeliveryResult, DueDelivery, IssueStatus, LedgerCounts, Outcome, SkippedBy};
pub use import::{ImportRow, ImportSummary};
pub use issues::{IssueComparison, IssueCreated, NewIssue, StoredIssue};
pub use lease::LeaseOutcome;
pub use location::{Database, PostgresUrl};
pub use restore::Restore;
pub use status::{Source, Status, UnknownValue};
pub use subscriber_links::{ConfirmOutcome, UnsubscribeOutcome};
pub use subscriber_queries::Subscriber;
pub use subscribers::{CONFIRMATION_RESEND_INTERVAL, SubscribeKind, SubscribeOutcome};
pub use topics::{ChoiceCount, ReaderTopics, TopicsChange};

pub(crate) use postgres::PgStore;
pub use postgres::Probe;
pub(crate) use sqlite::SqliteStore;

/// The subscriber, issue and delivery store. One `Store` holds one connection: open one per thread or task (the
/// web side pools them, see `web/store_pool.rs`).
pub struct Store {
    backend: Backend,
}

enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Store {
    /// Opens the store, creating a SQLite file (and its folder) on first use, and brings its schema up to date.
    pub fn open(database: &Database) -> Result<Store> {
        let backend = match database {
            Database::Sqlite(path) => Backend::Sqlite(SqliteStore::open(path)?),
            Database::Postgres(url) => Backend::Postgres(PgStore::connect(url)?),
        };
        Ok(Store { backend })
    }

    /// Opens the store only if it exists: for read-only commands, which in a folder without a SQLite store should
    /// say so rather than create an empty one there. A PostgreSQL database always exists once it is reachable.
    pub fn open_existing(database: &Database) -> Result<Store> {
        let backend = match database {
            Database::Sqlite(path) => Backend::Sqlite(SqliteStore::open_existing(path)?),
            Database::Postgres(url) => Backend::Postgres(PgStore::connect(url)?),
        };
        Ok(Store { backend })
    }

    /// Opens (creating on first use) the SQLite file at `path`: [`Store::open`] for a path at hand.
    pub fn open_sqlite(path: &std::path::Path) -> Result<Store> {
        Store::open(&Database::Sqlite(path.to_path_buf()))
    }

    /// For `verdicts check`: whether the store can be reached, and what it holds, without creating or changing
    /// anything. `None` for a SQLite file (opened when first needed).
    pub fn probe(database: &Database) -> Option<Result<Probe>> {
        match database {
            Database::Sqlite(_) => None,
            Database::Postgres(url) => Some(PgStore::probe(url)),
        }
    }

    /// A fresh SQLite store that lives in memory, for tests.
    pub fn open_in_memory() -> Result<Store> {
        Ok(Store {
            backend: Backend::Sqlite(SqliteStore::open_in_memory()?),
        })
    }

    /// Which backend this is, for messages: "SQLite" or "PostgreSQL".
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }

    /// True when several senders may share one issue's ledger, each claiming rows (PostgreSQL); false when one
    /// sender at a time holds the send lease (SQLite).
    pub fn shares_senders(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// The database server's clock where senders on several machines share the ledger and judge each other's
    /// claims by their own clocks (PostgreSQL); `None` on SQLite (one machine, one clock).
    pub fn server_clock(&self) -> Result<Option<DateTime<Utc>>> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(None),
            Backend::Postgres(store) => store.server_clock().map(Some),
        }
    }

    /// The SQLite backend, for tests that look beneath the interface.
    #[cfg(test)]
    pub(crate) fn sqlite(&self) -> &SqliteStore {
        match &self.backend {
            Backend::Sqlite(store) => store,
            Backend::Postgres(_) => panic!("not a SQLite store"),
        }
    }
}
