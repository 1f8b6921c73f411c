//! The per-recipient delivery ledger: pages of due work for the sender, recording what the relay said, marking
//! an issue complete, and counting the ledger by state for a run and for `verdicts status`.

use chrono::{DateTime, Utc};

use crate::content::Categories;
use crate::store::Status;

/// A ledger row that is due: pending, or deferred with its next attempt at or before `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    pub subscriber_id: u64,
    /// The address snapshotted when the issue was created.
    pub email: String,
    /// The subscriber's current display name.
    pub name: Option<String>,
    /// The subscriber's current status: anyone no longer confirmed must not be sent the issue.
    pub status: Status,
    /// Attempts made so far.
    pub attempts: u32,
    /// The categories the subscriber followed when the issue was created: the edition they are sent (empty: the
    /// full issue), whatever they chose since.
    pub categories: Categories,
}

/// The result of one delivery, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub issue_id: i64,
    pub subscriber_id: u64,
    /// When the relay answered (or the outcome was decided).
    pub at: DateTime<Utc>,
    pub result: DeliveryResult,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    /// The relay answered 250 after the message; `reply` is that line.
    Sent { reply: String },
    /// A temporary failure; tried again at or after `next_attempt_at`.
    Deferred {
        error: String,
        next_attempt_at: DateTime<Utc>,
    },
    /// Final. `bounce` marks the subscriber bounced (a permanent refusal of the address).
    Failed { error: String, bounce: bool },
    /// Not attempted: the subscriber left the list after the issue was created, or their edition has nothing
    /// new. Recorded as `skipped`.
    Skipped { reason: String },
}

/// An issue's ledger counted by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerCounts {
    pub pending: u64,
    pub sent: u64,
    pub deferred: u64,
    pub failed: u64,
    /// Not sent, and never will be: paused, nothing new in the reader's topics, or left the list after the issue
    /// was created (the row's reason says which).
    pub skipped: u64,
    /// `skipped`, by why.
    pub skipped_by: SkippedBy,
}

/// Why rows were skipped, told from their reason (see [`skip_class`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkippedBy {
    /// The reader paused past the issue's creation.
    pub paused: u64,
    /// The reader's categories had nothing new.
    pub nothing_new: u64,
    /// The reader left (unsubscribed, bounced) after the issue was created.
    pub left: u64,
}

impl SkippedBy {
    /// "3 paused, 40 nothing new in their topics, 1 left the list", leaving out the reasons no row has; `None`
    /// when nothing was skipped.
    pub fn words(&self) -> Option<String> {
        let words: Vec<String> = [
            (self.paused, "paused"),
            (self.nothing_new, "nothing new in their topics"),
            (self.left, "left the list"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, why)| format!("{n} {why}"))
        .collect();
        (!words.is_empty()).then(|| words.join(", "))
    }
}

/// SQL (the same on both backends) naming why a `deliveries` row (`alias` with its dot, or "") was skipped:
/// 'paused', 'nothing new', or NULL (left the list, or not skipped). The words are the start of the reasons the
/// snapshot (`issues.rs`, "paused until …") and the run (`issue::nothing_new_reason`) write.
pub(crate) fn skip_class(alias: &str) -> String {
    format!(
        "CASE WHEN {alias}state <> 'skipped' THEN NULL \
         WHEN {alias}last_error LIKE 'paused until %' THEN 'paused' \
         WHEN {alias}last_error LIKE 'nothing new in %' THEN 'nothing new' END"
    )
}

impl LedgerCounts {
    pub fn total(&self) -> u64 {
        self.pending + self.sent + self.deferred + self.failed + self.skipped
    }

    /// Adds `n` rows in the stored `state` (as both backends spell it in `deliveries.state`), skipped ones of
    /// the class [`skip_class`] gave.
    pub(crate) fn add(&mut self, state: &str, skip_class: Option<&str>, n: u64) {
        match state {
            "pending" => self.pending += n,
            "sent" => self.sent += n,
            "deferred" => self.deferred += n,
            "skipped" => {
                self.skipped += n;
                match skip_class {
                    Some("paused") => self.skipped_by.paused += n,
                    Some("nothing new") => self.skipped_by.nothing_new += n,
                    _ => self.skipped_by.left += n,
                }
            }
            _ => self.failed += n,
        }
    }
}

/// One line of `verdicts status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueStatus {
    pub key: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub counts: LedgerCounts,
    /// The earliest retry among deferred recipients.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When and why the last run paused the issue (relay down or refusing everyone); cleared when a run resumes.
    pub paused: Option<(DateTime<Utc>, String)>,
    /// Ledger rows a sender has claimed and not yet recorded, with the claim still running (by the database's
    /// clock): the messages the senders of a shared ledger have in hand. Always 0 on SQLite, where one sender at a
    /// time holds the lease and claims nothing.
    pub claimed: u64,
}
