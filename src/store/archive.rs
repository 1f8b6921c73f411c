//! Reading past issues as they were sent, for the web archive, its feed and the static export. Rows are written
//! by the send path; this file only reads them.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row};

use crate::store::{Store, opt_ts_column, ts_column};

/// One issue as sent: its identity, what the subscriber saw, and which comparisons it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedIssue {
    /// ISO week, e.g. `2026-W48`: also the issue's path in the archive.
    pub key: String,
    pub subject: String,
    pub preheader: String,
    pub window_start: DateTime<Utc>,
    /// The send time the issue was assembled for.
    pub window_end: DateTime<Utc>,
    /// When the issue was created, i.e. when its sending began.
    pub created_at: DateTime<Utc>,
    /// When every recipient had been handled; `None` while the send is under way.
    pub completed_at: Option<DateTime<Utc>>,
    /// In the order they appeared in the email.
    pub comparisons: Vec<ArchivedComparison>,
    /// The HTML part with [`crate::digest::UNSUBSCRIBE_PLACEHOLDER`] where each subscriber's own link went.
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedComparison {
    pub slug: String,
    pub title: String,
}

const ISSUE_COLUMNS: &str =
    "id, key, subject, preheader, window_start, window_end, created_at, completed_at, html";

impl Store {
    /// Every issue, newest first. An issue still being sent is included: its first recipients already have
    /// "view in browser" links to it.
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

    /// The issue called `key`, if there is one.
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
