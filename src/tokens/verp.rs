//! VERP return paths: each digest message's envelope sender is `LOCAL+TOKEN@DOMAIN` for a `bounce_address` of
//! `LOCAL@DOMAIN`, with a signed token naming the subscription and the issue, so a bounce that comes back maps to
//! the reader and the issue by the address it came back to, never by guessing from its text.
//!
//! The token is lower-case base32 (RFC 4648 alphabet, no padding; some MTAs fold the case of a local part, so it
//! reads either case) of a version byte, the subscriber id and the issue id as LEB128 varints, and the first 10
//! bytes of an HMAC-SHA256 under the link-signing key over a label and those bytes. A reader's token for issue
//! 12 is 24 characters; the longest possible (ids of 2^63) is [`MAX_TOKEN_LEN`], which the configuration checks
//! still fits the 64 characters a local part may have. The label keeps a return path from ever verifying as a
//! link token or the other way round. Rotating the key keeps older return paths working through the retired keys.

use hmac::Mac;
use lettre::Address;

use super::{HmacSha256, Tokens, mac};

/// The longest token: version, two 10-byte varints and the tag, in base32.
pub const MAX_TOKEN_LEN: usize = (1 + 10 + 10 + TAG_LEN) * 8 / 5 + 1;
const VERSION: u8 = 1;
const TAG_LEN: usize = 10;
const LABEL: &[u8] = b"verdicts return path\0";
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// What a genuine return path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReturnPathTarget {
    pub subscriber_id: u64,
    pub issue_id: i64,
}

/// Why an address was not taken as one of our return paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReturnPathError {
    #[error("it is not a return path of the bounce address")]
    NotOurs,
    #[error("its token is damaged")]
    Malformed,
    #[error(
        "its token's signature does not match (forged, or signed with a key no longer accepted)"
    )]
    BadSignature,
}

/// Makes each message's envelope sender; built once per send, keyed once.
#[derive(Clone)]
pub struct ReturnPaths {
    local: String,
    domain: String,
    keyed: HmacSha256,
}

impl std::fmt::Debug for ReturnPaths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReturnPaths({}+…@{})", self.local, self.domain)
    }
}

impl ReturnPaths {
    /// Return paths under `bounce_address`, signed with the current key of `tokens`.
    pub fn new(bounce_address: &Address, tokens: &Tokens) -> ReturnPaths {
        // Keyed and labelled once: each message clones this state and adds its own bytes.
        let keyed = mac(&tokens.current, LABEL);
        ReturnPaths {
            local: bounce_address.user().to_string(),
            domain: bounce_address.domain().to_string(),
            keyed,
        }
    }

    /// The envelope sender of `subscriber_id`'s message of `issue_id`.
    pub fn sender(&self, subscriber_id: u64, issue_id: i64) -> Address {
        let mut payload = Vec::with_capacity(1 + 10 + 10 + TAG_LEN);
        payload.push(VERSION);
        leb128(&mut payload, subscriber_id);
        leb128(&mut payload, issue_id as u64);
        let mut mac = self.keyed.clone();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        payload.extend_from_slice(&tag[..TAG_LEN]);
        let mut user = String::with_capacity(self.local.len() + 1 + MAX_TOKEN_LEN);
        user.push_str(&self.local);
        user.push('+');
        base32(&payload, &mut user);
        // The local part is the configured (already checked) one, '+', and base32 characters.
        Address::new_dangerous(user, &self.domain)
    }
}

impl Tokens {
    /// What `address` names if it is a genuine return path under `bounce_address` (signed with the current key or
    /// a retired one). Case is ignored throughout.
    pub fn read_return_path(
        &self,
        address: &str,
        bounce_address: &Address,
    ) -> Result<ReturnPathTarget, ReturnPathError> {
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        let (user, domain) = address.rsplit_once('@').ok_or(ReturnPathError::NotOurs)?;
        if !domain.eq_ignore_ascii_case(bounce_address.domain()) {
            return Err(ReturnPathError::NotOurs);
        }
        let local = bounce_address.user();
        let token = user
            .get(..local.len())
            .filter(|prefix| prefix.eq_ignore_ascii_case(local))
            .and_then(|_| user[local.len()..].strip_prefix('+'))
            .ok_or(ReturnPathError::NotOurs)?;
        let bytes = unbase32(token).ok_or(ReturnPathError::Malformed)?;
        let payload_len = bytes
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(ReturnPathError::Malformed)?;
        let (payload, tag) = bytes.split_at(payload_len);
        let genuine = std::iter::once(&self.current)
            .chain(&self.retired)
            .any(|key| {
                let mut mac = mac(key, LABEL);
                mac.update(payload);
                mac.verify_truncated_left(tag).is_ok()
            });
        if !genuine {
            return Err(ReturnPathError::BadSignature);
        }
        let (&version, rest) = payload.split_first().ok_or(ReturnPathError::Malformed)?;
        if version != VERSION {
            return Err(ReturnPathError::Malformed);
        }
        let (subscriber_id, rest) = read_leb128(rest).ok_or(ReturnPathError::Malformed)?;
        let (issue_id, rest) = read_leb128(rest).ok_or(ReturnPathError::Malformed)?;
        if !rest.is_empty() {
            return Err(ReturnPathError::Malformed);
        }
        Ok(ReturnPathTarget {
            subscriber_id,
            issue_id: i64::try_from(issue_id).map_err(|_| ReturnPathError::Malformed)?,
        })
    }
}

