//! SQLite: claims are pages of due rows. One sender at a time holds the send lease on a SQLite store, so there
//! is nobody to claim rows from: a claim records nothing, and no other sender ever holds one.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::store::sqlite::SqliteStore;
use crate::store::{ClaimRequest, DueDelivery};

impl SqliteStore {
    pub fn claim_due(&mut self, request: &ClaimRequest) -> Result<Vec<DueDelivery>> {
        self.due_deliveries(request.issue_id, request.after, request.limit, request.now)
    }

    pub fn next_claim_expiry(
        &self,
        _issue_id: i64,
        _owner: &str,
        _now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        Ok(None)
    }

    pub fn extend_claims(
        &mut self,
        _issue_id: i64,
        _owner: &str,
        _now: DateTime<Utc>,
        _until: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(0)
    }

    pub fn release_claims(
        &mut self,
        _issue_id: i64,
        _owner: &str,
        _now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(0)
    }
}
