//! Signed, single-purpose link tokens for confirm and unsubscribe links.
//!
//! A token is base64url (no padding) of 33 bytes: the purpose byte, the subscriber id (u64 big-endian), the issue
//! time (Unix seconds, i64 big-endian) and the first 16 bytes of HMAC-SHA256 over those 17 bytes. Nothing is
//! stored: the key is the only secret, and rotating it while keeping the old one as "retired" keeps links valid.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Confirm links stop working this long after they were sent.
pub const CONFIRM_TOKEN_LIFETIME: Duration = Duration::days(7);

/// Shortest `VERDICTS_SECRET` accepted: anything shorter is guessable.
const MIN_SECRET_LEN: usize = 16;
const PAYLOAD_LEN: usize = 1 + 8 + 8;
const MAC_LEN: usize = 16;
const TOKEN_LEN: usize = PAYLOAD_LEN + MAC_LEN;

type HmacSha256 = Hmac<Sha256>;

/// What a link does. A token for one purpose never works for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Confirm,
    Unsubscribe,
}

impl Purpose {
    fn byte(self) -> u8 {
        match self {
            Purpose::Confirm => 1,
            Purpose::Unsubscribe => 2,
        }
    }

    fn from_byte(byte: u8) -> Option<Purpose> {
        match byte {
            1 => Some(Purpose::Confirm),
            2 => Some(Purpose::Unsubscribe),
            _ => None,
        }
    }
}

/// Why a token was refused. The HTTP side answers `Expired` with "ask for a new link" and the rest with
/// "this link is not valid".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is damaged or incomplete")]
    Malformed,
    #[error(
        "the link's signature does not match (it was altered, or signed with a key no longer accepted)"
    )]
    BadSignature,
    #[error("the link is meant for something else")]
    WrongPurpose,
    #[error("the link has expired")]
    Expired,
}

/// Signs with the current key; verifies with the current key or any retired one.
#[derive(Clone)]
pub struct Tokens {
    current: Vec<u8>,
    retired: Vec<Vec<u8>>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("current", &"<redacted>")
            .field("retired", &self.retired.len())
            .finish()
    }
}

impl Tokens {
    pub fn new(current_key: Vec<u8>, retired_keys: Vec<Vec<u8>>) -> Tokens {
        Tokens {
            current: current_key,
            retired: retired_keys,
        }
    }

    /// Keys from operator-supplied secrets (`VERDICTS_SECRET` and retired ones): the SHA-256 of each string.
    pub fn from_secret_str(current: &str, retired: &[&str]) -> anyhow::Result<Tokens> {
        for secret in std::iter::once(&current).chain(retired) {
            anyhow::ensure!(
                secret.len() >= MIN_SECRET_LEN,
                "the token secret is {} characters long; use at least {MIN_SECRET_LEN} random characters \
                 (for example the output of `openssl rand -hex 32`)",
                secret.len()
            );
        }
        let derive = |secret: &str| Sha256::digest(secret.as_bytes()).to_vec();
        Ok(Tokens::new(
            derive(current),
            retired.iter().map(|s| derive(s)).collect(),
        ))
    }

    /// The keys in force: `VERDICTS_SECRET` (and its retired predecessors) when set, else the
    /// key generated once and kept in the store. Retired secrets are honoured in both cases.
    pub fn load(
        secrets: &crate::config::Secrets,
        store: &mut crate::store::Store,
    ) -> anyhow::Result<Tokens> {
        let retired: Vec<&str> = secrets
            .retired_token_keys
            .iter()
            .map(String::as_str)
            .collect();
        match &secrets.token_key {
            Some(current) => Tokens::from_secret_str(current, &retired),
            None => {
                let stored = store.token_key()?;
                let old = Tokens::from_secret_str(&"x".repeat(MIN_SECRET_LEN), &retired)?;
                Ok(Tokens::new(stored, old.retired))
            }
        }
    }

    /// A URL-safe token (44 characters of `A-Z a-z 0-9 - _`) for `subscriber_id`, issued at `now`.
    pub fn sign(&self, purpose: Purpose, subscriber_id: u64, now: DateTime<Utc>) -> String {
        let mut bytes = Vec::with_capacity(TOKEN_LEN);
        bytes.push(purpose.byte());
        bytes.extend_from_slice(&subscriber_id.to_be_bytes());
        bytes.extend_from_slice(&now.timestamp().to_be_bytes());
        let tag = mac(&self.current, &bytes).finalize().into_bytes();
        bytes.extend_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The subscriber id a token was signed for, if it is genuine, for `purpose`, and (for confirm links) recent.
    pub fn verify(
        &self,
        purpose: Purpose,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, TokenError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| TokenError::Malformed)?;
        if bytes.len() != TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let (payload, tag) = bytes.split_at(PAYLOAD_LEN);
        let genuine = std::iter::once(&self.current)
            .chain(&self.retired)
            .any(|key| mac(key, payload).verify_truncated_left(tag).is_ok());
        if !genuine {
            return Err(TokenError::BadSignature);
        }

        let signed_purpose = Purpose::from_byte(payload[0]).ok_or(TokenError::Malformed)?;
        if signed_purpose != purpose {
            return Err(TokenError::WrongPurpose);
        }
        let subscriber_id = u64::from_be_bytes(payload[1..9].try_into().expect("8 bytes"));
        let issued_secs = i64::from_be_bytes(payload[9..17].try_into().expect("8 bytes"));
        let issued_at = DateTime::from_timestamp(issued_secs, 0).ok_or(TokenError::Malformed)?;
        if purpose == Purpose::Confirm && now >= issued_at + CONFIRM_TOKEN_LIFETIME {
            return Err(TokenError::Expired);
        }
        Ok(subscriber_id)
    }
}

fn mac(key: &[u8], payload: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(payload);
    mac
}

#[cfg(test)]
mod tests;
