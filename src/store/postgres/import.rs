//! PostgreSQL: import (to be written).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::store::{ImportRow, ImportSummary, PgStore};

impl PgStore {
    pub fn import(&mut self, _rows: &[ImportRow], _now: DateTime<Utc>) -> Result<ImportSummary> {
        todo!("PostgreSQL: import")
    }
}
