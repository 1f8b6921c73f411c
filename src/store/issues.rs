//! Issues: creating one with its recipient snapshot, reading it back by key, and the history that the next issue
//! is assembled against. The per-recipient ledger an issue starts lives in `deliveries.rs`.

use chrono::{DateTime, Utc};

/// An issue to create: the rendered parts as stored (with the unsubscribe placeholder) and what it covers.
#[derive(Debug, Clone)]
pub struct NewIssue {
    /// ISO week in the configured zone, e.g. `2026-W47`.
    pub key: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub subject: String,
    pub preheader: String,
    pub html: String,
    pub text: String,
    pub comparisons: Vec<IssueComparison>,
}

/// One comparison an issue holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueComparison {
    pub slug: String,
    pub title: String,
}

/// An issue as stored: its ids and times, and exactly the [`NewIssue`] that created it (what was, or is being,
/// sent).
#[derive(Debug, Clone)]
pub struct StoredIssue {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    /// Set once no recipient is pending or deferred.
    pub completed_at: Option<DateTime<Utc>>,
    pub issue: NewIssue,
}

/// What [`Store::create_issue`] did.
#[derive(Debug, Clone)]
pub enum IssueCreated {
    /// A new issue, with this many confirmed subscribers snapshotted into its ledger.
    Created { issue: StoredIssue, recipients: u64 },
    /// The week's issue already existed (another run created it); nothing changed.
    Exists(StoredIssue),
    /// Nobody is confirmed: no issue was created, and its comparisons wait for the first one.
    NoRecipients,
}

/// The `settings` key holding where the first issue's window starts, once a send found nobody to send to.
pub(crate) const FIRST_WINDOW_START: &str = "first_window_start";

pub(crate) const ISSUE_COLUMNS: &str =
    "id, key, window_start, window_end, subject, preheader, html, text, created_at, completed_at";

#[cfg(test)]
mod tests;
