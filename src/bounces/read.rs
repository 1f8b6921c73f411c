//! Reading one returned message, without the store: what kind of report it is, where it came back to (the
//! addresses that may be our return path, most trusted first) and what it says about each recipient. MIME is
//! parsed by `mail-parser`; the fields of a `message/delivery-status` or `message/feedback-report` part are header
//! blocks, read by the same parser.
//!
//! - A DSN (RFC 3464, `multipart/report; report-type=delivery-status`): each per-recipient block's `Action` and
//!   `Status`. `failed` with a mailbox status (5.1.x but 5.1.7/5.1.8 about our sender, 5.2.0, 5.2.1) is a hard
//!   bounce; any other 5.x.x (a full mailbox, a policy or content refusal) and `delayed` or 4.x.x are soft: only
//!   repeated ones remove a reader, as a refused relay never bounces anyone at the send either. `delivered`,
//!   `relayed` and `expanded` say nothing to act on.
//! - An ARF report (RFC 5965, `report-type=feedback-report`): `Feedback-Type: abuse` (or `fraud`) is a complaint;
//!   the original's envelope sender is `Original-Mail-From`, or the returned message's `Return-Path`.
//! - Anything else that came back to a return path is a plain bounce (qmail, some webmail services): a soft bounce
//!   with its subject as the reason, unless it is an automatic reply (out of office).

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use super::fields::{attribute, clip, field_blocks, first_address, raw_values, unfold};
use crate::store::{BounceKind, ReportSource};

/// What one message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    Report(Report),
    /// An automatic reply (out of office): not a bounce.
    AutoReply,
    /// Not a mail message at all, or a report without the part its type promises; says why.
    NotUnderstood(String),
}

/// A report about the message(s) we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub source: ReportSource,
    /// Addresses that may be the return path the report came back to, most trusted first: the envelope recipient
    /// the MTA passed, `Delivered-To`, `X-Original-To`, `Envelope-To`, `To`, then what the report says about the
    /// original's envelope sender.
    pub return_paths: Vec<String>,
    /// One per recipient the report names (a DSN may name several; our messages have one).
    pub recipients: Vec<Recipient>,
}

/// What the report says about one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// `None`: nothing to act on (delivered, relayed, a "not spam" report).
    pub kind: Option<BounceKind>,
    pub reason: String,
    /// The recipient address the report names (`Original-Recipient`, else `Final-Recipient`; an ARF report's
    /// original `To`), without its `rfc822;` type.
    pub address: Option<String>,
}

/// Reads `raw`; `envelope` is the envelope recipient the MTA passed (`--recipient`), if any.
pub fn read(raw: &[u8], envelope: Option<&str>) -> Reading {
    let Some(message) = MessageParser::default().parse(raw) else {
        return Reading::NotUnderstood("no mail headers found".into());
    };
    if !looks_like_mail(&message) {
        return Reading::NotUnderstood("not a mail message (no From, Return-Path or Date)".into());
    }
    let mut return_paths: Vec<String> = envelope.map(str::to_string).into_iter().collect();
    for name in [
        "Delivered-To",
        "X-Original-To",
        "Envelope-To",
        "X-Envelope-To",
    ] {
        return_paths.extend(
            raw_values(&message, name)
                .into_iter()
                .map(|v| first_address(&v)),
        );
    }
    if let Some(to) = message.to() {
        return_paths.extend(to.iter().filter_map(|a| a.address()).map(str::to_string));
    }
    let report_type = message
        .content_type()
        .filter(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
        .and_then(|ct| attribute(ct.attributes(), "report-type"));
    match report_type
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("delivery-status" | "global-delivery-status") => read_dsn(&message, return_paths),
        Some("feedback-report") => read_arf(&message, return_paths),
        _ if is_auto_reply(&message) => Reading::AutoReply,
        _ => Reading::Report(Report {
            source: ReportSource::Verp,
            return_paths,
            recipients: vec![Recipient {
                kind: Some(BounceKind::Soft),
                reason: clip(&format!(
                    "not a DSN: {}",
                    message.subject().unwrap_or("(no subject)")
                )),
                address: None,
            }],
        }),
    }
}

fn read_dsn(message: &Message<'_>, mut return_paths: Vec<String>) -> Reading {
    let Some(status) = part_of_type(message, &["delivery-status", "global-delivery-status"]) else {
        return Reading::NotUnderstood(
            "a delivery report without its message/delivery-status part".into(),
        );
    };
    let blocks = field_blocks(status);
    if blocks.len() < 2 {
        return Reading::NotUnderstood("a delivery report that names no recipient".into());
    }
    let recipients = blocks[1..]
        .iter()
        .map(|block| recipient_of(block))
        .collect();
    // The returned message's envelope sender, where the reporting MTA kept it.
    if let Some(original) = returned_headers(message) {
        return_paths.extend(
            raw_values(&original, "Return-Path")
                .into_iter()
                .map(|v| first_address(&v)),
        );
    }
    Reading::Report(Report {
        source: ReportSource::Dsn,
        return_paths,
        recipients,
    })
}

