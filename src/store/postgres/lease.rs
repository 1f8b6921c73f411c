//! PostgreSQL: named leases: at most one holder at a time across every process that shares the store, with an
//! expiry so a holder that died lets the next one in. Every change is one conditional statement whose row count
//! says whether it happened, so two processes racing for a lease cannot both win.

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};

use crate::store::{LeaseOutcome, PgStore};

impl PgStore {
    pub fn try_acquire_lease(
        &mut self,
        name: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<LeaseOutcome> {
        self.with(|client| {
            loop {
                // Of two inserts of a new name the second waits on the key and then takes the DO UPDATE path,
                // whose WHERE sees the winner's row.
                let taken = client.execute(
                    "INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, $3)
                     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
                     WHERE leases.expires_at <= $4 OR leases.owner = excluded.owner",
                    &[&name, &owner, &(now + ttl), &now],
                )?;
                if taken == 1 {
                    return Ok(LeaseOutcome::Acquired);
                }
                let row = client.query_opt(
                    "SELECT owner, expires_at FROM leases WHERE name = $1",
                    &[&name],
                )?;
                // No row: the holder released it between the two statements, so it is free: try again.
                if let Some(row) = row {
                    return Ok(LeaseOutcome::HeldBy {
                        owner: row.get(0),
                        expires_at: row.get(1),
                    });
                }
            }
        })
    }

    pub fn take_over_lease(
        &mut self,
        name: &str,
        from: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.with(|client| {
            let taken = client.execute(
                "UPDATE leases SET owner = $3, expires_at = $4 WHERE name = $1 AND owner = $2",
                &[&name, &from, &owner, &(now + ttl)],
            )?;
            Ok(taken == 1)
        })
    }

    pub fn renew_lease(
        &mut self,
        name: &str,
        owner: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.with(|client| {
            let renewed = client.execute(
                "UPDATE leases SET expires_at = $3 WHERE name = $1 AND owner = $2",
                &[&name, &owner, &(now + ttl)],
            )?;
            Ok(renewed == 1)
        })
    }

    pub fn release_lease(&mut self, name: &str, owner: &str) -> Result<bool> {
        self.with(|client| {
            let released = client.execute(
                "DELETE FROM leases WHERE name = $1 AND owner = $2",
                &[&name, &owner],
            )?;
            Ok(released == 1)
        })
    }

    pub fn lease_holder(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, DateTime<Utc>)>> {
        self.with(|client| {
            Ok(client
                .query_opt(
                    "SELECT owner, expires_at FROM leases WHERE name = $1 AND expires_at > $2",
                    &[&name, &now],
                )?
                .map(|row| (row.get(0), row.get(1))))
        })
    }
}
