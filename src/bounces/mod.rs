//! Bounces and complaints that come back after the relay accepted a message: `verdicts bounces ingest` reads
//! them from an MTA pipe, a file or a Maildir. [`read`] says what one message reports (pure, no store);
//! [`apply`] maps it to a subscription by the signed return path it came back to (VERP, `tokens::verp`), never by
//! the text, and records it with `Store::record_bounce_report`; [`maildir`] walks `new/`, moving each message
//! to `cur/` only after its report is committed.

pub mod apply;
mod fields;
pub mod maildir;
pub mod read;

/// The most of one message that is read: a DSN or ARF report puts its report part before the returned
/// message, so the first megabytes say everything; a larger message is read this far and the rest is skipped.
pub const MAX_MESSAGE_BYTES: u64 = 2 * 1024 * 1024;
