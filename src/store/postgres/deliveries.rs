//! PostgreSQL: the per-recipient delivery ledger: pages of due work for the sender, recording what the relay said,
//! marking an issue complete, and counting the ledger by state for a run and for `verdicts status`.
//!
//! `record` writes a batch with one set-based UPDATE per kind of outcome (rows travel as arrays), not one round
//! trip per row: several senders share the database, and the ledger writer is on every message's path.

use std::collections::HashSet;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use postgres::Transaction;
use postgres::error::SqlState;
use postgres::types::ToSql;

use crate::store::consent::email_hash;
use crate::store::deliveries::skip_class;
use crate::store::subscribers::nonce;
use crate::store::topics::from_stored;
use crate::store::{
    Channel, ConsentEvent, DeliveryResult, DueDelivery, IssueStatus, LedgerCounts, Outcome,
    PgStore, Status,
};

impl PgStore {
    pub fn due_deliveries(
        &self,
        issue_id: i64,
        after: u64,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|client| {
            // Walks the ledger's keys from `after`, already in page order. `s.id > $2` says again what the join
            // implies, because the planner does not infer it: without it a merge join reads the subscribers from
            // the first id on every page, and a pass over the list grows with its square.
            let rows = client.query(
                "SELECT d.subscriber_id, d.email, s.name, s.status, d.attempts, d.categories
                 FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
                 WHERE d.issue_id = $1 AND d.subscriber_id > $2 AND s.id > $2
                   AND (d.state = 'pending' OR (d.state = 'deferred' AND d.next_attempt_at <= $3))
                 ORDER BY d.subscriber_id
                 LIMIT $4",
                &[&issue_id, &after, &now, &limit],
            )?;
            rows.iter()
                .map(|row| {
                    let status: &str = row.get(3);
                    Ok(DueDelivery {
                        subscriber_id: row.get::<_, i64>(0) as u64,
                        email: row.get(1),
                        name: row.get(2),
                        status: status.parse::<Status>()?,
                        attempts: row.get::<_, i32>(4) as u32,
                        categories: from_stored(row.get(5)),
                    })
                })
                .collect()
        })
    }

    pub fn record(&mut self, outcomes: &[Outcome], now: DateTime<Utc>) -> Result<()> {
        self.with(|client| {
            let mut attempt = 1;
            loop {
                let result = (|| {
                    let mut tx = client.transaction()?;
                    for chunk in distinct_runs(outcomes) {
                        record_chunk(&mut tx, chunk, now)?;
                    }
                    tx.commit().context("recording deliveries")
                })();
                // Two senders can hold rows in common only when a claim expired under a slow one; if their
                // batches then lock those rows in opposite orders, the server aborts one of them. Run it again.
                match result {
                    Err(e) if attempt < RECORD_ATTEMPTS && deadlocked(&e) => attempt += 1,
                    other => return other,
                }
            }
        })
    }

    pub fn complete_issue(&mut self, issue_id: i64, now: DateTime<Utc>) -> Result<bool> {
        self.with(|client| {
            let mut tx = client.transaction()?;
            tx.execute(
                "UPDATE issues SET completed_at = $2
                 WHERE id = $1 AND completed_at IS NULL AND NOT EXISTS (
                   SELECT 1 FROM deliveries WHERE issue_id = $1 AND state IN ('pending', 'deferred'))",
                &[&issue_id, &now],
            )?;
            let complete: bool = tx
                .query_one(
                    "SELECT completed_at IS NOT NULL FROM issues WHERE id = $1",
                    &[&issue_id],
                )?
                .get(0);
            tx.commit()?;
            Ok(complete)
        })
    }

    pub fn ledger_counts(&self, issue_id: i64) -> Result<LedgerCounts> {
        self.with(|client| {
            let mut counts = LedgerCounts::default();
            let sql = format!(
                "SELECT state, {}, count(*) FROM deliveries WHERE issue_id = $1 GROUP BY 1, 2",
                skip_class("")
            );
            for row in client.query(&sql, &[&issue_id])? {
                counts.add(row.get(0), row.get(1), row.get::<_, i64>(2) as u64);
            }
            Ok(counts)
        })
    }

    pub fn next_retry(&self, issue_id: i64) -> Result<Option<DateTime<Utc>>> {
        self.with(|client| {
            Ok(client
                .query_one(
                    "SELECT min(next_attempt_at) FROM deliveries WHERE issue_id = $1 AND state = 'deferred'",
                    &[&issue_id],
                )?
                .get(0))
        })
    }

    pub fn issue_statuses(&self, newest: i64) -> Result<Vec<IssueStatus>> {
        self.with(|client| {
            let skip_class = skip_class("d.");
            let sql = format!(
                "SELECT i.key, i.subject, i.created_at, i.completed_at,
                        (SELECT min(next_attempt_at) FROM deliveries WHERE issue_id = i.id AND state = 'deferred'),
                        d.state, count(d.state), i.paused_at, i.paused_reason,
                        (SELECT count(*) FROM deliveries
                         WHERE issue_id = i.id AND claimed_by IS NOT NULL AND claim_expires_at > now()),
                        {skip_class}
                 FROM issues i LEFT JOIN deliveries d ON d.issue_id = i.id
                 WHERE i.id IN (SELECT id FROM issues ORDER BY window_end DESC, id DESC LIMIT $1)
                 GROUP BY i.id, d.state, 11
                 ORDER BY i.window_end DESC, i.id DESC"
            );
            let rows = client.query(&sql, &[&newest])?;
            let mut out: Vec<IssueStatus> = Vec::new();
            for row in rows {
                let key: String = row.get(0);
                if out.last().is_none_or(|last| last.key != key) {
                    let paused_at: Option<DateTime<Utc>> = row.get(7);
                    let paused_reason: Option<String> = row.get(8);
                    out.push(IssueStatus {
                        key,
                        subject: row.get(1),
                        created_at: row.get(2),
                        completed_at: row.get(3),
                        counts: LedgerCounts::default(),
                        next_attempt_at: row.get(4),
                        paused: paused_at.zip(paused_reason),
                        claimed: row.get::<_, i64>(9) as u64,
                    });
                }
                let state: Option<&str> = row.get(5);
                let n: i64 = row.get(6);
                let class: Option<&str> = row.get(10);
                if let (Some(state), Some(last)) = (state, out.last_mut()) {
                    last.counts.add(state, class, n as u64);
                }
            }
            Ok(out)
        })
    }
}

