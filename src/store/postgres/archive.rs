//! PostgreSQL: reading past issues as they were sent, for the web archive, its feed and the static export. Rows
//! are written by the send path; this file only reads them.

use anyhow::Result;
use postgres::Row;

use crate::store::postgres::issues::comparisons;
use crate::store::{ArchivedComparison, ArchivedIssue, PgStore};

impl PgStore {
    pub fn archived_issues(&self) -> Result<Vec<ArchivedIssue>> {
        self.with(|client| {
            let rows = client.query(
                "SELECT id, key, subject, preheader, window_start, window_end, created_at, completed_at, html
                 FROM issues ORDER BY window_end DESC, id DESC",
                &[],
            )?;
            rows.iter()
                .map(|row| {
                    let (id, mut issue) = issue_row(row);
                    issue.comparisons = archived_comparisons(client, id)?;
                    Ok(issue)
                })
                .collect()
        })
    }

    pub fn archived_issue(&self, key: &str) -> Result<Option<ArchivedIssue>> {
        self.with(|client| {
            let Some(row) = client.query_opt(
                "SELECT id, key, subject, preheader, window_start, window_end, created_at, completed_at, html
                 FROM issues WHERE key = $1",
                &[&key],
            )?
            else {
                return Ok(None);
            };
            let (id, mut issue) = issue_row(&row);
            issue.comparisons = archived_comparisons(client, id)?;
            Ok(Some(issue))
        })
    }
}

fn archived_comparisons(
    client: &mut postgres::Client,
    issue_id: i64,
) -> Result<Vec<ArchivedComparison>> {
    Ok(comparisons(client, issue_id)?
        .into_iter()
        .map(|(slug, title)| ArchivedComparison { slug, title })
        .collect())
}

fn issue_row(row: &Row) -> (i64, ArchivedIssue) {
    (
        row.get(0),
        ArchivedIssue {
            key: row.get(1),
            subject: row.get(2),
            preheader: row.get(3),
            window_start: row.get(4),
            window_end: row.get(5),
            created_at: row.get(6),
            completed_at: row.get(7),
            comparisons: Vec::new(),
            html: row.get(8),
        },
    )
}
