//! Named leases: at most one holder at a time across every process that shares the store, with an expiry so a
//! holder that died lets the next one in. `verdicts send` holds the `send` lease while it delivers; the guard that
//! renews it in the background is [`crate::lease::LeaseGuard`].

use chrono::{DateTime, Utc};

/// What [`Store::try_acquire_lease`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOutcome {
    /// The lease is ours until `now + ttl`.
    Acquired,
    /// Someone else holds it until `expires_at`.
    HeldBy {
        owner: String,
        expires_at: DateTime<Utc>,
    },
}
