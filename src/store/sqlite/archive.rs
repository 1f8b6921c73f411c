//! SQLite: Reading past issues as they were sent, for the web archive, its feed and the static export. Rows are written
//! by the send path; this file only reads them.

use anyhow::Result;
use rusqlite::{OptionalExtension, Row};

use crate::store::archive::ISSUE_COLUMNS;
use crate::store::sqlite::{SqliteStore, opt_ts_column, ts_column};
use crate::store::{ArchivedComparison, ArchivedIssue};

impl SqliteStore {
    pub fn archived_issues(&self) -> Result<Vec<ArchivedIssue>> {
        let mut statement = self.conn.prepare(&format!(
            "SELECT {ISSUE_COLUMNS} FROM issues ORDER BY window_end DESC, id DESC"
        ))?;
        let rows = statement
            .query_map([], issue_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, issue)| self.with_comparisons(id, issue))
            .collect()
    }

    pub fn archived_issue(&self, key: &str) -> Result<Option<ArchivedIssue>> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE key = ?1"),
                [key],
                issue_row,
            )
            .optional()?;
        row.map(|(id, issue)| self.with_comparisons(id, issue))
            .transpose()
    }

    fn with_comparisons(&self, id: i64, mut issue: ArchivedIssue) -> Result<ArchivedIssue> {
        // Rows go in in the email's order and the table has rowids, so rowid order is that order.
        let mut statement = self.conn.prepare_cached(
            "SELECT slug, title FROM issue_comparisons WHERE issue_id = ?1 ORDER BY rowid",
        )?;
        issue.comparisons = statement
            .query_map([id], |row| {
                Ok(ArchivedComparison {
                    slug: row.get(0)?,
                    title: row.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(issue)
    }
}

fn issue_row(row: &Row<'_>) -> rusqlite::Result<(i64, ArchivedIssue)> {
    Ok((
        row.get(0)?,
        ArchivedIssue {
            key: row.get(1)?,
            subject: row.get(2)?,
            preheader: row.get(3)?,
            window_start: ts_column(row, 4)?,
            window_end: ts_column(row, 5)?,
            created_at: ts_column(row, 6)?,
            completed_at: opt_ts_column(row, 7)?,
            comparisons: Vec::new(),
            html: row.get(8)?,
        },
    ))
}
