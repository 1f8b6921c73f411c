//! The SQLite backend, the embedded default: opening the database file with the settings every connection needs,
//! the one text format for timestamps, and `SqliteStore`, whose methods (in the sibling files, one per part of the
//! domain) implement the operations [`crate::store::Store`] offers.

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};

pub(crate) use crate::store::time_text::{parse_ts, ts};

mod archive;
mod bounces;
mod claims;
mod confirmation_mails;
pub(crate) mod consent;
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
pub(crate) mod subscriber_links;
pub(crate) mod subscriber_queries;
pub(crate) mod subscribers;
mod topics;

/// How long a connection waits for another writer before giving up with "database is locked".
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The subscriber, issue and delivery store. One `Store` wraps one connection; open one per thread or task.
pub struct SqliteStore {
    pub(crate) conn: Connection,
}

impl SqliteStore {
    /// Opens (creating on first use) the database at `path`, including its parent directory, and brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        // Private from the start: the store holds every address and, without VERDICTS_SECRET, the link-signing
        // key. SQLite gives the -wal and -shm files the database file's mode.
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::private_files::create_private_dir(parent)
                .context("creating the store directory")?;
        }
        crate::private_files::create_private_file(path).context("creating the store")?;
        let conn = Connection::open(path)
            .with_context(|| format!("opening the store {}", path.display()))?;
        SqliteStore::from_connection(conn, true)
            .with_context(|| format!("preparing the store {}", path.display()))
    }

    /// Opens the database at `path` only if it exists: for read-only commands, which in a folder without a store
    /// should say so rather than create an empty one there.
    pub fn open_existing(path: &Path) -> Result<SqliteStore> {
        if !path.exists() {
            anyhow::bail!(
                "there is no store at {}: run this in the folder that holds your verdicts.toml, or point \
                 `database` (VERDICTS_DATABASE) at the store; nothing was created",
                path.display()
            );
        }
        SqliteStore::open(path)
    }

    /// A fresh store that lives in memory, for tests.
    pub fn open_in_memory() -> Result<SqliteStore> {
        let conn = Connection::open_in_memory().context("opening an in-memory store")?;
        SqliteStore::from_connection(conn, false)
    }

    fn from_connection(mut conn: Connection, on_disk: bool) -> Result<SqliteStore> {
        // The busy timeout goes first: switching to WAL and migrating both wait on other connections.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if on_disk {
            use_wal(&conn).context("switching to write-ahead logging")?;
            // FULL: a commit is on disk before it returns, so an unsubscribe that answered 200 survives a power
            // cut or an OS crash (NORMAL could lose the last commits in WAL mode).
            conn.pragma_update(None, "synchronous", "FULL")?;
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::apply(&mut conn).context("migrating")?;
        Ok(SqliteStore { conn })
    }

    /// Starts a transaction that holds the write lock from its first statement. Use it for every write: a
    /// deferred transaction that reads first and writes later fails at once with "database is locked" when another
    /// connection wrote in between (WAL mode), whereas this one waits up to the busy timeout for its turn.
    pub(crate) fn write_transaction(&mut self) -> Result<Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .context("waiting for the store's write lock")
    }
}

/// Puts the database file in WAL mode (a persistent property of the file, so usually already done).
///
/// SQLite answers "database is locked" to the switch without calling the busy handler when another connection is
/// opening the file at the same moment, so this retries for as long as the busy timeout would have waited.
fn use_wal(conn: &Connection) -> Result<()> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        let attempt = conn
            .query_row("PRAGMA journal_mode", [], |row| row.get::<_, String>(0))
            .and_then(|mode| {
                if mode.eq_ignore_ascii_case("wal") {
                    Ok(mode)
                } else {
                    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
                }
            });
        match attempt {
            Ok(mode) => {
                anyhow::ensure!(
                    mode.eq_ignore_ascii_case("wal"),
                    "SQLite kept journal_mode {mode:?}; is the file on a network share?"
                );
                return Ok(());
            }
            Err(e)
                if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                    && Instant::now() < deadline =>
            {
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads a timestamp column inside a rusqlite row mapper.
pub(crate) fn ts_column(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text: String = row.get(idx)?;
    parse_ts(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, e.into())
    })
}

/// Reads a nullable timestamp column inside a rusqlite row mapper.
pub(crate) fn opt_ts_column(
    row: &rusqlite::Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|text| {
        parse_ts(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, e.into())
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::{SqliteStore, parse_ts, ts};

    #[test]
    fn timestamps_round_trip_with_microseconds_and_sort_as_text() {
        let early =
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::microseconds(7);
        let late = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        assert_eq!(ts(early), "2026-01-02T03:04:05.000007Z");
        assert_eq!(parse_ts(&ts(early)).unwrap(), early);
        assert_eq!(parse_ts(&ts(late)).unwrap(), late);
        assert!(ts(early) < ts(late));
    }

    #[test]
    fn a_malformed_stored_timestamp_is_an_error_naming_it() {
        let err = parse_ts("yesterday").unwrap_err();
        assert!(err.to_string().contains("\"yesterday\""), "{err}");
    }

    #[test]
    fn opening_creates_the_directory_and_file_and_opening_again_reuses_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("verdicts.db");
        SqliteStore::open(&path).unwrap();
        assert!(path.exists());
        let store = SqliteStore::open(&path).unwrap();
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let foreign_keys: i64 = store
            .conn
            .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
            .unwrap();
        assert_eq!(foreign_keys, 1);
        let synchronous: i64 = store
            .conn
            .query_row("PRAGMA synchronous", [], |row| row.get(0))
            .unwrap();
        assert_eq!(synchronous, 2, "FULL");
        // Private, and so are the WAL files SQLite made next to it.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
            assert_eq!(
                mode(&dir.path().join("nested").join("verdicts.db-wal")),
                0o600
            );
            assert_eq!(
                mode(&dir.path().join("nested").join("verdicts.db-shm")),
                0o600
            );
        }
    }
}
