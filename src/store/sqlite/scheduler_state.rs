//! SQLite: The built-in scheduler's memory in `settings`: up to which fire time the weekly send has been handled, so a
//! restart (or a second `serve` instance on the same store) knows whether this week's fire still needs a send.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::store::scheduler_state::LAST_FIRE_SETTING;
use crate::store::sqlite::{SqliteStore, parse_ts, ts};

impl SqliteStore {
    pub fn scheduler_last_fire(&self) -> Result<Option<DateTime<Utc>>> {
        let value: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                [LAST_FIRE_SETTING],
                |row| row.get(0),
            )
            .optional()?;
        value
            .map(|text| parse_ts(&text))
            .transpose()
            .with_context(|| format!("the {LAST_FIRE_SETTING} setting in the store"))
    }

    pub fn record_scheduler_fire(&mut self, fire: DateTime<Utc>) -> Result<()> {
        let tx = self.write_transaction()?;
        // Stored timestamps have a fixed width, so text order is time order.
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE excluded.value > settings.value",
            params![LAST_FIRE_SETTING, ts(fire)],
        )?;
        tx.commit()?;
        Ok(())
    }
}
