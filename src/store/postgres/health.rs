//! PostgreSQL: health (to be written).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::store::PgStore;

impl PgStore {
    pub fn check_writable(&mut self, _now: DateTime<Utc>) -> Result<()> {
        todo!("PostgreSQL: check_writable")
    }
}