/// How often `record` runs a batch that lost a deadlock before it gives up.
const RECORD_ATTEMPTS: u32 = 3;

fn deadlocked(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<postgres::Error>()
        .and_then(postgres::Error::code)
        .is_some_and(|code| *code == SqlState::T_R_DEADLOCK_DETECTED)
}

/// Splits a batch, in order, into runs in which no ledger row appears twice. Within a run the rows' updates are
/// independent, so each kind can go in one statement; a row recorded twice in one batch (deferred, then retried)
/// gets its updates in order, as row-by-row recording would.
fn distinct_runs(outcomes: &[Outcome]) -> Vec<&[Outcome]> {
    let mut runs = Vec::new();
    let mut seen = HashSet::new();
    let mut start = 0;
    for (index, outcome) in outcomes.iter().enumerate() {
        if !seen.insert((outcome.issue_id, outcome.subscriber_id)) {
            runs.push(&outcomes[start..index]);
            start = index;
            seen.clear();
            seen.insert((outcome.issue_id, outcome.subscriber_id));
        }
    }
    if start < outcomes.len() {
        runs.push(&outcomes[start..]);
    }
    runs
}

/// The columns of one kind of outcome, as arrays for `unnest`.
#[derive(Default)]
struct Rows {
    issue_ids: Vec<i64>,
    subscriber_ids: Vec<i64>,
    texts: Vec<String>,
    times: Vec<DateTime<Utc>>,
}

impl Rows {
    fn push(&mut self, outcome: &Outcome, text: &str, time: Option<DateTime<Utc>>) {
        self.issue_ids.push(outcome.issue_id);
        self.subscriber_ids.push(outcome.subscriber_id as i64);
        self.texts.push(text.to_owned());
        self.times.extend(time);
    }
}

// One statement per kind of outcome; `$1`–`$3` are the issue ids, subscriber ids and texts, `$4` the times where
// the outcome has them.
const RECORD_SENT: &str = "
    UPDATE deliveries d SET state = 'sent', attempts = d.attempts + 1, relay_reply = u.text, sent_at = u.at,
           next_attempt_at = NULL, claimed_by = NULL, claim_expires_at = NULL
    FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TIMESTAMPTZ[]) AS u(issue_id, subscriber_id, text, at)
    WHERE d.issue_id = u.issue_id AND d.subscriber_id = u.subscriber_id";
