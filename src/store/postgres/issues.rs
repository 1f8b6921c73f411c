//! PostgreSQL: issues: creating one with its recipient snapshot, reading it back by key, and the history that the
//! next issue is assembled against. The per-recipient ledger an issue starts lives in `deliveries.rs`.
//!
//! Several senders may create the same week's issue at once. The unique `key` settles it: the first insert wins,
//! the others wait on that key until the winner commits (snapshot included) and then read its issue.

use std::collections::HashSet;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use postgres::{GenericClient, Row};

use crate::digest::History;
use crate::store::issues::FIRST_WINDOW_START;
use crate::store::time_text::{parse_ts, ts};
use crate::store::{IssueComparison, IssueCreated, NewIssue, PgStore, StoredIssue};

impl PgStore {
    pub fn history(&self, as_of: DateTime<Utc>) -> Result<History> {
        self.with(|client| {
            let previous_window_end: Option<DateTime<Utc>> = client
                .query_one(
                    "SELECT max(window_end) FROM issues WHERE window_end <= $1",
                    &[&as_of],
                )
                .context("reading the previous issue's window")?
                .get(0);
            let previous_window_end = match previous_window_end {
                Some(end) => Some(end),
                // Kept as text in the SQLite format, like every setting, so a copied store reads the same.
                None => client
                    .query_opt(
                        "SELECT value FROM settings WHERE key = $1",
                        &[&FIRST_WINDOW_START],
                    )?
                    .map(|row| parse_ts(row.get(0)))
                    .transpose()
                    .with_context(|| format!("the {FIRST_WINDOW_START} setting in the store"))?
                    .filter(|start| *start <= as_of),
            };
            let sent_slugs = client
                .query("SELECT DISTINCT slug FROM issue_comparisons", &[])?
                .iter()
                .map(|row| row.get::<_, String>(0))
                .collect::<HashSet<_>>();
            Ok(History {
                previous_window_end,
                sent_slugs,
            })
        })
    }

    pub fn create_issue(&mut self, new: &NewIssue, now: DateTime<Utc>) -> Result<IssueCreated> {
        self.with(|client| {
            let mut tx = client.transaction()?;
            // On a conflict this waits for the transaction holding the key: after its commit there is an issue to
            // return; after its rollback (it found nobody to send to) this insert goes ahead.
            let inserted = tx
                .query_opt(
                    "INSERT INTO issues (key, window_start, window_end, subject, preheader, html, text, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (key) DO NOTHING
                     RETURNING id",
                    &[
                        &new.key,
                        &new.window_start,
                        &new.window_end,
                        &new.subject,
                        &new.preheader,
                        &new.html,
                        &new.text,
                        &now,
                    ],
                )
                .with_context(|| format!("creating issue {}", new.key))?;
            let Some(inserted) = inserted else {
                // Read committed: this statement sees the issue the other transaction committed.
                let existing = issue_by_key(&mut tx, &new.key)?
                    .with_context(|| format!("issue {} conflicted but is not there", new.key))?;
                tx.commit()?;
                return Ok(IssueCreated::Exists(existing));
            };
            let id: i64 = inserted.get(0);
            let insert_comparison = tx.prepare(
                "INSERT INTO issue_comparisons (issue_id, slug, title) VALUES ($1, $2, $3)",
            )?;
            for comparison in &new.comparisons {
                tx.execute(
                    &insert_comparison,
                    &[&id, &comparison.slug, &comparison.title],
                )?;
            }
            // One statement, however long the list: the rows never leave the server.
            let recipients = tx
                .execute(
                    "INSERT INTO deliveries (issue_id, subscriber_id, email, state, last_error, categories)
                     SELECT $1::BIGINT, id, email,
                            CASE WHEN paused_until > $2 THEN 'skipped' ELSE 'pending' END,
                            CASE WHEN paused_until > $2 THEN
                              'paused until ' || to_char(paused_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'
                            END,
                            categories
                     FROM subscribers WHERE status = 'confirmed'",
                    &[&id, &now],
                )
                .with_context(|| format!("snapshotting the recipients of issue {}", new.key))?;
            if recipients == 0 {
                // An issue nobody receives would still count as sent: its comparisons would never reach the first
                // readers. Undo it and remember where the first window starts instead, so that a later week's
                // first issue still holds them (see the SQLite store). The first such start stays.
                tx.rollback()?;
                client.execute(
                    "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                    &[&FIRST_WINDOW_START, &ts(new.window_start)],
                )?;
                return Ok(IssueCreated::NoRecipients);
            }
            // The planner's figures for the ledger must include this issue before a sender pages through it:
            // without them it takes the new issue for a few rows and sorts all that remain for every page.
            tx.batch_execute("ANALYZE deliveries")?;
            let issue = issue_by_id(&mut tx, id)?.context("the new issue vanished")?;
            tx.commit()
                .with_context(|| format!("committing issue {}", new.key))?;
            Ok(IssueCreated::Created {
                issue,
                recipients,
            })
        })
    }

    pub fn issue_by_key(&self, key: &str) -> Result<Option<StoredIssue>> {
        self.with(|client| issue_by_key(client, key))
    }

    pub fn issue_key(&self, issue_id: i64) -> Result<Option<String>> {
        self.with(|client| {
            Ok(client
                .query_opt("SELECT key FROM issues WHERE id = $1", &[&issue_id])?
                .map(|row| row.get(0)))
        })
    }
}

fn issue_by_key(client: &mut impl GenericClient, key: &str) -> Result<Option<StoredIssue>> {
    let row = client.query_opt(
        "SELECT id, key, window_start, window_end, subject, preheader, html, text, created_at, completed_at
         FROM issues WHERE key = $1",
        &[&key],
    )?;
    with_comparisons(client, row)
}

fn issue_by_id(client: &mut impl GenericClient, id: i64) -> Result<Option<StoredIssue>> {
    let row = client.query_opt(
        "SELECT id, key, window_start, window_end, subject, preheader, html, text, created_at, completed_at
         FROM issues WHERE id = $1",
        &[&id],
    )?;
    with_comparisons(client, row)
}

fn with_comparisons(
    client: &mut impl GenericClient,
    row: Option<Row>,
) -> Result<Option<StoredIssue>> {
    let Some(row) = row else {
        return Ok(None);
    };
    let mut issue = StoredIssue {
        id: row.get(0),
        created_at: row.get(8),
        completed_at: row.get(9),
        issue: NewIssue {
            key: row.get(1),
            window_start: row.get(2),
            window_end: row.get(3),
            subject: row.get(4),
            preheader: row.get(5),
            html: row.get(6),
            text: row.get(7),
            comparisons: Vec::new(),
        },
    };
    issue.issue.comparisons = comparisons(client, issue.id)?
        .into_iter()
        .map(|(slug, title)| IssueComparison { slug, title })
        .collect();
    Ok(Some(issue))
}

/// An issue's comparisons (slug, title) in the email's order: `seq` counts up as they are inserted.
pub(super) fn comparisons(
    client: &mut impl GenericClient,
    issue_id: i64,
) -> Result<Vec<(String, String)>> {
    Ok(client
        .query(
            "SELECT slug, title FROM issue_comparisons WHERE issue_id = $1 ORDER BY seq",
            &[&issue_id],
        )?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}
