//! SQLite: the editions an issue's ledger holds (see [`crate::store::topics`]): the distinct category choices of
//! its due rows, so a run renders each once before it starts, and skipping every due row of an edition that has
//! nothing new.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::content::Categories;
use crate::store::ChoiceCount;
use crate::store::sqlite::{SqliteStore, ts};
use crate::store::topics::{from_stored, stored};

impl SqliteStore {
    pub fn confirmed_choices(&self, now: DateTime<Utc>) -> Result<Vec<ChoiceCount>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT categories, count(*), sum(CASE WHEN paused_until > ?1 THEN 1 ELSE 0 END)
             FROM subscribers WHERE status = 'confirmed'
             GROUP BY categories ORDER BY categories",
        )?;
        let rows = stmt.query_map([ts(now)], |row| {
            Ok(ChoiceCount {
                categories: from_stored(&row.get::<_, String>(0)?),
                readers: row.get::<_, i64>(1)? as u64,
                paused: row.get::<_, i64>(2)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn ledger_editions(&self, issue_id: i64) -> Result<Vec<Categories>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT categories FROM deliveries
             WHERE issue_id = ?1 AND state IN ('pending', 'deferred')
             ORDER BY categories",
        )?;
        let rows = stmt.query_map([issue_id], |row| row.get::<_, String>(0))?;
        rows.map(|text| Ok(from_stored(&text?))).collect()
    }

    pub fn skip_edition(
        &mut self,
        issue_id: i64,
        categories: &Categories,
        reason: &str,
    ) -> Result<u64> {
        let tx = self.write_transaction()?;
        let skipped = tx.execute(
            "UPDATE deliveries SET state = 'skipped', last_error = ?3, next_attempt_at = NULL
             WHERE issue_id = ?1 AND categories = ?2 AND state IN ('pending', 'deferred')",
            params![issue_id, stored(categories), reason],
        )?;
        tx.commit()?;
        Ok(skipped as u64)
    }
}
