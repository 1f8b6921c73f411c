//! [`StoreSnapshot`]: the store's counts at one moment, read by [`read`], the one function `/metrics` and
//! `verdicts status --json` share. It holds plain numbers and times, so the exposition and the JSON are pure
//! functions of it (and a test builds one by hand). Only public [`Store`] methods are used here; whatever else a
//! backend can tell about sending (PostgreSQL's per-row send claims) belongs in [`read`] and this struct too.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::lease::SEND_LEASE;
use crate::metrics::rates::IssueReports;
use crate::store::{IssueStatus, ReportCounts, Status, Store};

/// Everything the store says about the list and its sending at `taken_at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreSnapshot {
    pub taken_at: DateTime<Utc>,
    pub subscribers: SubscriberCounts,
    /// Who holds the send lease, when a send is running.
    pub send_lease: Option<LeaseSnapshot>,
    /// Every issue (or, read with [`Issues::Current`], only the current one), newest first.
    pub issues: Vec<IssueSnapshot>,
}

/// Subscribers by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SubscriberCounts {
    pub pending: u64,
    pub confirmed: u64,
    pub unsubscribed: u64,
    pub bounced: u64,
    /// Marked an issue as spam (and so unsubscribed).
    pub complained: u64,
}

/// The send lease's holder and until when it is renewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaseSnapshot {
    pub holder: String,
    pub expires_at: DateTime<Utc>,
}

/// One issue and its ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueSnapshot {
    /// The ISO week, e.g. `2026-W47`.
    pub key: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    /// When its last recipient was settled.
    pub completed_at: Option<DateTime<Utc>>,
    /// `delivered`, `paused`, `waiting` (only deferred rows left) or `in_progress`.
    pub state: &'static str,
    /// Why and when the last run paused it (the relay's words).
    pub paused: Option<Paused>,
    /// The earliest retry among its deferred rows.
    pub next_retry_at: Option<DateTime<Utc>>,
    pub ledger: LedgerRows,
    /// Rows senders have claimed and not recorded yet (PostgreSQL; 0 on SQLite).
    pub claimed: u64,
    /// Bounces and complaints reported after the send (`verdicts bounces ingest`, webhooks), with their rates.
    pub reports: IssueReports,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paused {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// An issue's ledger rows by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LedgerRows {
    pub pending: u64,
    pub sent: u64,
    pub deferred: u64,
    pub failed: u64,
    pub skipped: u64,
    /// `skipped`, by why.
    pub skipped_by: SkippedRows,
    pub total: u64,
}

/// Skipped ledger rows by why: the reader paused, their topics had nothing new, or they left after the issue
/// was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SkippedRows {
    pub paused: u64,
    pub nothing_new: u64,
    pub left: u64,
}

