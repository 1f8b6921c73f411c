//! PostgreSQL: the editions an issue's ledger holds (see [`crate::store::topics`]): the distinct category choices
//! of its due rows, so a run renders each once before it starts, and skipping every due row of an edition that
//! has nothing new. Every sender of the issue decides the same for an edition, so a row another sender holds is
//! skipped with the rest (its claim ends with it), in one conditional UPDATE.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::content::Categories;
use crate::store::topics::{from_stored, stored};
use crate::store::{ChoiceCount, PgStore};

impl PgStore {
    pub fn confirmed_choices(&self, now: DateTime<Utc>) -> Result<Vec<ChoiceCount>> {
        self.with(|client| {
            Ok(client
                .query(
                    "SELECT categories, count(*), count(*) FILTER (WHERE paused_until > $1)
                     FROM subscribers WHERE status = 'confirmed'
                     GROUP BY categories ORDER BY categories",
                    &[&now],
                )?
                .iter()
                .map(|row| ChoiceCount {
                    categories: from_stored(row.get(0)),
                    readers: row.get::<_, i64>(1) as u64,
                    paused: row.get::<_, i64>(2) as u64,
                })
                .collect())
        })
    }

    pub fn ledger_editions(&self, issue_id: i64) -> Result<Vec<Categories>> {
        self.with(|client| {
            Ok(client
                .query(
                    "SELECT DISTINCT categories FROM deliveries
                     WHERE issue_id = $1 AND state IN ('pending', 'deferred')
                     ORDER BY categories",
                    &[&issue_id],
                )?
                .iter()
                .map(|row| from_stored(row.get(0)))
                .collect())
        })
    }

    pub fn skip_edition(
        &mut self,
        issue_id: i64,
        categories: &Categories,
        reason: &str,
    ) -> Result<u64> {
        let categories = stored(categories);
        self.with(|client| {
            Ok(client.execute(
                "UPDATE deliveries SET state = 'skipped', last_error = $3, next_attempt_at = NULL,
                   claimed_by = NULL, claim_expires_at = NULL
                 WHERE issue_id = $1 AND categories = $2 AND state IN ('pending', 'deferred')",
                &[&issue_id, &categories, &reason],
            )?)
        })
    }
}