const RECORD_DEFERRED: &str = "
    UPDATE deliveries d SET state = 'deferred', attempts = d.attempts + 1, last_error = u.text,
           next_attempt_at = u.at, claimed_by = NULL, claim_expires_at = NULL
    FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TIMESTAMPTZ[]) AS u(issue_id, subscriber_id, text, at)
    WHERE d.issue_id = u.issue_id AND d.subscriber_id = u.subscriber_id";
const RECORD_FAILED: &str = "
    UPDATE deliveries d SET state = 'failed', attempts = d.attempts + 1, last_error = u.text,
           next_attempt_at = NULL, claimed_by = NULL, claim_expires_at = NULL
    FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[]) AS u(issue_id, subscriber_id, text)
    WHERE d.issue_id = u.issue_id AND d.subscriber_id = u.subscriber_id";
const RECORD_SKIPPED: &str = "
    UPDATE deliveries d SET state = 'skipped', last_error = u.text,
           next_attempt_at = NULL, claimed_by = NULL, claim_expires_at = NULL
    FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[]) AS u(issue_id, subscriber_id, text)
    WHERE d.issue_id = u.issue_id AND d.subscriber_id = u.subscriber_id";

/// Records a run of outcomes that touch distinct rows. Every recorded row's send claim ends with it.
fn record_chunk(tx: &mut Transaction<'_>, outcomes: &[Outcome], now: DateTime<Utc>) -> Result<()> {
    let (mut sent, mut deferred) = (Rows::default(), Rows::default());
    let (mut failed, mut skipped) = (Rows::default(), Rows::default());
    let mut bounces = Vec::new();
    for outcome in outcomes {
        match &outcome.result {
            DeliveryResult::Sent { reply } => sent.push(outcome, reply, Some(outcome.at)),
            DeliveryResult::Deferred {
                error,
                next_attempt_at,
            } => deferred.push(outcome, error, Some(*next_attempt_at)),
            DeliveryResult::Failed { error, bounce } => {
                failed.push(outcome, error, None);
                if *bounce {
                    bounces.push((outcome.subscriber_id as i64, error.as_str()));
                }
            }
            DeliveryResult::Skipped { reason } => skipped.push(outcome, reason, None),
        }
    }
    for (rows, sql) in [
        (&sent, RECORD_SENT),
        (&deferred, RECORD_DEFERRED),
        (&failed, RECORD_FAILED),
        (&skipped, RECORD_SKIPPED),
    ] {
        if rows.issue_ids.is_empty() {
            continue;
        }
        let mut params: Vec<&(dyn ToSql + Sync)> =
            vec![&rows.issue_ids, &rows.subscriber_ids, &rows.texts];
        if !rows.times.is_empty() {
            params.push(&rows.times);
        }
        tx.execute(sql, &params)?;
    }
    // Bounces are rare: one at a time, in order, like the SQLite store's `bounce_row`.
    for (subscriber_id, error) in bounces {
        bounce(tx, subscriber_id, error, now)?;
    }
    Ok(())
}

/// Marks a subscriber bounced unless they already left, with its consent history entry, as
/// `sqlite::subscribers::bounce_row` does for a relay's refusal.
fn bounce(tx: &mut Transaction<'_>, id: i64, error: &str, now: DateTime<Utc>) -> Result<()> {
    let Some(row) = tx.query_opt(
        "UPDATE subscribers SET status = 'bounced', status_changed_at = $2, link_nonce = $3, pending_name = NULL
         WHERE id = $1 AND status IN ('pending', 'confirmed')
         RETURNING email_key",
        &[&id, &now, &nonce()],
    )?
    else {
        return Ok(());
    };
    let email_key: &str = row.get(0);
    tx.execute(
        "DELETE FROM confirmation_mails WHERE subscriber_id = $1",
        &[&id],
    )?;
    tx.execute(
        "INSERT INTO consent_events (subscriber_id, email_hash, at, event, channel, client, detail)
         VALUES ($1, $2, $3, $4, $5, NULL, $6)",
        &[
            &id,
            &email_hash(email_key),
            &now,
            &ConsentEvent::Bounce.as_str(),
            &Channel::Relay.as_str(),
            &error,
        ],
    )?;
    Ok(())
}
