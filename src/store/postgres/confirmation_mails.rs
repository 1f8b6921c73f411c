//! PostgreSQL: confirmation_mails (to be written).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::store::{PgStore, QueuedConfirmation};

impl PgStore {
    pub fn due_confirmation_mails(
        &mut self,
        _now: DateTime<Utc>,
        _limit: usize,
    ) -> Result<Vec<QueuedConfirmation>> {
        todo!("PostgreSQL: due_confirmation_mails")
    }

    pub fn next_confirmation_mail_at(&self) -> Result<Option<DateTime<Utc>>> {
        todo!("PostgreSQL: next_confirmation_mail_at")
    }

    pub fn confirmation_mail_sent(&mut self, _mail: &QueuedConfirmation) -> Result<()> {
        todo!("PostgreSQL: confirmation_mail_sent")
    }

    pub fn confirmation_mail_failed(
        &mut self,
        _mail: &QueuedConfirmation,
        _error: &str,
        _now: DateTime<Utc>,
    ) -> Result<bool> {
        todo!("PostgreSQL: confirmation_mail_failed")
    }
}