fn recipient_of(block: &Message<'_>) -> Recipient {
    let field = |name: &str| block.header_raw(name).map(unfold);
    let action = field("Action").unwrap_or_default().to_ascii_lowercase();
    let status = field("Status").unwrap_or_default();
    let status = status.split_whitespace().next().unwrap_or("").to_string();
    let kind = match action.as_str() {
        "failed" if is_mailbox_status(&status) => Some(BounceKind::Hard),
        "failed" => Some(BounceKind::Soft),
        "delayed" => Some(BounceKind::Soft),
        _ => None,
    };
    let diagnostic = field("Diagnostic-Code").map(|d| match d.split_once(';') {
        Some((_, text)) => text.trim().to_string(),
        None => d,
    });
    let reason = match diagnostic {
        Some(text) if !text.is_empty() => text,
        _ => format!("{action} {status}").trim().to_string(),
    };
    let address = field("Original-Recipient")
        .or_else(|| field("Final-Recipient"))
        .map(|v| match v.split_once(';') {
            Some((_, address)) => address.trim().to_string(),
            None => v,
        });
    Recipient {
        kind,
        reason: clip(&reason),
        address,
    }
}

/// A permanent status that is about the mailbox: the address does not exist or is disabled.
fn is_mailbox_status(status: &str) -> bool {
    let mut parts = status.split('.');
    let (class, subject, detail) = (parts.next(), parts.next(), parts.next());
    match (class, subject, detail) {
        (Some("5"), Some("1"), Some(d)) => !matches!(d, "7" | "8"),
        (Some("5"), Some("2"), Some("0" | "1")) => true,
        _ => false,
    }
}

fn read_arf(message: &Message<'_>, mut return_paths: Vec<String>) -> Reading {
    let Some(feedback) = part_of_type(message, &["feedback-report"]) else {
        return Reading::NotUnderstood(
            "a feedback report without its message/feedback-report part".into(),
        );
    };
    let Some(fields) = field_blocks(feedback).into_iter().next() else {
        return Reading::NotUnderstood("an empty message/feedback-report part".into());
    };
    let field = |name: &str| fields.header_raw(name).map(unfold);
    let feedback_type = field("Feedback-Type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    // The original's envelope sender, as the report states it, before anything the original's headers say.
    return_paths.extend(field("Original-Mail-From").map(|v| first_address(&v)));
    let original = returned_headers(message);
    if let Some(original) = &original {
        return_paths.extend(
            raw_values(original, "Return-Path")
                .into_iter()
                .map(|v| first_address(&v)),
        );
    }
    let address = field("Original-Rcpt-To")
        .map(|v| first_address(&v))
        .or_else(|| {
            original
                .as_ref()
                .and_then(|o| o.to())
                .and_then(|to| to.first())
                .and_then(|a| a.address())
                .map(str::to_string)
        });
    let kind = matches!(feedback_type.as_str(), "abuse" | "fraud").then_some(BounceKind::Complaint);
    let agent = field("User-Agent")
        .map(|a| format!(" from {a}"))
        .unwrap_or_default();
    Reading::Report(Report {
        source: ReportSource::Arf,
        return_paths,
        recipients: vec![Recipient {
            kind,
            reason: clip(&format!("feedback type {feedback_type}{agent}")),
            address,
        }],
    })
}

/// The first part whose type is `message/<one of subtypes>` (a `text/…` spelling too, which some MTAs use).
fn part_of_type<'a>(message: &'a Message<'_>, subtypes: &[&str]) -> Option<&'a [u8]> {
    message.parts.iter().find_map(|part| {
        let ct = part.content_type()?;
        let subtype = ct.subtype()?;
        let wanted = matches!(ct.ctype().to_ascii_lowercase().as_str(), "message" | "text")
            && subtypes.iter().any(|s| s.eq_ignore_ascii_case(subtype));
        wanted.then(|| part.contents())
    })
}

/// The returned original's headers: a `message/rfc822` part, or a `text/rfc822-headers` one parsed as headers.
fn returned_headers<'a>(message: &'a Message<'_>) -> Option<Message<'a>> {
    for part in &message.parts {
        if let PartType::Message(inner) = &part.body {
            return MessageParser::default().parse_headers(inner.raw_message());
        }
        let is_headers = part.content_type().is_some_and(|ct| {
            ct.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers"))
        });
        if is_headers {
            return MessageParser::default().parse_headers(part.contents());
        }
    }
    None
}

/// Whether the parsed headers are a mail's: some text parses as headers without being one.
fn looks_like_mail(message: &Message<'_>) -> bool {
    !message.parts[0].headers.is_empty()
        && (message.from().is_some()
            || message.header_raw("Return-Path").is_some()
            || message.header_raw("Date").is_some())
}

/// RFC 3834 and the usual markers of vacation responders.
fn is_auto_reply(message: &Message<'_>) -> bool {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if header("X-Autoreply").is_some() || header("X-Autorespond").is_some() {
        return true;
    }
    if header("Precedence").is_some_and(|p| p == "auto_reply") {
        return true;
    }
    let subject = message.subject().unwrap_or("").to_lowercase();
    header("Auto-Submitted").is_some_and(|a| a.starts_with("auto-replied"))
        && [
            "auto:",
            "automatic reply",
            "out of office",
            "autoreply",
            "abwesenheit",
        ]
        .iter()
        .any(|marker| subject.starts_with(marker))
}
