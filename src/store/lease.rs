//! Named leases: at most one holder at a time across every process that shares the store, with an expiry so a
//! holder that died lets the next one in. `verdicts send` holds the `send` lease while it delivers; the guard that
//! renews it in the background is [`crate::lease::LeaseGuard`].

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};

use crate::store::{Store, ts, ts_column};

/// What [`Store::try_acquire_lease`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOutcome {
    /// The lease is ours until `now + ttl`.
    Acquired,
    /// Someone else holds it until `expires_at`.
    HeldBy {
        owner: String,
        expires_at: DateTime<Utc>,
    },
}

impl Store {
    /// Takes the lease `name` for `owner` until `now + ttl` when nobody holds it, its holder's time ran out, or
    /// `owner` already holds it (then it is extended). One IMMEDIATE transaction, so two processes racing for it
    /// cannot both win.
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

    /// Takes the lease over from `from`, a holder known to be dead, for `owner` until `now + ttl`.
    /// False when `from` no longer holds it (it was released or taken meanwhile).
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

    /// Extends `owner`'s lease to `now + ttl`. False when it is no longer `owner`'s (released, or taken over
    /// after it expired): the holder must stop the work the lease protects.
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

    /// Gives the lease up so the next process need not wait for it to expire. False when `owner` did not hold it.
    pub fn release_lease(&mut self, name: &str, owner: &str) -> Result<bool> {
        let tx = self.write_transaction()?;
        let released = tx.execute(
            "DELETE FROM leases WHERE name = ?1 AND owner = ?2",
            params![name, owner],
        )?;
        tx.commit()?;
        Ok(released == 1)
    }

    /// Who holds `name` at `now`, and until when (for `verdicts status`); `None` when free or expired.
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

#[cfg(test)]
mod tests;
