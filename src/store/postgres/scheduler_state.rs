//! PostgreSQL: the built-in scheduler's memory in `settings`: up to which fire time the weekly send has been
//! handled, so a restart (or a second `serve` instance on the same database) knows whether this week's fire still
//! needs a send.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::store::PgStore;
use crate::store::scheduler_state::LAST_FIRE_SETTING;
use crate::store::time_text::{parse_ts, ts};

impl PgStore {
    pub fn scheduler_last_fire(&self) -> Result<Option<DateTime<Utc>>> {
        let value: Option<String> = self.with(|client| {
            Ok(client
                .query_opt(
                    "SELECT value FROM settings WHERE key = $1",
                    &[&LAST_FIRE_SETTING],
                )?
                .map(|row| row.get(0)))
        })?;
        value
            .map(|text| parse_ts(&text))
            .transpose()
            .with_context(|| format!("the {LAST_FIRE_SETTING} setting in the store"))
    }

    pub fn record_scheduler_fire(&mut self, fire: DateTime<Utc>) -> Result<()> {
        self.with(|client| {
            // Stored as text in the SQLite format (a store copies across as it is); its fixed width makes text
            // order time order, and the conditional upsert means a slower instance never moves it back.
            client.execute(
                "INSERT INTO settings (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value
                 WHERE excluded.value COLLATE \"C\" > settings.value COLLATE \"C\"",
                &[&LAST_FIRE_SETTING, &ts(fire)],
            )?;
            Ok(())
        })
    }
}
