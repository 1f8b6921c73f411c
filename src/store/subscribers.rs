//! The subscriber lifecycle: subscribe (double opt-in), add, bounce and remove (confirm and unsubscribe links are in
//! `subscriber_links.rs`). Every write
//! runs in [`Store::write_transaction`] and records its [consent history](crate::store::consent) entry in the same
//! transaction.
//!
//! Nobody but the mailbox owner changes a record through the web: a subscribe request for an address already on the
//! list changes nothing but the pending confirmation (the name asked for, a fresh link nonce, a queued mail), and
//! the change takes effect when that mail's link is followed. Every state change and every confirmation mail
//! replaces the subscription's link nonce, so older confirm links do nothing.

use chrono::{DateTime, Duration, Utc};

use crate::content::Categories;
use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::{Source, Status};

/// At most one confirmation mail per address in this interval, however often the form is posted.
pub const CONFIRMATION_RESEND_INTERVAL: Duration = Duration::minutes(10);

/// What [`Store::subscribe`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscribeOutcome {
    pub subscriber_id: u64,
    pub kind: SubscribeKind,
    /// A confirmation mail was queued (see `Store::due_confirmation_mails`). True at most once per
    /// [`CONFIRMATION_RESEND_INTERVAL`] per address.
    pub should_send_confirmation: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeKind {
    /// A new pending subscriber.
    Created,
    /// Was already pending; a name asked for applies once the new link is followed.
    StillPending,
    /// Was unsubscribed or bounced, and stays so (with the time they left) until the new link is followed.
    Resubscribed,
    /// Already receiving the newsletter; nothing changed. Answer as for any other subscribe and send nothing, so
    /// the form does not reveal who is subscribed.
    AlreadyConfirmed,
}

/// A row to insert; the import path supplies its own creation and confirmation times.
pub(crate) struct NewSubscriber<'a> {
    pub email: &'a SubscriberEmail,
    pub name: Option<&'a SubscriberName>,
    /// The categories followed from the start (also what a confirmation of a new address confirms).
    pub categories: &'a Categories,
    pub status: Status,
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// A fresh link nonce.
pub(crate) fn nonce() -> i64 {
    rand::random()
}

#[cfg(test)]
mod concurrency_tests;
#[cfg(test)]
mod tests;

/// What a subscribe request did, for its consent history entry (the same words on both backends).
pub(crate) fn opt_in_detail(kind: SubscribeKind, mailed: bool) -> &'static str {
    match (kind, mailed) {
        (SubscribeKind::AlreadyConfirmed, _) => "already confirmed: nothing changed, no mail",
        (SubscribeKind::Created, _) => "new address: confirmation mail queued",
        (_, true) => "confirmation mail queued; nothing changes until its link is followed",
        (_, false) => {
            "a confirmation mail went out less than 10 minutes ago: nothing sent or changed"
        }
    }
}
