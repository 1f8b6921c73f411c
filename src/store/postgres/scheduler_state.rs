//! PostgreSQL: scheduler_state (to be written).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::store::PgStore;

impl PgStore {
    pub fn scheduler_last_fire(&self) -> Result<Option<DateTime<Utc>>> {
        todo!("PostgreSQL: scheduler_last_fire")
    }

    pub fn record_scheduler_fire(&mut self, _fire: DateTime<Utc>) -> Result<()> {
        todo!("PostgreSQL: record_scheduler_fire")
    }
}
