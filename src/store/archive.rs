//! Reading past issues as they were sent, for the web archive, its feed and the static export. Rows are written
//! by the send path; this file only reads them.

use chrono::{DateTime, Utc};

/// One issue as sent: its identity, what the subscriber saw, and which comparisons it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedIssue {
    /// ISO week, e.g. `2026-W48`: also the issue's path in the archive.
    pub key: String,
    pub subject: String,
    pub preheader: String,
    pub window_start: DateTime<Utc>,
    /// The send time the issue was assembled for.
    pub window_end: DateTime<Utc>,
    /// When the issue was created, i.e. when its sending began.
    pub created_at: DateTime<Utc>,
    /// When every recipient had been handled; `None` while the send is under way.
    pub completed_at: Option<DateTime<Utc>>,
    /// In the order they appeared in the email.
    pub comparisons: Vec<ArchivedComparison>,
    /// The HTML part with [`crate::digest::UNSUBSCRIBE_PLACEHOLDER`] where each subscriber's own link went.
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedComparison {
    pub slug: String,
    pub title: String,
}

pub(crate) const ISSUE_COLUMNS: &str =
    "id, key, subject, preheader, window_start, window_end, created_at, completed_at, html";
