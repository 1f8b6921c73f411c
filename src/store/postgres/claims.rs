//! PostgreSQL: senders claiming pages of one issue's ledger (see `store/claims.rs`). A claim locks the rows it
//! takes with `FOR UPDATE SKIP LOCKED`, so two senders claiming at once take different rows without waiting on
//! each other, and a row another sender claimed (or is recording) is passed over, not waited for.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use postgres::Row;

use crate::store::topics::from_stored;
use crate::store::{ClaimRequest, DueDelivery, PgStore, Status};

/// Takes up to `$4` due rows above `$2`, by id, that nobody holds (unclaimed, claimed by `$5` already, or whose
/// claim ran out), for `$5` until `$6`. MATERIALIZED: the locking page is chosen once, never re-run per row.
const CLAIM_DUE: &str = "
    WITH page AS MATERIALIZED (
      SELECT subscriber_id FROM deliveries
      WHERE issue_id = $1 AND subscriber_id > $2
        AND (state = 'pending' OR (state = 'deferred' AND next_attempt_at <= $3))
        AND (claimed_by IS NULL OR claim_expires_at <= $3 OR claimed_by = $5)
      ORDER BY subscriber_id
      LIMIT $4
      FOR UPDATE SKIP LOCKED)
    UPDATE deliveries d SET claimed_by = $5, claim_expires_at = $6
    FROM page p, subscribers s
    WHERE d.issue_id = $1 AND d.subscriber_id = p.subscriber_id AND s.id = d.subscriber_id
    RETURNING d.subscriber_id, d.email, s.name, s.status, d.attempts, d.categories";

impl PgStore {
    pub fn claim_due(&mut self, request: &ClaimRequest) -> Result<Vec<DueDelivery>> {
        let after = i64::try_from(request.after).unwrap_or(i64::MAX);
        let limit = i64::try_from(request.limit).unwrap_or(i64::MAX);
        let until = request.now + request.claim_for;
        let (issue_id, now, owner) = (request.issue_id, request.now, request.owner);
        let mut page = self.with(|client| {
            let rows = client.query(
                CLAIM_DUE,
                &[&issue_id, &after, &now, &limit, &owner, &until],
            )?;
            rows.iter().map(due_delivery).collect::<Result<Vec<_>>>()
        })?;
        // RETURNING keeps no order.
        page.sort_unstable_by_key(|due| due.subscriber_id);
        Ok(page)
    }

    pub fn next_claim_expiry(
        &self,
        issue_id: i64,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        self.with(|client| {
            let row = client.query_one(
                // A free row, or one of `owner`'s own (asked between passes, when none of its rows is in
                // flight), counts as there to claim now: it was skipped because it was locked (by another
                // sender's claim still committing, or by this sender's claim keeper), and without it here a
                // sender could end its run while that row was still unsent.
                "SELECT min(CASE WHEN claimed_by IS NULL OR claimed_by = $2 THEN $3 ELSE claim_expires_at END)
                 FROM deliveries
                 WHERE issue_id = $1
                   AND (state = 'pending' OR (state = 'deferred' AND next_attempt_at <= $3))",
                &[&issue_id, &owner, &now],
            )?;
            Ok(row.get(0))
        })
    }

    pub fn extend_claims(
        &mut self,
        issue_id: i64,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<u64> {
        self.with(|client| {
            Ok(client.execute(
                "UPDATE deliveries SET claim_expires_at = $4
                 WHERE issue_id = $1 AND claimed_by = $2 AND claim_expires_at > $3 AND claim_expires_at < $4
                   AND state IN ('pending', 'deferred')",
                &[&issue_id, &owner, &now, &until],
            )?)
        })
    }

    pub fn release_claims(
        &mut self,
        issue_id: i64,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.with(|client| {
            // Expired rather than cleared: a sender polling for others' claims sees these run out and takes them.
            Ok(client.execute(
                "UPDATE deliveries SET claim_expires_at = $3
                 WHERE issue_id = $1 AND claimed_by = $2 AND claim_expires_at > $3
                   AND state IN ('pending', 'deferred')",
                &[&issue_id, &owner, &now],
            )?)
        })
    }
}

fn due_delivery(row: &Row) -> Result<DueDelivery> {
    let status: String = row.try_get(3)?;
    Ok(DueDelivery {
        subscriber_id: u64::try_from(row.try_get::<_, i64>(0)?)
            .context("a negative subscriber id")?,
        email: row.try_get(1)?,
        name: row.try_get(2)?,
        status: status.parse::<Status>()?,
        attempts: u32::try_from(row.try_get::<_, i32>(4)?).context("a negative attempt count")?,
        categories: from_stored(row.try_get(5)?),
    })
}

impl PgStore {
    /// The database server's clock (`clock_timestamp()`: the time now, not the transaction's start).
    pub fn server_clock(&self) -> Result<DateTime<Utc>> {
        self.with(|client| {
            Ok(client
                .query_one("SELECT clock_timestamp()", &[])
                .context("reading the database server's clock")?
                .get(0))
        })
    }
}
