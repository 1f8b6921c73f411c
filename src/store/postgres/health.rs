//! PostgreSQL: the store's part of `/healthz`: a real write, committed, so a database that can be read but not
//! written (a writer stuck holding the row, a full disk, a server in recovery or read-only) is reported, not only
//! one that cannot be reached. Every wait inside is cut short after [`HEALTH_TIMEOUT`], so a monitor hears of a
//! stuck database in about that time rather than hanging with it.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::store::PgStore;

/// How long the check waits for a lock, and for any one statement: long enough for ordinary writers, short enough
/// for a monitor. The lock wait is the shorter so that a held lock is reported as such. Both settings are `SET
/// LOCAL`, so they end with the check's transaction.
const HEALTH_TIMEOUT: &str =
    "SET LOCAL lock_timeout = '1500ms'; SET LOCAL statement_timeout = '2s'";

/// Held while the table is made, so two instances checking for the first time at once do not both create it
/// (PostgreSQL's `CREATE TABLE IF NOT EXISTS` can fail when another session creates the same table concurrently).
/// "vhealth" in ASCII.
const HEALTH_LOCK: i64 = 0x0076_6865_616c_7468;

impl PgStore {
    pub fn check_writable(&mut self, now: DateTime<Utc>) -> Result<()> {
        self.write_health_row(now)
            .context("the PostgreSQL store did not take a write within 2 s")
    }

    fn write_health_row(&mut self, now: DateTime<Utc>) -> Result<()> {
        self.with(|client| {
            let mut tx = client.transaction()?;
            tx.batch_execute(HEALTH_TIMEOUT)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&HEALTH_LOCK])?;
            // Not part of the schema migrations: nothing reads it, and it may be dropped at any time.
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS health_check (
                     id INTEGER PRIMARY KEY CHECK (id = 1),
                     checked_at TIMESTAMPTZ NOT NULL
                 )",
            )?;
            tx.execute(
                "INSERT INTO health_check (id, checked_at) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                &[&now],
            )?;
            tx.commit().context("committing the health check write")
        })
    }
}
