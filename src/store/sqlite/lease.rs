//! SQLite: Named leases: at most one holder at a time across every process that shares the store, with an expiry so a
//! holder that died lets the next one in. `verdicts send` holds the `send` lease while it delivers; the guard that
//! renews it in the background is [`crate::lease::LeaseGuard`].

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};

use crate::store::LeaseOutcome;
use crate::store::sqlite::{SqliteStore, ts, ts_column};

impl SqliteStore {
    pub fn try_acquire_lease(
        &mut self,
        name: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<LeaseOutcome> {
        let tx = self.write_transaction()?;
        let taken = tx.execute(
            "INSERT INTO leases (name, owner, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
             WHERE leases.expires_at <= ?4 OR leases.owner = excluded.owner",
            params![name, owner, ts(now + ttl), ts(now)],
        )?;
        let outcome = if taken == 1 {
            LeaseOutcome::Acquired
        } else {
            let (owner, expires_at) = tx.query_row(
                "SELECT owner, expires_at FROM leases WHERE name = ?1",
                [name],
                |row| Ok((row.get(0)?, ts_column(row, 1)?)),
            )?;
            LeaseOutcome::HeldBy { owner, expires_at }
        };
        tx.commit()?;
        Ok(outcome)
    }

    pub fn take_over_lease(
        &mut self,
        name: &str,
        from: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.write_transaction()?;
        let taken = tx.execute(
            "UPDATE leases SET owner = ?3, expires_at = ?4 WHERE name = ?1 AND owner = ?2",
            params![name, from, owner, ts(now + ttl)],
        )?;
        tx.commit()?;
        Ok(taken == 1)
    }

    pub fn renew_lease(
        &mut self,
        name: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.write_transaction()?;
        let renewed = tx.execute(
            "UPDATE leases SET expires_at = ?3 WHERE name = ?1 AND owner = ?2",
            params![name, owner, ts(now + ttl)],
        )?;
        tx.commit()?;
        Ok(renewed == 1)
    }

    pub fn release_lease(&mut self, name: &str, owner: &str) -> Result<bool> {
        let tx = self.write_transaction()?;
        let released = tx.execute(
            "DELETE FROM leases WHERE name = ?1 AND owner = ?2",
            params![name, owner],
        )?;
        tx.commit()?;
        Ok(released == 1)
    }

    pub fn lease_holder(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, DateTime<Utc>)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT owner, expires_at FROM leases WHERE name = ?1 AND expires_at > ?2",
                params![name, ts(now)],
                |row| Ok((row.get(0)?, ts_column(row, 1)?)),
            )
            .optional()?)
    }
}