fn leb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_leb128(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value: u64 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

fn base32(bytes: &[u8], out: &mut String) {
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
}

fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c.to_ascii_lowercase())? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    // Leftover bits are padding and must be zero, so each token has one spelling (ignoring case).
    (buffer & ((1 << bits) - 1) == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use lettre::Address;

    use super::{MAX_TOKEN_LEN, ReturnPathError, ReturnPathTarget, ReturnPaths};
    use crate::tokens::{Purpose, Tokens};

    fn tokens(key: &str) -> Tokens {
        Tokens::from_secret_str(key, &[]).unwrap()
    }

    fn bounces() -> Address {
        "bounces@news.example.org".parse().unwrap()
    }

    #[test]
    fn a_return_path_names_its_subscription_and_issue_in_either_case() {
        let tokens = tokens("0123456789abcdef0123");
        let paths = ReturnPaths::new(&bounces(), &tokens);
        let sender = paths.sender(123_456, 12);
        assert!(sender.user().starts_with("bounces+"), "{sender}");
        assert_eq!(sender.domain(), "news.example.org");
        assert_eq!(sender.user().len(), "bounces+".len() + 24, "{sender}");
        let target = ReturnPathTarget {
            subscriber_id: 123_456,
            issue_id: 12,
        };
        assert_eq!(
            tokens.read_return_path(sender.as_ref(), &bounces()),
            Ok(target)
        );
        let shouted = sender.to_string().to_uppercase();
        assert_eq!(tokens.read_return_path(&shouted, &bounces()), Ok(target));
        assert_eq!(
            tokens.read_return_path(&format!("<{sender}>"), &bounces()),
            Ok(target)
        );
    }

    #[test]
    fn the_longest_return_path_fits_a_local_part() {
        let paths = ReturnPaths::new(&bounces(), &tokens("0123456789abcdef0123"));
        let sender = paths.sender(u64::MAX, i64::MAX);
        assert!(sender.user().len() <= "bounces+".len() + MAX_TOKEN_LEN);
        assert!(sender.user().len() <= 64, "{sender}");
    }

    #[test]
    fn forged_altered_foreign_and_other_key_tokens_are_refused() {
        let tokens = tokens("0123456789abcdef0123");
        let sender = ReturnPaths::new(&bounces(), &tokens)
            .sender(7, 3)
            .to_string();
        // One character changed.
        let mut altered = sender.clone().into_bytes();
        let at = sender.find('@').unwrap() - 1;
        altered[at] = if altered[at] == b'a' { b'b' } else { b'a' };
        let altered = String::from_utf8(altered).unwrap();
        assert!(tokens.read_return_path(&altered, &bounces()).is_err());
        let other = ReturnPaths::new(&bounces(), &self::tokens("another key of some length"))
            .sender(7, 3)
            .to_string();
        assert_eq!(
            tokens.read_return_path(&other, &bounces()),
            Err(ReturnPathError::BadSignature)
        );
        for foreign in [
            "bounces@news.example.org",
            "someone+abc@news.example.org",
            &sender.replace("news.example.org", "example.com"),
            "bounces+!!!@news.example.org",
        ] {
            assert!(
                tokens.read_return_path(foreign, &bounces()).is_err(),
                "{foreign}"
            );
        }
        // A link token is no return path.
        let link = tokens.sign(Purpose::Unsubscribe, 7, Utc.timestamp_opt(0, 0).unwrap());
        let as_path = format!("bounces+{}@news.example.org", link.to_lowercase());
        assert!(tokens.read_return_path(&as_path, &bounces()).is_err());
    }

    #[test]
    fn a_retired_key_still_reads_older_return_paths() {
        let old = tokens("the old key, sixteen+");
        let sender = ReturnPaths::new(&bounces(), &old).sender(9, 1).to_string();
        let rotated =
            Tokens::from_secret_str("the new key, sixteen+", &["the old key, sixteen+"]).unwrap();
        assert_eq!(
            rotated.read_return_path(&sender, &bounces()),
            Ok(ReturnPathTarget {
                subscriber_id: 9,
                issue_id: 1
            })
        );
    }
}
