//! SQLite: The store's part of `/healthz`: a real write, committed, so a store that can be read but not written (a
//! writer stuck holding the lock, a full disk, a file system remounted read-only) is reported, not only one that
//! cannot be opened.

use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::store::sqlite::{BUSY_TIMEOUT, SqliteStore, ts};

/// How long the check waits for the write lock: long enough for ordinary writers, short enough for a monitor.
const HEALTH_BUSY_TIMEOUT: Duration = Duration::from_secs(2);

impl SqliteStore {
    pub fn check_writable(&mut self, now: DateTime<Utc>) -> Result<()> {
        self.conn.busy_timeout(HEALTH_BUSY_TIMEOUT)?;
        let result = self.write_health_row(now);
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        result
    }

    fn write_health_row(&mut self, now: DateTime<Utc>) -> Result<()> {
        let tx = self.write_transaction()?;
        // Not part of the schema migrations: nothing reads it, and it may be dropped at any time.
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS health_check (
                 id INTEGER PRIMARY KEY CHECK (id = 1),
                 checked_at TEXT NOT NULL
             )",
        )?;
        tx.execute(
            "INSERT INTO health_check (id, checked_at) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
            [ts(now)],
        )?;
        tx.commit().context("committing the health check write")
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use rusqlite::Connection;

    use crate::store::Store;

    #[test]
    fn a_store_that_can_be_read_but_not_written_fails_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("verdicts.db");
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let mut store = Store::open_sqlite(&path).unwrap();
        store.check_writable(now).unwrap();
        // Another connection holds the write lock; reads still work (WAL), writes do not.
        let holder = Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        assert!(store.subscriber(0).is_ok());
        assert!(store.check_writable(now).is_err());
        holder.execute_batch("ROLLBACK").unwrap();
        store.check_writable(now).unwrap();
    }
}
