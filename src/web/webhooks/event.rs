//! What every provider's payload is parsed into: per recipient, a bounce or complaint ([`ProviderEvent`]), or why
//! the payload changes nothing ([`Parsed::Ignored`]); and the Message-ID rule that ties an event to our issue.

use crate::store::BounceKind;

/// What a provider reported about one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEvent {
    /// The address as the provider wrote it (parsed against the list later).
    pub recipient: String,
    pub kind: BounceKind,
    /// The provider's words: type, status, diagnostic (cleaned with [`reason`]).
    pub reason: String,
    /// The Message-ID of the message that bounced, when the payload carries it.
    pub message_id: Option<String>,
}

/// A payload that parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Bounces or complaints to record.
    Events(Vec<ProviderEvent>),
    /// Nothing to record (a delivery, an open, an auto-reply, a policy block): why, for the log.
    Ignored(String),
}

/// The longest reason kept, in characters: a diagnostic is a line, not a transcript.
const REASON_CHARS: usize = 300;

/// The parts of a reason joined with ": ", control characters (a diagnostic's CR LF) turned into spaces, and cut
/// to [`REASON_CHARS`].
pub fn reason(parts: &[&str]) -> String {
    let joined = parts
        .iter()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    let cleaned: String = joined
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match cleaned.char_indices().nth(REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &cleaned[..cut]),
        None => cleaned,
    }
}

/// The issue key and subscriber id of a Message-ID we wrote (`<2026-W47.42.1a2b3c4d@domain>`, angle brackets
/// optional) for our `domain`; `None` for any other.
pub fn our_message_id(message_id: &str, domain: &str) -> Option<(String, u64)> {
    let trimmed = message_id.trim();
    let inner = trimmed
        .strip_prefix('<')
        .and_then(|m| m.strip_suffix('>'))
        .unwrap_or(trimmed);
    let (local, host) = inner.rsplit_once('@')?;
    if !host.eq_ignore_ascii_case(domain) {
        return None;
    }
    let mut parts = local.rsplitn(3, '.');
    let tag = parts.next()?;
    let subscriber: u64 = parts.next()?.parse().ok()?;
    let key = parts.next()?;
    let tag_ok = tag.len() == 8 && tag.chars().all(|c| c.is_ascii_hexdigit());
    let key_ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    (tag_ok && key_ok).then(|| (key.to_owned(), subscriber))
}

#[cfg(test)]
mod tests {
    use super::{our_message_id, reason};

    #[test]
    fn a_reason_drops_empty_parts_and_control_characters_and_is_cut() {
        assert_eq!(
            reason(&["SES Permanent", "", " 5.1.1 ", "smtp; 550\r\nno such user"]),
            "SES Permanent: 5.1.1: smtp; 550  no such user"
        );
        let long = "x".repeat(1000);
        let cut = reason(&[&long]);
        assert_eq!(cut.chars().count(), 301);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn only_our_own_message_ids_name_an_issue_and_a_subscriber() {
        assert_eq!(
            our_message_id(
                "<2026-W47.42.1a2b3c4d@verdicts.example.org>",
                "verdicts.example.org"
            ),
            Some(("2026-W47".to_owned(), 42))
        );
        assert_eq!(
            our_message_id(
                "2026-W47.42.1a2b3c4d@Verdicts.Example.org",
                "verdicts.example.org"
            ),
            Some(("2026-W47".to_owned(), 42))
        );
        for other in [
            "<2026-W47.42.1a2b3c4d@elsewhere.example>",
            "<0100018c-aaaa@email.amazonses.com>",
            "<2026-W47.x.1a2b3c4d@verdicts.example.org>",
            "<2026-W47.42.zz@verdicts.example.org>",
            "<42.1a2b3c4d@verdicts.example.org>",
            "",
        ] {
            assert_eq!(
                our_message_id(other, "verdicts.example.org"),
                None,
                "{other}"
            );
        }
    }
}
