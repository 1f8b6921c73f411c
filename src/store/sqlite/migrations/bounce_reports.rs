//! The migration for bounces and complaints after the send: the `complained` status, the soft-bounce count and
//! the reason a reader bounced or complained on `subscribers`, and the `bounce_reports` table (see
//! `store/bounces.rs`).
//!
//! SQLite cannot change a CHECK constraint, so `subscribers` is rebuilt by the documented create-copy-drop-rename
//! procedure (`apply` has turned foreign keys off and checks them before committing). The new table is made from
//! the stored definition with only the status list changed, so columns another migration added are kept as they
//! are, and rows are copied with their ids. The largest id ever given out (`sqlite_sequence`) is carried over as
//! well: without it a removed reader's id could be given out again, and links mailed to them would reach someone
//! else.

use anyhow::{Context, Result};
use rusqlite::Transaction;

const OLD_CHECK: &str = "CHECK (status IN ('pending','confirmed','unsubscribed','bounced'))";
const NEW_CHECK: &str =
    "CHECK (status IN ('pending','confirmed','unsubscribed','bounced','complained'))";

const AFTER: &str = "
ALTER TABLE subscribers ADD COLUMN soft_bounces INTEGER NOT NULL DEFAULT 0;
-- The issue of the last soft bounce counted: each issue counts once.
ALTER TABLE subscribers ADD COLUMN soft_bounce_issue INTEGER;
-- Why the reader is bounced or complained (the report's words), for `subscribers list` and `export`.
ALTER TABLE subscribers ADD COLUMN status_reason TEXT;

CREATE TABLE bounce_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  -- The issue the report is about (named by its VERP address, else the newest sent to the reader); no foreign
  -- key, like the ledger's on PostgreSQL: issues are never deleted.
  issue_id INTEGER,
  kind TEXT NOT NULL CHECK (kind IN ('hard','soft','complaint')),
  source TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_at TEXT NOT NULL,
  outcome TEXT NOT NULL
);
-- One report of each kind per reader and issue: the same report handed in twice changes nothing.
CREATE UNIQUE INDEX bounce_reports_once ON bounce_reports(subscriber_id, issue_id, kind);
CREATE INDEX bounce_reports_by_issue ON bounce_reports(issue_id, kind);
";

pub(super) fn migrate(tx: &Transaction<'_>) -> Result<()> {
    let table: String = tx.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'subscribers'",
        [],
        |row| row.get(0),
    )?;
    anyhow::ensure!(
        table.contains(OLD_CHECK),
        "the subscribers table does not have the expected status constraint: {table}"
    );
    let open = table
        .find('(')
        .context("no column list in the subscribers table")?;
    let rebuilt = format!(
        "CREATE TABLE subscribers_rebuilt {}",
        table[open..].replace(OLD_CHECK, NEW_CHECK)
    );
    let indexes: Vec<String> = tx
        .prepare(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'subscribers' AND sql IS NOT NULL",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let sequence: Option<i64> = tx
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'",
            [],
            |row| row.get(0),
        )
        .ok();
    tx.execute_batch(&rebuilt)?;
    tx.execute_batch("INSERT INTO subscribers_rebuilt SELECT * FROM subscribers;")?;
    tx.execute_batch("DROP TABLE subscribers;")?;
    tx.execute_batch("ALTER TABLE subscribers_rebuilt RENAME TO subscribers;")?;
    if let Some(sequence) = sequence {
        // The copy set the sequence to the largest id left; put back the largest ever given out.
        tx.execute("DELETE FROM sqlite_sequence WHERE name = 'subscribers'", [])?;
        tx.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('subscribers', ?1)",
            [sequence],
        )?;
    }
    for index in indexes {
        tx.execute_batch(&index)?;
    }
    tx.execute_batch(AFTER)?;
    Ok(())
}
