//! SQLite: the editions an issue's ledger holds (see [`crate::store::topics`]): the distinct category choices of
//! its due rows, so a run renders each once before it starts, and skipping every due row of an edition that has
//! nothing new.

use anyhow::Result;
use rusqlite::params;

use crate::content::Categories;
use crate::store::sqlite::SqliteStore;
use crate::store::topics::{from_stored, stored};

impl SqliteStore {
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
