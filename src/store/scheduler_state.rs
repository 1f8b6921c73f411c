//! The built-in scheduler's memory in `settings`: up to which fire time the weekly send has been handled, so a
//! restart (or a second `serve` instance on the same store) knows whether this week's fire still needs a send.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::store::{Store, parse_ts, ts};

const LAST_FIRE_SETTING: &str = "scheduler_last_fire";

impl Store {
    /// Every fire at or before this time was sent or skipped; `None` before the scheduler first ran.
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

    /// Records `fire` as handled. The record only moves forward: of two instances finishing the same fire, or a
    /// slow one finishing an older fire, the latest time stays.
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use crate::store::Store;

    #[test]
    fn the_last_fire_is_absent_at_first_and_only_ever_moves_forward() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.scheduler_last_fire().unwrap(), None);
        let monday = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        let earlier = Utc.with_ymd_and_hms(2026, 11, 16, 8, 0, 0).unwrap();
        store.record_scheduler_fire(monday).unwrap();
        store.record_scheduler_fire(earlier).unwrap();
        assert_eq!(store.scheduler_last_fire().unwrap(), Some(monday));
    }
}
