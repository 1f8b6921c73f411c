//! Postmark: the basic-auth credentials its webhook URL carries (compared in constant time), and its Bounce and
//! SpamComplaint webhook payloads. Pure.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::BounceKind;
use crate::web::webhooks::event::{Parsed, ProviderEvent, reason};

/// The user and password Postmark must send; `Debug` hides the password.
#[derive(Clone)]
pub struct Credentials {
    /// SHA-256 of `user:password`: compared whole, so neither part's length leaks through timing.
    expected: [u8; 32],
    user: String,
}

impl Credentials {
    /// `None` for an empty password: that would let anyone in.
    pub fn new(user: &str, password: &str) -> Option<Credentials> {
        (!password.is_empty()).then(|| Credentials {
            expected: Sha256::digest(format!("{user}:{password}").as_bytes()).into(),
            user: user.to_owned(),
        })
    }

    /// Whether the request carries `Authorization: Basic` with exactly these credentials.
    pub fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(presented) = basic(headers) else {
            return false;
        };
        let presented = Sha256::digest(&presented);
        self.expected.ct_eq(presented.as_slice()).into()
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}:***)", self.user)
    }
}

/// The decoded `user:password` of an `Authorization: Basic …` header (the scheme in any case).
fn basic(headers: &HeaderMap) -> Option<Vec<u8>> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    STANDARD.decode(encoded.trim()).ok()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Payload {
    #[serde(default)]
    record_type: Option<String>,
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    email: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    details: Option<String>,
}

/// Postmark bounce types that say the mailbox is gone.
const HARD: &[&str] = &["HardBounce", "BadEmailAddress"];
/// Postmark bounce types that may pass.
const SOFT: &[&str] = &["SoftBounce", "Transient", "DnsError"];

/// The event of one Postmark webhook body (a Bounce or a SpamComplaint); other record types and bounce types
/// (auto-replies, policy blocks, Postmark's own suppressions) are ignored. An error names what is malformed.
pub fn parse(body: &[u8]) -> Result<Parsed, String> {
    let payload: Payload = serde_json::from_slice(body)
        .map_err(|e| format!("the Postmark webhook body is not valid: {e}"))?;
    let record = payload.record_type.as_deref().unwrap_or("Bounce");
    let kind = payload.kind.as_deref().unwrap_or("");
    let kind = match (record, kind) {
        ("SpamComplaint", _) | ("Bounce", "SpamComplaint") => BounceKind::Complaint,
        ("Bounce", kind) if HARD.contains(&kind) => BounceKind::Hard,
        ("Bounce", kind) if SOFT.contains(&kind) => BounceKind::Soft,
        ("Bounce", kind) => {
            return Ok(Parsed::Ignored(format!(
                "Postmark bounce of type {kind:?} says nothing about the mailbox"
            )));
        }
        (record, _) => return Ok(Parsed::Ignored(format!("Postmark {record} record"))),
    };
    let label = format!("Postmark {}", payload.kind.as_deref().unwrap_or(record));
    Ok(Parsed::Events(vec![ProviderEvent {
        recipient: payload.email,
        kind,
        reason: reason(&[
            &label,
            payload
                .details
                .as_deref()
                .or(payload.description.as_deref())
                .unwrap_or(""),
        ]),
        // Postmark's MessageID is its own, not ours: the issue stays unknown.
        message_id: None,
    }]))
}

#[cfg(test)]
mod tests;
