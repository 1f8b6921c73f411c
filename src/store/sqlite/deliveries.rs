//! SQLite: The per-recipient delivery ledger: pages of due work for the sender, recording what the relay said, marking
//! an issue complete, and counting the ledger by state for a run and for `verdicts status`.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::store::deliveries::skip_class;
use crate::store::sqlite::subscriber_queries::enum_column;
use crate::store::sqlite::{SqliteStore, opt_ts_column, ts, ts_column};
use crate::store::topics::from_stored;
use crate::store::{DeliveryResult, DueDelivery, IssueStatus, LedgerCounts, Outcome};

impl SqliteStore {
    pub fn due_deliveries(
        &self,
        issue_id: i64,
        after: u64,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>> {
        // The unary `+` keeps SQLite on the primary key (issue_id, subscriber_id): already in the page order,
        // and every row skipped lies behind the next page's start, so a whole pass reads the ledger once.
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.subscriber_id, d.email, s.name, s.status, d.attempts, d.categories
             FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             WHERE d.issue_id = ?1 AND d.subscriber_id > ?2
               AND (+d.state = 'pending' OR (+d.state = 'deferred' AND d.next_attempt_at <= ?3))
             ORDER BY d.subscriber_id
             LIMIT ?4",
        )?;
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![issue_id, after, ts(now), limit], |row| {
            Ok(DueDelivery {
                subscriber_id: row.get::<_, i64>(0)? as u64,
                email: row.get(1)?,
                name: row.get(2)?,
                status: enum_column(row, 3)?,
                attempts: row.get(4)?,
                categories: from_stored(&row.get::<_, String>(5)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn record(&mut self, outcomes: &[Outcome], now: DateTime<Utc>) -> Result<()> {
        let tx = self.write_transaction()?;
        {
            let mut sent = tx.prepare_cached(
                "UPDATE deliveries SET state = 'sent', attempts = attempts + 1, relay_reply = ?3, sent_at = ?4,
                        next_attempt_at = NULL
                 WHERE issue_id = ?1 AND subscriber_id = ?2",
            )?;
            let mut deferred = tx.prepare_cached(
                "UPDATE deliveries SET state = 'deferred', attempts = attempts + 1, last_error = ?3,
                        next_attempt_at = ?4
                 WHERE issue_id = ?1 AND subscriber_id = ?2",
            )?;
            let mut failed = tx.prepare_cached(
                "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = ?3,
                        next_attempt_at = NULL
                 WHERE issue_id = ?1 AND subscriber_id = ?2",
            )?;
            let mut skipped = tx.prepare_cached(
                "UPDATE deliveries SET state = 'skipped', last_error = ?3, next_attempt_at = NULL
                 WHERE issue_id = ?1 AND subscriber_id = ?2",
            )?;
            for outcome in outcomes {
                let (issue, id) = (outcome.issue_id, outcome.subscriber_id as i64);
                match &outcome.result {
                    DeliveryResult::Sent { reply } => {
                        sent.execute(params![issue, id, reply, ts(outcome.at)])?;
                    }
                    DeliveryResult::Deferred {
                        error,
                        next_attempt_at,
                    } => {
                        deferred.execute(params![issue, id, error, ts(*next_attempt_at)])?;
                    }
                    DeliveryResult::Failed { error, bounce: b } => {
                        failed.execute(params![issue, id, error])?;
                        if *b {
                            crate::store::sqlite::subscribers::bounce_row(
                                &tx,
                                id,
                                Some(error),
                                now,
                            )?;
                        }
                    }
                    DeliveryResult::Skipped { reason } => {
                        skipped.execute(params![issue, id, reason])?;
                    }
                }
            }
        }
        tx.commit().context("recording deliveries")?;
        Ok(())
    }

    pub fn complete_issue(&mut self, issue_id: i64, now: DateTime<Utc>) -> Result<bool> {
        let tx = self.write_transaction()?;
        tx.execute(
            "UPDATE issues SET completed_at = ?2
             WHERE id = ?1 AND completed_at IS NULL AND NOT EXISTS (
               SELECT 1 FROM deliveries WHERE issue_id = ?1 AND state IN ('pending', 'deferred'))",
            params![issue_id, ts(now)],
        )?;
        let complete: bool = tx.query_row(
            "SELECT completed_at IS NOT NULL FROM issues WHERE id = ?1",
            [issue_id],
            |row| row.get(0),
        )?;
        tx.commit()?;
        Ok(complete)
    }

    pub fn ledger_counts(&self, issue_id: i64) -> Result<LedgerCounts> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT state, {}, count(*) FROM deliveries WHERE issue_id = ?1 GROUP BY 1, 2",
            skip_class("")
        ))?;
        let mut counts = LedgerCounts::default();
        let rows = stmt.query_map([issue_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, i64>(2)? as u64,
            ))
        })?;
        for row in rows {
            let (state, class, n) = row?;
            counts.add(&state, class.as_deref(), n);
        }
        Ok(counts)
    }

    pub fn next_retry(&self, issue_id: i64) -> Result<Option<DateTime<Utc>>> {
        Ok(self.conn.query_row(
            "SELECT min(next_attempt_at) FROM deliveries WHERE issue_id = ?1 AND state = 'deferred'",
            [issue_id],
            |row| opt_ts_column(row, 0),
        )?)
    }

    pub fn issue_statuses(&self, newest: i64) -> Result<Vec<IssueStatus>> {
        let skip_class = skip_class("d.");
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT i.key, i.subject, i.created_at, i.completed_at,
                    (SELECT min(next_attempt_at) FROM deliveries WHERE issue_id = i.id AND state = 'deferred'),
                    d.state, count(d.state), i.paused_at, i.paused_reason, {skip_class}
             FROM issues i LEFT JOIN deliveries d ON d.issue_id = i.id
             WHERE i.id IN (SELECT id FROM issues ORDER BY window_end DESC, id DESC LIMIT ?1)
             GROUP BY i.id, d.state, 10
             ORDER BY i.window_end DESC, i.id DESC"
        ))?;
        let mut rows = stmt.query([newest])?;
        let mut out: Vec<IssueStatus> = Vec::new();
        while let Some(row) = rows.next()? {
            let key: String = row.get(0)?;
            if out.last().is_none_or(|last| last.key != key) {
                out.push(IssueStatus {
                    key,
                    subject: row.get(1)?,
                    created_at: ts_column(row, 2)?,
                    completed_at: opt_ts_column(row, 3)?,
                    counts: LedgerCounts::default(),
                    next_attempt_at: opt_ts_column(row, 4)?,
                    paused: match (opt_ts_column(row, 7)?, row.get::<_, Option<String>>(8)?) {
                        (Some(at), Some(reason)) => Some((at, reason)),
                        _ => None,
                    },
                    claimed: 0,
                });
            }
            let state: Option<String> = row.get(5)?;
            let n: i64 = row.get(6)?;
            let class: Option<String> = row.get(9)?;
            if let (Some(state), Some(last)) = (state, out.last_mut()) {
                last.counts.add(&state, class.as_deref(), n as u64);
            }
        }
        Ok(out)
    }
}
