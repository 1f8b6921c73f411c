//! PostgreSQL: paused (to be written).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::store::PgStore;

impl PgStore {
    pub fn pause_issue(
        &mut self,
        _issue_id: i64,
        _reason: &str,
        _now: DateTime<Utc>,
    ) -> Result<()> {
        todo!("PostgreSQL: pause_issue")
    }

    pub fn resume_issue(&mut self, _issue_id: i64) -> Result<()> {
        todo!("PostgreSQL: resume_issue")
    }
}
