//! The consent history: every opt-in, confirmation, opt-out, bounce, import, addition and removal, with when, how
//! (the channel) and the client address where known. It is the proof of consent that GDPR and CAN-SPAM disputes ask
//! for, so it outlives the subscriber row: `subscribers remove` deletes the address and name but keeps these
//! events. They name the address only by the SHA-256 of its lower-cased form, which is enough to answer "show me
//! the record for this address" (`verdicts subscribers history EMAIL`) without keeping a list of removed
//! addresses in the clear.

use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentEvent {
    /// Asked to subscribe (form, API, `subscribers add` without `--confirmed`); see the detail for what followed.
    OptIn,
    /// Followed a confirmation link.
    Confirm,
    /// Unsubscribed.
    OptOut,
    /// The relay refused the address permanently.
    Bounce,
    /// Imported from a list.
    Import,
    /// Added as confirmed by the operator (`subscribers add --confirmed`).
    Add,
    /// Removed by the operator (`subscribers remove`): the address and name were deleted.
    Remove,
    /// A bounce undone by the operator (`subscribers restore`): the bounce was the relay's fault.
    Restore,
    /// Chose topics or paused (the preferences page, `subscribers topics`); the detail says what.
    Topics,
    /// A soft bounce reported after the send, counted towards `soft_bounce_limit`.
    SoftBounce,
    /// A feedback-loop report: the reader marked an issue as spam and is unsubscribed.
    Complaint,
}

/// Where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The subscribe form (`application/x-www-form-urlencoded`).
    Form,
    /// `POST /subscribe` with JSON.
    Api,
    /// A `verdicts subscribers` command.
    Cli,
    /// `verdicts subscribers import`.
    Import,
    /// A confirm link's button.
    Link,
    /// An unsubscribe link: RFC 8058 one-click from a mail client, or the page's button.
    OneClick,
    /// The mail relay's answer during a send.
    Relay,
    /// A bounce or feedback report mailed back (`verdicts bounces ingest`).
    BounceMail,
    /// A mail provider's webhook.
    Webhook,
}

impl ConsentEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentEvent::OptIn => "opt-in",
            ConsentEvent::Confirm => "confirm",
            ConsentEvent::OptOut => "opt-out",
            ConsentEvent::Bounce => "bounce",
            ConsentEvent::Import => "import",
            ConsentEvent::Add => "add",
            ConsentEvent::Remove => "remove",
            ConsentEvent::Restore => "restore",
            ConsentEvent::Topics => "topics",
            ConsentEvent::SoftBounce => "soft-bounce",
            ConsentEvent::Complaint => "complaint",
        }
    }
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Form => "form",
            Channel::Api => "api",
            Channel::Cli => "cli",
            Channel::Import => "import",
            Channel::Link => "link",
            Channel::OneClick => "one-click",
            Channel::Relay => "relay",
            Channel::BounceMail => "bounce-mail",
            Channel::Webhook => "webhook",
        }
    }
}

impl fmt::Display for ConsentEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who did something and how: the channel, and the client's IP address when it came over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub channel: Channel,
    pub client: Option<String>,
}

impl Origin {
    pub fn new(channel: Channel) -> Origin {
        Origin {
            channel,
            client: None,
        }
    }

    pub fn from_client(channel: Channel, client: impl fmt::Display) -> Origin {
        Origin {
            channel,
            client: Some(client.to_string()),
        }
    }
}

/// One entry of the history, as stored (event and channel as their stored spellings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub subscriber_id: u64,
    pub at: DateTime<Utc>,
    pub event: String,
    pub channel: String,
    pub client: Option<String>,
    pub detail: Option<String>,
}

/// How the history names an address: hex SHA-256 of its key (the address lower-cased).
pub(crate) fn email_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What [`record`] writes.
pub(crate) struct Entry<'a> {
    pub subscriber_id: i64,
    pub email_key: &'a str,
    pub event: ConsentEvent,
    pub origin: &'a Origin,
    pub detail: Option<&'a str>,
    pub at: DateTime<Utc>,
}
