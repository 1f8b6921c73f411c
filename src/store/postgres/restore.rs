//! PostgreSQL: restore (to be written).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::email_address::SubscriberEmail;
use crate::store::{PgStore, Restore};

impl PgStore {
    pub fn restore_bounced(
        &mut self,
        _emails: &[SubscriberEmail],
        _now: DateTime<Utc>,
    ) -> Result<Vec<Restore>> {
        todo!("PostgreSQL: restore_bounced")
    }

    pub fn restore_bounced_since(
        &mut self,
        _since: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> Result<Vec<Restore>> {
        todo!("PostgreSQL: restore_bounced_since")
    }
}
