//! The queue of confirmation mails: written by `Store::subscribe` in the request's own transaction, read and
//! cleared by the sender that runs in `serve` (and by `subscribers add`). A mail still queued when the process dies
//! goes out after the restart; one whose subscription moved on (a newer request, a confirmation, an opt-out) is
//! dropped instead, because its link would do nothing.

use chrono::{DateTime, Duration, Utc};

/// How long a mail handed out by `due_confirmation_mails` is left alone by every other reader of the queue (another
/// `serve` instance, `subscribers add`): long enough for the slowest SMTP exchange (connect 30 s, then up to 120 s per
/// command), so two instances never send the same mail; a process that dies holding one leaves it to the others
/// after this long.
pub const CONFIRMATION_MAIL_CLAIM: Duration = Duration::minutes(10);

/// Attempts before a confirmation mail is given up (the reader can ask again).
pub const CONFIRMATION_MAIL_ATTEMPTS: u32 = 5;

/// A confirmation mail to send now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedConfirmation {
    pub subscriber_id: u64,
    pub email: String,
    /// The name asked for with the request, for the `To:` line.
    pub name: Option<String>,
    /// The link nonce to sign the confirm link with.
    pub nonce: u64,
    /// Attempts already made.
    pub attempts: u32,
}

/// Which queued mails a reader of the queue takes, and in whose name: taking a mail claims it for
/// [`CONFIRMATION_MAIL_CLAIM`], so no other instance sends it meanwhile.
#[derive(Debug, Clone, Copy)]
pub struct QueueTake<'a> {
    /// Mails due at or before this time.
    pub now: DateTime<Utc>,
    pub limit: usize,
    /// The taking process (`lease::owner_id`): a process found dead on this host gives its claims back at once
    /// (`release_confirmation_claims`).
    pub owner: &'a str,
    /// Only this subscriber's mail (`subscribers add`, which sends its own at once and leaves the rest alone).
    pub only: Option<u64>,
}
