//! PostgreSQL: why a run paused an issue: kept with the issue so that `verdicts status` can show the relay's words
//! after the run that heard them has exited. A run that resumes the issue clears it.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::store::PgStore;

impl PgStore {
    pub fn pause_issue(&mut self, issue_id: i64, reason: &str, now: DateTime<Utc>) -> Result<()> {
        self.with(|client| {
            client.execute(
                "UPDATE issues SET paused_at = $2, paused_reason = $3 WHERE id = $1",
                &[&issue_id, &now, &reason],
            )?;
            Ok(())
        })
    }

    pub fn resume_issue(&mut self, issue_id: i64) -> Result<()> {
        self.with(|client| {
            client.execute(
                "UPDATE issues SET paused_at = NULL, paused_reason = NULL WHERE id = $1",
                &[&issue_id],
            )?;
            Ok(())
        })
    }
}
