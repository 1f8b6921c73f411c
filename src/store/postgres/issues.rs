//! PostgreSQL: issues (to be written).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::digest::History;
use crate::store::{IssueCreated, NewIssue, PgStore, StoredIssue};

impl PgStore {
    pub fn history(&self, _as_of: DateTime<Utc>) -> Result<History> {
        todo!("PostgreSQL: history")
    }

    pub fn create_issue(&mut self, _new: &NewIssue, _now: DateTime<Utc>) -> Result<IssueCreated> {
        todo!("PostgreSQL: create_issue")
    }

    pub fn issue_by_key(&self, _key: &str) -> Result<Option<StoredIssue>> {
        todo!("PostgreSQL: issue_by_key")
    }
}
