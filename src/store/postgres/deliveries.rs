//! PostgreSQL: deliveries (to be written).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::store::{DueDelivery, IssueStatus, LedgerCounts, Outcome, PgStore};

impl PgStore {
    pub fn due_deliveries(
        &self,
        _issue_id: i64,
        _after: u64,
        _limit: usize,
        _now: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>> {
        todo!("PostgreSQL: due_deliveries")
    }

    pub fn record(&mut self, _outcomes: &[Outcome], _now: DateTime<Utc>) -> Result<()> {
        todo!("PostgreSQL: record")
    }

    pub fn complete_issue(&mut self, _issue_id: i64, _now: DateTime<Utc>) -> Result<bool> {
        todo!("PostgreSQL: complete_issue")
    }

    pub fn ledger_counts(&self, _issue_id: i64) -> Result<LedgerCounts> {
        todo!("PostgreSQL: ledger_counts")
    }

    pub fn next_retry(&self, _issue_id: i64) -> Result<Option<DateTime<Utc>>> {
        todo!("PostgreSQL: next_retry")
    }

    pub fn delivery_counts(&self) -> Result<Vec<IssueStatus>> {
        todo!("PostgreSQL: delivery_counts")
    }
}
