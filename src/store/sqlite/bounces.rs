//! SQLite: Bounces and complaints reported after the send: recording one report and applying the rules of
//! `store/bounces.rs` to the reader in one transaction, and counting reports per issue for `verdicts status`.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::store::bounces::{Change, ReportCounts, Standing, decide, history_entry};
use crate::store::consent::Entry;
use crate::store::sqlite::consent::record_consent;
use crate::store::sqlite::subscriber_queries::enum_column;
use crate::store::sqlite::{SqliteStore, ts};
use crate::store::subscribers::nonce;
use crate::store::{BounceReport, Origin, ReportOutcome};

impl SqliteStore {
    pub fn record_bounce_report(
        &mut self,
        report: &BounceReport,
        soft_bounce_limit: u32,
        now: DateTime<Utc>,
    ) -> Result<ReportOutcome> {
        let Ok(id) = i64::try_from(report.subscriber_id) else {
            return Ok(ReportOutcome::NotOnList);
        };
        let tx = self.write_transaction()?;
        let found = tx
            .query_row(
                "SELECT status, soft_bounces, soft_bounce_issue, email_key FROM subscribers WHERE id = ?1",
                [id],
                |row| {
                    Ok((
                        enum_column(row, 0)?,
                        row.get::<_, u32>(1)?,
                        row.get::<_, Option<i64>>(2)?,
                        row.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()?;
        let Some((status, soft_bounces, soft_bounce_issue, email_key)) = found else {
            return Ok(ReportOutcome::NotOnList);
        };
        let issue = match report.issue_id {
            Some(issue) => Some(issue),
            None => newest_sent(&tx, id)?,
        };
        let delivered_since = match (soft_bounce_issue, issue) {
            (Some(last), Some(issue)) => tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM deliveries
                   WHERE subscriber_id = ?1 AND issue_id > ?2 AND issue_id < ?3 AND state = 'sent')",
                params![id, last, issue],
                |row| row.get(0),
            )?,
            _ => false,
        };
        let standing = Standing {
            status,
            soft_bounces,
            soft_bounce_issue,
            delivered_since,
        };
        let (change, outcome) = decide(&standing, report, issue, soft_bounce_limit);
        let inserted = tx.execute(
            "INSERT INTO bounce_reports (subscriber_id, issue_id, kind, source, reason, received_at, outcome)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (subscriber_id, issue_id, kind) DO NOTHING",
            params![
                id,
                issue,
                report.kind.as_str(),
                report.source.as_str(),
                report.reason,
                ts(now),
                outcome.as_str()
            ],
        )?;
        if inserted == 0 {
            // The same report (reader, issue, kind) was recorded before.
            return Ok(ReportOutcome::AlreadyDone);
        }
        match &change {
            Change::Nothing => {}
            Change::Bounce { reason } => {
                tx.execute(
                    "UPDATE subscribers SET status = 'bounced', status_changed_at = ?2, link_nonce = ?3,
                       pending_name = NULL, status_reason = ?4, soft_bounces = 0, soft_bounce_issue = ?5
                     WHERE id = ?1",
                    params![id, ts(now), nonce(), reason, issue.or(soft_bounce_issue)],
                )?;
                forget_queued_mail(&tx, id)?;
            }
            Change::CountSoft { count, issue } => {
                tx.execute(
                    "UPDATE subscribers SET soft_bounces = ?2, soft_bounce_issue = ?3 WHERE id = ?1",
                    params![id, count, issue],
                )?;
            }
            Change::Complain => {
                tx.execute(
                    "UPDATE subscribers SET status = 'complained', status_changed_at = ?2,
                       unsubscribed_at = coalesce(unsubscribed_at, ?2), link_nonce = ?3, pending_name = NULL,
                       status_reason = ?4
                     WHERE id = ?1",
                    params![id, ts(now), nonce(), report.reason],
                )?;
                forget_queued_mail(&tx, id)?;
            }
        }
        let issue_key: Option<String> = match issue {
            Some(issue) => tx
                .query_row("SELECT key FROM issues WHERE id = ?1", [issue], |row| {
                    row.get(0)
                })
                .optional()?,
            None => None,
        };
        if let Some((event, detail)) =
            history_entry(&change, report, issue_key.as_deref(), soft_bounce_limit)
        {
            record_consent(
                &tx,
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
    }

    pub fn report_counts(&self) -> Result<Vec<(String, ReportCounts)>> {
        let mut stmt = self.conn.prepare(
            "SELECT i.key, r.kind, count(*) FROM bounce_reports r JOIN issues i ON i.id = r.issue_id
             GROUP BY i.id, r.kind ORDER BY i.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out: Vec<(String, ReportCounts)> = Vec::new();
        while let Some(row) = rows.next()? {
            let key: String = row.get(0)?;
            let kind: String = row.get(1)?;
            let n: i64 = row.get(2)?;
            if out.last().is_none_or(|(last, _)| *last != key) {
                out.push((key, ReportCounts::default()));
            }
            if let Some((_, counts)) = out.last_mut() {
                counts.add(&kind, n as u64);
            }
        }
        Ok(out)
    }
}

/// The newest issue the reader was sent: what a report that names no issue is about.
fn newest_sent(conn: &Connection, id: i64) -> Result<Option<i64>> {
    Ok(conn.query_row(
        "SELECT max(issue_id) FROM deliveries WHERE subscriber_id = ?1 AND state = 'sent'",
        [id],
        |row| row.get(0),
    )?)
}

/// A bounced or complaining reader is sent no confirmation mail that was waiting.
fn forget_queued_mail(conn: &Connection, id: i64) -> Result<()> {
    conn.execute(
        "DELETE FROM confirmation_mails WHERE subscriber_id = ?1",
        [id],
    )?;
    Ok(())
}
