//! Mailgun: the signature in its webhook body (hex HMAC-SHA256 of `timestamp` followed by `token`, keyed with the
//! HTTP webhook signing key), refused when stale or replayed, and its `failed` and `complained` events. Pure but
//! for the replay cache, which the caller owns.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_lc_rs::hmac;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::store::BounceKind;
use crate::web::webhooks::event::{Parsed, ProviderEvent, reason};

/// How far (seconds) a signature's timestamp may be from our clock, either way.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// Tokens remembered at most: a replay cache that cannot grow without bound. Within the window that is over 300
/// events a second; past it new events are refused (and Mailgun retries them later) rather than forgetting a token
/// that could then be replayed.
pub const REPLAY_CACHE_CAPACITY: usize = 100_000;

/// A Mailgun token is 50 characters; anything much longer is not one (and would bloat the cache).
const MAX_TOKEN_LEN: usize = 256;

/// The signature object of a webhook body.
#[derive(Debug, Clone, Deserialize)]
pub struct Signature {
    pub timestamp: String,
    pub token: String,
    pub signature: String,
}

/// The body: the signature, and the event left unparsed until the signature holds.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    pub signature: Signature,
    #[serde(rename = "event-data")]
    pub event_data: serde_json::Value,
}

/// Why a body is not taken as Mailgun's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the timestamp {0:?} is not a Unix time")]
    Timestamp(String),
    #[error("the timestamp is {0} s away from our clock (at most {MAX_SKEW_SECONDS} s)")]
    Stale(i64),
    #[error("the signature does not verify with the signing key")]
    BadSignature,
    #[error("this token was used already (a replay)")]
    Replayed,
    #[error("too many recent tokens to remember; try again later")]
    CacheFull,
}

/// The signing key; `Debug` hides it.
pub struct SigningKey(hmac::Key);

impl SigningKey {
    /// `None` for an empty key: anyone could sign with it.
    pub fn new(key: &str) -> Option<SigningKey> {
        let key = key.trim();
        (!key.is_empty()).then(|| SigningKey(hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes())))
    }

    /// Whether `signature` is Mailgun's for a timestamp within [`MAX_SKEW_SECONDS`] of `now` (constant-time
    /// comparison of the HMAC).
    pub fn verify(&self, signature: &Signature, now: DateTime<Utc>) -> Result<i64, Refusal> {
        if signature.token.len() > MAX_TOKEN_LEN {
            return Err(Refusal::BadSignature);
        }
        let tag = hex_decode(signature.signature.trim()).ok_or(Refusal::BadSignature)?;
        let signed = format!("{}{}", signature.timestamp, signature.token);
        hmac::verify(&self.0, signed.as_bytes(), &tag).map_err(|_| Refusal::BadSignature)?;
        let timestamp: i64 = signature
            .timestamp
            .trim()
            .parse()
            .map_err(|_| Refusal::Timestamp(signature.timestamp.clone()))?;
        let skew = now.timestamp() - timestamp;
        if skew.abs() > MAX_SKEW_SECONDS {
            return Err(Refusal::Stale(skew));
        }
        Ok(timestamp)
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Tokens seen with a verified signature, each kept until its timestamp has left the window. Per process: several
/// web instances each keep their own.
#[derive(Default)]
pub struct ReplayCache {
    /// token → the Unix time after which it can no longer pass the staleness check.
    seen: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for ReplayCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        write!(f, "ReplayCache({} tokens)", seen.len())
    }
}

impl ReplayCache {
    /// Takes `token` (signed at `timestamp`) as used, unless it was used before or the cache is full.
    pub fn claim(&self, token: &str, timestamp: i64, now: DateTime<Utc>) -> Result<(), Refusal> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains_key(token) {
            return Err(Refusal::Replayed);
        }
        if seen.len() >= REPLAY_CACHE_CAPACITY {
            let now = now.timestamp();
            seen.retain(|_, expires| *expires >= now);
            if seen.len() >= REPLAY_CACHE_CAPACITY {
                return Err(Refusal::CacheFull);
            }
        }
        seen.insert(token.to_owned(), timestamp + MAX_SKEW_SECONDS);
        Ok(())
    }

    /// Gives a token back when its event could not be recorded, so Mailgun's retry is not taken for a replay.
    pub fn release(&self, token: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.remove(token);
    }
}

#[derive(Deserialize)]
struct EventData {
    event: String,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    recipient: String,
    #[serde(rename = "delivery-status", default)]
    delivery_status: Option<DeliveryStatus>,
    #[serde(default)]
    message: Option<MessageInfo>,
}

#[derive(Deserialize)]
struct DeliveryStatus {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(rename = "enhanced-code", default)]
    enhanced_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct MessageInfo {
    #[serde(default)]
    headers: HashMap<String, serde_json::Value>,
}

/// Permanent failures whose `reason` says the mailbox is gone (a bounce now, or one Mailgun remembers).
const HARD_REASONS: &[&str] = &["bounce", "suppress-bounce"];

/// The event of a verified body's `event-data`. `failed` permanent (a bounce) is hard, temporary is soft, and
/// `complained` is a complaint; other events, and permanent failures for policy reasons (`espblock`, `generic`,
/// an unsubscribe Mailgun remembers), are ignored. An error names what is malformed.
pub fn parse(event_data: serde_json::Value) -> Result<Parsed, String> {
    let data: EventData = serde_json::from_value(event_data)
        .map_err(|e| format!("event-data is not a Mailgun event: {e}"))?;
    let severity = data.severity.as_deref().unwrap_or("");
    let why = data.reason.as_deref().unwrap_or("");
    let kind = match (data.event.as_str(), severity) {
        ("complained", _) => BounceKind::Complaint,
        ("failed", "temporary") => BounceKind::Soft,
        ("failed", "permanent") if HARD_REASONS.contains(&why) => BounceKind::Hard,
        ("failed", "permanent") if why == "suppress-complaint" => BounceKind::Complaint,
        ("failed", severity) => {
            return Ok(Parsed::Ignored(format!(
                "Mailgun failed ({severity}, reason {why:?}) is not about the mailbox"
            )));
        }
        (event, _) => return Ok(Parsed::Ignored(format!("Mailgun {event} event"))),
    };
    let status = data.delivery_status.as_ref();
    let code = status
        .and_then(|s| s.code.as_ref())
        .map(|code| match code {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    let label = match data.event.as_str() {
        "complained" => "Mailgun complaint".to_owned(),
        _ => format!("Mailgun failed ({severity}, {why})"),
    };
    let message_id = data
        .message
        .and_then(|message| message.headers.get("message-id").cloned())
        .and_then(|value| value.as_str().map(str::to_owned));
    Ok(Parsed::Events(vec![ProviderEvent {
        recipient: data.recipient,
        kind,
        reason: reason(&[
            &label,
            &code,
            status
                .and_then(|s| s.enhanced_code.as_deref())
                .unwrap_or(""),
            status
                .and_then(|s| s.description.as_deref().filter(|d| !d.is_empty()))
                .or(status.and_then(|s| s.message.as_deref()))
                .unwrap_or(""),
        ]),
        message_id,
    }]))
}

#[cfg(test)]
mod tests;
