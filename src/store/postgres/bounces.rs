//! PostgreSQL: Bounces and complaints reported after the send, with the rules of `store/bounces.rs`. The reader's
//! row is locked (`FOR UPDATE`) before it is read for a decision, so two reports about one reader handled at once
//! (two `bounces ingest` processes, a webhook and a Maildir run) apply one after the other; the report's row goes
//! in with `ON CONFLICT DO NOTHING`, so the same report twice is recorded once.

use anyhow::Result;
use chrono::{DateTime, Utc};
use postgres::GenericClient;

use crate::store::bounces::{Change, ReportCounts, Standing, decide, history_entry};
use crate::store::consent::Entry;
use crate::store::postgres::consent::record_consent;
use crate::store::postgres::subscriber_queries::enum_column;
use crate::store::subscribers::nonce;
use crate::store::{BounceReport, Origin, PgStore, ReportOutcome};

impl PgStore {
    pub fn record_bounce_report(
        &mut self,
        report: &BounceReport,
        soft_bounce_limit: u32,
        now: DateTime<Utc>,
    ) -> Result<ReportOutcome> {
        let Ok(id) = i64::try_from(report.subscriber_id) else {
            return Ok(ReportOutcome::NotOnList);
        };
        self.with(|client| {
            let mut tx = client.transaction()?;
            let Some(row) = tx.query_opt(
                "SELECT status, soft_bounces, soft_bounce_issue, email_key FROM subscribers WHERE id = $1
                 FOR UPDATE",
                &[&id],
            )?
            else {
                return Ok(ReportOutcome::NotOnList);
            };
            let soft_bounces: i32 = row.get(1);
            let soft_bounce_issue: Option<i64> = row.get(2);
            let email_key: String = row.get(3);
            let issue = match report.issue_id {
                Some(issue) => Some(issue),
                None => tx
                    .query_one(
                        "SELECT max(issue_id) FROM deliveries WHERE subscriber_id = $1 AND state = 'sent'",
                        &[&id],
                    )?
                    .get(0),
            };
            let delivered_since = match (soft_bounce_issue, issue) {
                (Some(last), Some(issue)) => tx
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM deliveries
                           WHERE subscriber_id = $1 AND issue_id > $2 AND issue_id < $3 AND state = 'sent')",
                        &[&id, &last, &issue],
                    )?
                    .get(0),
                _ => false,
            };
            let standing = Standing {
                status: enum_column(&row, 0)?,
                soft_bounces: u32::try_from(soft_bounces).unwrap_or(0),
                soft_bounce_issue,
                delivered_since,
            };
            let (change, outcome) = decide(&standing, report, issue, soft_bounce_limit);
            let inserted = tx.execute(
                "INSERT INTO bounce_reports (subscriber_id, issue_id, kind, source, reason, received_at, outcome)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (subscriber_id, issue_id, kind) DO NOTHING",
                &[
                    &id,
                    &issue,
                    &report.kind.as_str(),
                    &report.source.as_str(),
                    &report.reason,
                    &now,
                    &outcome.as_str(),
                ],
            )?;
            if inserted == 0 {
                return Ok(ReportOutcome::AlreadyDone);
            }
            match &change {
                Change::Nothing => {}
                Change::Bounce { reason } => {
                    tx.execute(
                        "UPDATE subscribers SET status = 'bounced', status_changed_at = $2, link_nonce = $3,
                           pending_name = NULL, status_reason = $4, soft_bounces = 0, soft_bounce_issue = $5
                         WHERE id = $1",
                        &[&id, &now, &nonce(), reason, &issue.or(soft_bounce_issue)],
                    )?;
                    forget_queued_mail(&mut tx, id)?;
                }
                Change::CountSoft { count, issue } => {
                    let count = i32::try_from(*count).unwrap_or(i32::MAX);
                    tx.execute(
                        "UPDATE subscribers SET soft_bounces = $2, soft_bounce_issue = $3 WHERE id = $1",
                        &[&id, &count, issue],
                    )?;
                }
                Change::Complain => {
                    tx.execute(
                        "UPDATE subscribers SET status = 'complained', status_changed_at = $2,
                           unsubscribed_at = coalesce(unsubscribed_at, $2), link_nonce = $3, pending_name = NULL,
                           status_reason = $4
                         WHERE id = $1",
                        &[&id, &now, &nonce(), &report.reason],
                    )?;
                    forget_queued_mail(&mut tx, id)?;
                }
            }
            let issue_key: Option<String> = match issue {
                Some(issue) => tx
                    .query_opt("SELECT key FROM issues WHERE id = $1", &[&issue])?
                    .map(|row| row.get(0)),
                None => None,
            };
            if let Some((event, detail)) =
                history_entry(&change, report, issue_key.as_deref(), soft_bounce_limit)
            {
                record_consent(
                    &mut tx,
                    &Entry {
                        subscriber_id: id,
                        email_key: &email_key,
                        event,
                        origin: &Origin::new(report.source.channel()),
                        detail: Some(&detail),
                        at: now,
                    },
                )?;
            }
            tx.commit()?;
            Ok(outcome)
        })
    }

    pub fn report_counts(&self) -> Result<Vec<(String, ReportCounts)>> {
        self.with(|client| {
            let rows = client.query(
                "SELECT i.key, r.kind, count(*) FROM bounce_reports r JOIN issues i ON i.id = r.issue_id
                 GROUP BY i.id, i.key, r.kind ORDER BY i.id",
                &[],
            )?;
            let mut out: Vec<(String, ReportCounts)> = Vec::new();
            for row in rows {
                let key: String = row.get(0);
                let kind: &str = row.get(1);
                let n: i64 = row.get(2);
                if out.last().is_none_or(|(last, _)| *last != key) {
                    out.push((key, ReportCounts::default()));
                }
                if let Some((_, counts)) = out.last_mut() {
                    counts.add(kind, n as u64);
                }
            }
            Ok(out)
        })
    }
}

/// A bounced or complaining reader is sent no confirmation mail that was waiting.
fn forget_queued_mail(tx: &mut impl GenericClient, id: i64) -> Result<()> {
    tx.execute(
        "DELETE FROM confirmation_mails WHERE subscriber_id = $1",
        &[&id],
    )?;
    Ok(())
}
