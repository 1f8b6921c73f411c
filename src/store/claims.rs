//! Several senders sharing one issue's ledger (PostgreSQL): each takes pages of due rows as its own for a while
//! (a claim: `deliveries.claimed_by`, `claim_expires_at`), so no two send the same recipient, and the rows of a
//! sender that died go to the others once its claims expire. Recording a row's outcome clears its claim. On
//! SQLite one sender at a time holds the send lease, and a claim is just a page of due rows.

use chrono::{DateTime, Duration, Utc};

/// A page of due rows one sender asks for (see [`crate::store::Store::claim_due`]).
#[derive(Debug, Clone, Copy)]
pub struct ClaimRequest<'a> {
    pub issue_id: i64,
    /// The sender: a [`crate::lease::owner_id`], unique to the run.
    pub owner: &'a str,
    /// Only rows with a subscriber id above this (page through a pass with the last id seen, from 0).
    pub after: u64,
    /// At most this many rows.
    pub limit: usize,
    /// Rows due at this time, and claims that ran out by it, are taken.
    pub now: DateTime<Utc>,
    /// How long the other senders leave the claimed rows alone.
    pub claim_for: Duration,
}
