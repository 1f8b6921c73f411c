//! Bounces and complaints reported after the relay accepted a message: a delivery status notification (RFC 3464)
//! or a plain bounce that came back to the VERP address, a feedback-loop report (ARF, RFC 5965), or a provider's
//! webhook. Each report names the subscription (and, where it can, the issue) by id, never by guessing from the
//! text; the store keeps it with its reason and source and applies the list hygiene rules here:
//! - a hard bounce (5.x.x) marks a pending or confirmed reader `bounced` at once;
//! - soft bounces (4.x.x, "delayed") count once per issue: `soft_bounce_limit` consecutive issues with one make the
//!   reader bounced. "Consecutive" is judged when the next soft bounce arrives: an issue sent to the reader since
//!   the last counted one that did not soft-bounce (a delivery) starts the count again;
//! - a complaint unsubscribes the reader at once and flags them `complained`, whatever they were.
//!
//! A report names an issue at most once per kind, so handing the store the same report twice (a Maildir message
//! handled again after a crash, a webhook retried) changes nothing the second time.

use std::fmt;
use std::str::FromStr;

use crate::store::{Channel, ConsentEvent, Status, UnknownValue};

/// What the receiving side said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BounceKind {
    /// A permanent failure of the mailbox (5.x.x).
    Hard,
    /// A temporary one (4.x.x, or "delayed"): counted, and only repeated ones bounce the reader.
    Soft,
    /// The reader marked the message as spam (a feedback-loop report).
    Complaint,
}

/// Where the report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportSource {
    /// A delivery status notification (RFC 3464) mailed back to the VERP address.
    Dsn,
    /// A feedback-loop report (ARF, RFC 5965).
    Arf,
    /// A bounce that is not a DSN, recognised only by the VERP address it came back to.
    Verp,
    Postmark,
    Mailgun,
    Ses,
}

/// One report about one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceReport {
    pub subscriber_id: u64,
    /// The issue the bounced or reported message belonged to, when the report says (a VERP address does). Without
    /// one the report is counted against the newest issue the reader was sent.
    pub issue_id: Option<i64>,
    pub kind: BounceKind,
    /// What the receiving side said, e.g. "5.1.1 user unknown"; kept in the history and shown by `subscribers list`.
    pub reason: String,
    pub source: ReportSource,
}

/// What [`crate::store::Store::record_bounce_report`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOutcome {
    /// The reader is now `bounced` (a hard bounce, or the soft bounce that reached the limit).
    Bounced,
    /// A soft bounce counted: this many consecutive issues have soft-bounced, below the limit.
    SoftCounted(u32),
    /// The reader is now unsubscribed and `complained`.
    Complained,
    /// Nothing changed: the same report was recorded before, or the reader's status already says it (a bounce for
    /// someone who left, a second complaint).
    AlreadyDone,
    /// No subscription has that id (removed, or never existed): nothing was recorded.
    NotOnList,
}

impl BounceKind {
    pub const ALL: [BounceKind; 3] = [BounceKind::Hard, BounceKind::Soft, BounceKind::Complaint];

    pub fn as_str(self) -> &'static str {
        match self {
            BounceKind::Hard => "hard",
            BounceKind::Soft => "soft",
            BounceKind::Complaint => "complaint",
        }
    }
}

impl ReportSource {
    pub const ALL: [ReportSource; 6] = [
        ReportSource::Dsn,
        ReportSource::Arf,
        ReportSource::Verp,
        ReportSource::Postmark,
        ReportSource::Mailgun,
        ReportSource::Ses,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportSource::Dsn => "dsn",
            ReportSource::Arf => "arf",
            ReportSource::Verp => "verp",
            ReportSource::Postmark => "postmark",
            ReportSource::Mailgun => "mailgun",
            ReportSource::Ses => "ses",
        }
    }

    /// The consent history's channel: mail that came back, or a provider's webhook.
    pub fn channel(self) -> Channel {
        match self {
            ReportSource::Dsn | ReportSource::Arf | ReportSource::Verp => Channel::BounceMail,
            ReportSource::Postmark | ReportSource::Mailgun | ReportSource::Ses => Channel::Webhook,
        }
    }
}

impl ReportOutcome {
    /// As the report's row stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportOutcome::Bounced => "bounced",
            ReportOutcome::SoftCounted(_) => "soft-counted",
            ReportOutcome::Complained => "complained",
            ReportOutcome::AlreadyDone => "already-done",
            ReportOutcome::NotOnList => "not-on-list",
        }
    }
}

