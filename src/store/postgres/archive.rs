//! PostgreSQL: archive (to be written).

use anyhow::Result;

use crate::store::{ArchivedIssue, PgStore};

impl PgStore {
    pub fn archived_issues(&self) -> Result<Vec<ArchivedIssue>> {
        todo!("PostgreSQL: archived_issues")
    }

    pub fn archived_issue(&self, _key: &str) -> Result<Option<ArchivedIssue>> {
        todo!("PostgreSQL: archived_issue")
    }
}