impl SkippedRows {
    /// `(reason, rows)` in a fixed order, for the exposition.
    pub fn by_reason(&self) -> [(&'static str, u64); 3] {
        [
            ("paused", self.paused),
            ("nothing_new", self.nothing_new),
            ("left", self.left),
        ]
    }
}

impl LedgerRows {
    /// `(state, rows)` in a fixed order, for the exposition.
    pub fn by_state(&self) -> [(&'static str, u64); 5] {
        [
            ("pending", self.pending),
            ("sent", self.sent),
            ("deferred", self.deferred),
            ("failed", self.failed),
            ("skipped", self.skipped),
        ]
    }
}

impl SubscriberCounts {
    /// `(state, subscribers)` in a fixed order, for the exposition.
    pub fn by_state(&self) -> [(&'static str, u64); 5] {
        [
            (Status::Pending.as_str(), self.pending),
            (Status::Confirmed.as_str(), self.confirmed),
            (Status::Unsubscribed.as_str(), self.unsubscribed),
            (Status::Bounced.as_str(), self.bounced),
            (Status::Complained.as_str(), self.complained),
        ]
    }
}

/// Which issues a snapshot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issues {
    /// Every issue, newest first (`status --json`).
    All,
    /// The newest only (`/metrics`).
    Current,
}

/// Reads the snapshot at `now` (which also decides whether the lease has run out).
///
/// Cost: `Issues::All` counts every issue's ledger ([`Store::delivery_counts`]); `Issues::Current` only the newest
/// issue's ([`Store::newest_issue_status`]), so a scrape costs the same however many issues are kept (see
/// `scripts/bench-metrics`).
pub fn read(store: &Store, now: DateTime<Utc>, issues: Issues) -> Result<StoreSnapshot> {
    let mut subscribers = SubscriberCounts::default();
    for (status, n) in store.count_by_status()? {
        let slot = match status {
            Status::Pending => &mut subscribers.pending,
            Status::Confirmed => &mut subscribers.confirmed,
            Status::Unsubscribed => &mut subscribers.unsubscribed,
            Status::Bounced => &mut subscribers.bounced,
            Status::Complained => &mut subscribers.complained,
        };
        *slot = n;
    }
    let send_lease = store
        .lease_holder(SEND_LEASE, now)?
        .map(|(holder, expires_at)| LeaseSnapshot { holder, expires_at });
    let issues = match issues {
        Issues::All => store.delivery_counts()?,
        Issues::Current => store.newest_issue_status()?.into_iter().collect(),
    };
    let reports: HashMap<String, ReportCounts> = store.report_counts()?.into_iter().collect();
    let issues = issues
        .into_iter()
        .map(|issue| {
            let counts = reports.get(&issue.key).copied().unwrap_or_default();
            let mut snapshot = IssueSnapshot::from(issue);
            snapshot.reports = IssueReports::new(counts, snapshot.ledger.sent);
            snapshot
        })
        .collect();
    Ok(StoreSnapshot {
        taken_at: now,
        subscribers,
        send_lease,
        issues,
    })
}

impl From<IssueStatus> for IssueSnapshot {
    fn from(issue: IssueStatus) -> IssueSnapshot {
        let c = issue.counts;
        let state = match (&issue.completed_at, &issue.paused, &issue.next_attempt_at) {
            (Some(_), _, _) => "delivered",
            (None, Some(_), _) => "paused",
            (None, None, Some(_)) if c.pending == 0 => "waiting",
            (None, None, _) => "in_progress",
        };
        IssueSnapshot {
            key: issue.key,
            subject: issue.subject,
            created_at: issue.created_at,
            completed_at: issue.completed_at,
            state,
            paused: issue.paused.map(|(at, reason)| Paused { at, reason }),
            next_retry_at: issue.next_attempt_at,
            ledger: LedgerRows {
                pending: c.pending,
                sent: c.sent,
                deferred: c.deferred,
                failed: c.failed,
                skipped: c.skipped,
                skipped_by: SkippedRows {
                    paused: c.skipped_by.paused,
                    nothing_new: c.skipped_by.nothing_new,
                    left: c.skipped_by.left,
                },
                total: c.total(),
            },
            claimed: issue.claimed,
            reports: IssueReports::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::IssueSnapshot;
    use crate::store::{IssueStatus, LedgerCounts};

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, hour, 0, 0).unwrap()
    }

    fn issue(counts: LedgerCounts) -> IssueStatus {
        IssueStatus {
            key: "2026-W48".into(),
            subject: "Verdicts".into(),
            created_at: at(9),
            completed_at: None,
            counts,
            next_attempt_at: None,
            paused: None,
            claimed: 0,
        }
    }

    #[test]
    fn an_issue_is_in_progress_waiting_paused_or_delivered_as_the_plain_status_says() {
        let mut status = issue(LedgerCounts {
            pending: 3,
            deferred: 1,
            ..LedgerCounts::default()
        });
        status.next_attempt_at = Some(at(10));
        assert_eq!(IssueSnapshot::from(status.clone()).state, "in_progress");

        status.counts.pending = 0;
        let waiting = IssueSnapshot::from(status.clone());
        assert_eq!(waiting.state, "waiting");
        assert_eq!(waiting.next_retry_at, Some(at(10)));
        assert_eq!(waiting.ledger.total, 1);

        status.paused = Some((at(11), "554 5.7.1 relay says no".into()));
        let paused = IssueSnapshot::from(status.clone());
        assert_eq!(paused.state, "paused");
        assert_eq!(paused.paused.unwrap().reason, "554 5.7.1 relay says no");

        status.completed_at = Some(at(12));
        assert_eq!(IssueSnapshot::from(status).state, "delivered");
    }
}
