//! Following confirm and unsubscribe links: whether a link may still act on the subscription it names (its nonce,
//! or for an id-only link its age against the row, see `migrations/link_nonces.rs`), and what it then does. Every
//! change records its consent history entry in the same transaction and replaces the link nonce.

use chrono::{DateTime, Utc};

use crate::store::Status;
use crate::tokens::Link;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed,
    AlreadyConfirmed,
    /// Unsubscribed or bounced since the link was sent: nothing changed; they must subscribe again.
    NotPending(Status),
    /// Still pending, but a newer confirmation mail was sent since this link: only the newest link works.
    Superseded,
    NotFound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsubscribeOutcome {
    Unsubscribed,
    AlreadyUnsubscribed,
    /// The link was made for an earlier state of this subscription (or, id-only, is older than the row): nothing
    /// changed.
    Stale,
    NotFound,
}

/// The columns the link checks need.
pub(crate) struct LinkState {
    pub(crate) status: Status,
    pub(crate) email_key: String,
    pub(crate) nonce: u64,
    pub(crate) links_from: DateTime<Utc>,
    pub(crate) status_changed_at: DateTime<Utc>,
}

impl LinkState {
    /// Whether `link` may act on this subscription now (see `migrations/link_nonces.rs` for id-only links).
    pub(crate) fn accepts(&self, link: &Link, purpose_confirm: bool) -> bool {
        match link.nonce {
            Some(nonce) => nonce == self.nonce,
            None => {
                let from_second = |t: DateTime<Utc>| t.timestamp();
                let issued = link.issued_at.timestamp();
                issued >= from_second(self.links_from)
                    && (!purpose_confirm
                        || (self.status == Status::Pending
                            && issued >= from_second(self.status_changed_at)))
            }
        }
    }
}

#[cfg(test)]
mod tests;