impl fmt::Display for BounceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ReportSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ReportOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportOutcome::SoftCounted(n) => write!(f, "soft bounce counted ({n} in a row)"),
            other => f.write_str(other.as_str()),
        }
    }
}

impl FromStr for BounceKind {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<BounceKind, UnknownValue> {
        BounceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownValue {
                what: "bounce kind",
                value: s.to_owned(),
                allowed: BounceKind::ALL.iter().map(|k| k.as_str()).collect(),
            })
    }
}

/// Bounce and complaint counts of one issue, for `verdicts status`: readers with a report of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportCounts {
    pub hard: u64,
    pub soft: u64,
    pub complaints: u64,
}

impl ReportCounts {
    /// Adds `n` reports of the stored `kind`.
    pub(crate) fn add(&mut self, kind: &str, n: u64) {
        match kind {
            "hard" => self.hard += n,
            "soft" => self.soft += n,
            _ => self.complaints += n,
        }
    }
}

/// The reader's standing when a report arrives, as the backend read it (row locked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Standing {
    pub status: Status,
    pub soft_bounces: u32,
    /// The issue of the last counted soft bounce.
    pub soft_bounce_issue: Option<i64>,
    /// An issue after that one was sent to the reader and did not soft-bounce (see the module's doc).
    pub delivered_since: bool,
}

/// What the backend writes for a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// Nothing but the report's row.
    Nothing,
    /// Status `bounced`, with this reason.
    Bounce { reason: String },
    /// A soft bounce below the limit: the new count, for this issue.
    CountSoft { count: u32, issue: i64 },
    /// Status `complained` (unsubscribed).
    Complain,
}

/// The rules of the module's doc, as a pure function of the reader's standing. `issue` is the report's issue (or
/// the inferred one); `limit` is `soft_bounce_limit` (at least 1).
pub(crate) fn decide(
    standing: &Standing,
    report: &BounceReport,
    issue: Option<i64>,
    limit: u32,
) -> (Change, ReportOutcome) {
    let active = matches!(standing.status, Status::Pending | Status::Confirmed);
    match report.kind {
        BounceKind::Complaint if standing.status == Status::Complained => {
            (Change::Nothing, ReportOutcome::AlreadyDone)
        }
        BounceKind::Complaint => (Change::Complain, ReportOutcome::Complained),
        _ if !active => (Change::Nothing, ReportOutcome::AlreadyDone),
        BounceKind::Hard => (
            Change::Bounce {
                reason: report.reason.clone(),
            },
            ReportOutcome::Bounced,
        ),
        BounceKind::Soft => {
            let Some(issue) = issue else {
                // Never sent anything we could count against: kept in the history only.
                return (
                    Change::Nothing,
                    ReportOutcome::SoftCounted(standing.soft_bounces),
                );
            };
            let count = match standing.soft_bounce_issue {
                Some(last) if issue <= last => {
                    return (Change::Nothing, ReportOutcome::AlreadyDone);
                }
                Some(_) if !standing.delivered_since => standing.soft_bounces + 1,
                _ => 1,
            };
            if count >= limit.max(1) {
                (
                    Change::Bounce {
                        reason: format!(
                            "{count} consecutive issues soft-bounced; last: {}",
                            report.reason
                        ),
                    },
                    ReportOutcome::Bounced,
                )
            } else {
                (
                    Change::CountSoft { count, issue },
                    ReportOutcome::SoftCounted(count),
                )
            }
        }
    }
}

/// The consent history entry of a change: its event and detail.
pub(crate) fn history_entry(
    change: &Change,
    report: &BounceReport,
    issue_key: Option<&str>,
    limit: u32,
) -> Option<(ConsentEvent, String)> {
    let whence = match issue_key {
        Some(key) => format!("{}, issue {key}", report.source),
        None => report.source.to_string(),
    };
    match change {
        Change::Nothing => None,
        Change::Bounce { reason } => Some((ConsentEvent::Bounce, format!("{reason} ({whence})"))),
        Change::CountSoft { count, .. } => Some((
            ConsentEvent::SoftBounce,
            format!(
                "soft bounce {count} of {limit} in consecutive issues: {} ({whence})",
                report.reason
            ),
        )),
        Change::Complain => Some((
            ConsentEvent::Complaint,
            format!("marked as spam: {} ({whence})", report.reason),
        )),
    }
}

#[cfg(test)]
mod tests;
