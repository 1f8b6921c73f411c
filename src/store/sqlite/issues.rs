//! SQLite: Issues: creating one with its recipient snapshot, reading it back by key, and the history that the next issue
//! is assembled against. The per-recipient ledger an issue starts lives in `deliveries.rs`.

use std::collections::HashSet;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

use crate::digest::History;
use crate::store::issues::FIRST_WINDOW_START;
use crate::store::issues::ISSUE_COLUMNS;
use crate::store::sqlite::{SqliteStore, opt_ts_column, parse_ts, ts, ts_column};
use crate::store::{IssueComparison, IssueCreated, NewIssue, StoredIssue};

impl SqliteStore {
    pub fn history(&self, as_of: DateTime<Utc>) -> Result<History> {
        let previous_window_end = self
            .conn
            .query_row(
                "SELECT max(window_end) FROM issues WHERE window_end <= ?1",
                [ts(as_of)],
                |row| opt_ts_column(row, 0),
            )
            .context("reading the previous issue's window")?;
        let previous_window_end = match previous_window_end {
            Some(end) => Some(end),
            None => self
                .conn
                .query_row(
                    "SELECT value FROM settings WHERE key = ?1",
                    [FIRST_WINDOW_START],
                    |row| row.get::<_, String>(0),
                )
                .optional()?
                .map(|start| parse_ts(&start))
                .transpose()?
                .filter(|start| *start <= as_of),
        };
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT slug FROM issue_comparisons")?;
        let sent_slugs = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<HashSet<_>>>()?;
        Ok(History {
            previous_window_end,
            sent_slugs,
        })
    }

    pub fn create_issue(&mut self, new: &NewIssue, now: DateTime<Utc>) -> Result<IssueCreated> {
        let tx = self.write_transaction()?;
        if let Some(existing) = issue_where(&tx, "key = ?1", &new.key)? {
            return Ok(IssueCreated::Exists(existing));
        }
        let confirmed: i64 = tx.query_row(
            "SELECT count(*) FROM subscribers WHERE status = 'confirmed'",
            [],
            |row| row.get(0),
        )?;
        if confirmed == 0 {
            // An issue nobody receives would still count as sent: its comparisons would never reach the first
            // readers. Remember where the first window starts instead, so that a later week's first issue
            // still holds them (only the very first issue's window needs this: later ones start where the
            // previous issue ended).
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                params![FIRST_WINDOW_START, ts(new.window_start)],
            )?;
            tx.commit()?;
            return Ok(IssueCreated::NoRecipients);
        }
        tx.execute(
            "INSERT INTO issues (key, window_start, window_end, subject, preheader, html, text, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                new.key,
                ts(new.window_start),
                ts(new.window_end),
                new.subject,
                new.preheader,
                new.html,
                new.text,
                ts(now)
            ],
        )
        .with_context(|| format!("creating issue {}", new.key))?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT INTO issue_comparisons (issue_id, slug, title) VALUES (?1, ?2, ?3)",
            )?;
            for comparison in &new.comparisons {
                insert.execute(params![id, comparison.slug, comparison.title])?;
            }
        }
        let recipients = tx
            .execute(
                "INSERT INTO deliveries (issue_id, subscriber_id, email, state, last_error, categories)
                 SELECT ?1, id, email,
                        CASE WHEN paused_until > ?2 THEN 'skipped' ELSE 'pending' END,
                        CASE WHEN paused_until > ?2 THEN
                          'paused until ' || substr(paused_until, 1, 10) || ' ' || substr(paused_until, 12, 5) || ' UTC'
                        END,
                        categories
                 FROM subscribers WHERE status = 'confirmed'",
                params![id, ts(now)],
            )
            .with_context(|| format!("snapshotting the recipients of issue {}", new.key))?;
        let issue = issue_where(&tx, "id = ?1", id)?.context("the new issue vanished")?;
        tx.commit()
            .with_context(|| format!("committing issue {}", new.key))?;
        Ok(IssueCreated::Created {
            issue,
            recipients: recipients as u64,
        })
    }

    pub fn issue_by_key(&self, key: &str) -> Result<Option<StoredIssue>> {
        issue_where(&self.conn, "key = ?1", key)
    }

    pub fn issue_key(&self, issue_id: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT key FROM issues WHERE id = ?1", [issue_id], |row| {
                row.get(0)
            })
            .optional()?)
    }
}

fn issue_where(
    conn: &rusqlite::Connection,
    condition: &str,
    value: impl rusqlite::ToSql,
) -> Result<Option<StoredIssue>> {
    let sql = format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE {condition}");
    let Some(mut issue) = conn.query_row(&sql, [value], issue_from_row).optional()? else {
        return Ok(None);
    };
    let mut stmt = conn
        .prepare("SELECT slug, title FROM issue_comparisons WHERE issue_id = ?1 ORDER BY rowid")?;
    issue.issue.comparisons = stmt
        .query_map([issue.id], |row| {
            Ok(IssueComparison {
                slug: row.get(0)?,
                title: row.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(issue))
}

fn issue_from_row(row: &Row<'_>) -> rusqlite::Result<StoredIssue> {
    Ok(StoredIssue {
        id: row.get(0)?,
        created_at: ts_column(row, 8)?,
        completed_at: opt_ts_column(row, 9)?,
        issue: NewIssue {
            key: row.get(1)?,
            window_start: ts_column(row, 2)?,
            window_end: ts_column(row, 3)?,
            subject: row.get(4)?,
            preheader: row.get(5)?,
            html: row.get(6)?,
            text: row.get(7)?,
            comparisons: Vec::new(),
        },
    })
}
