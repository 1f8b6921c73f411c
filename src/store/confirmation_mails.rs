//! The queue of confirmation mails: written by `Store::subscribe` in the request's own transaction, read and
//! cleared by the sender that runs in `serve` (and by `subscribers add`). A mail still queued when the process dies
//! goes out after the restart; one whose subscription moved on (a newer request, a confirmation, an opt-out) is
//! dropped instead, because its link would do nothing.

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
