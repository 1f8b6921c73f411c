//! Each subscriber's message without rebuilding it: lettre builds the issue's message once for a stand-in
//! subscriber, and a subscriber's message is that one with their To line, Message-ID and unsubscribe link in the
//! stand-in's places. Building a lettre `Message` per subscriber was a quarter of the sender's CPU (it parses
//! its own From and To headers back); this is one copy of the bytes.
//!
//! Why the result is the bytes lettre would build: everything else in the message is the same for every
//! subscriber (the issue's parts, the Date, the MIME boundary); the To line is rendered by lettre's own header
//! encoder; a signed token always has the same length and only URL-safe characters, so quoted-printable soft
//! breaks and header folding fall in the same places for the stand-in's link and every subscriber's. An
//! edition's preferences link ("Change" your topics) is stamped the same way as the unsubscribe link. The caller
//! still compares a stamped message with lettre's build (see `Edition::build`) before trusting the stamp.

use std::ops::Range;

use anyhow::{Context, Result, ensure};
use chrono::{DateTime, Utc};
use lettre::Address;
use lettre::message::header::{Headers, To};
use lettre::message::{Mailbox, Mailboxes};

use crate::digest::{Recipient, RenderedIssue};

const STAND_IN_ADDRESS: &str = "stamp-stand-in@example.invalid";
const STAND_IN_ID: u64 = u64::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    To,
    MessageId,
    /// The unsubscribe URL, quoted-printable encoded, as the body parts carry it.
    EncodedUrl,
    /// An edition's preferences URL, encoded the same way.
    EncodedPreferencesUrl,
    /// The bare token, as the List-Unsubscribe header carries it.
    Token,
}

#[derive(Debug, Clone)]
enum Piece {
    Same(Range<usize>),
    Slot(Slot),
}

/// The stand-in's message cut around what differs per subscriber.
#[derive(Debug, Clone)]
pub struct Stamp {
    template: String,
    pieces: Vec<Piece>,
    /// Where the slots are in `template`.
    stand_in_slots: Vec<Range<usize>>,
    token_len: usize,
    has_preferences: bool,
}

/// One subscriber's message, and the byte ranges of it that differ from one subscriber to the next.
#[derive(Debug, Clone)]
pub struct Stamped {
    pub raw: Vec<u8>,
    pub slots: Vec<Range<usize>>,
}

/// What differs for one subscriber.
pub struct Personal<'a> {
    pub recipient: &'a Recipient<'a>,
    pub message_id: &'a str,
    pub unsubscribe_url: &'a str,
    /// Needed when the issue is an edition (it has a preferences link).
    pub preferences_url: Option<&'a str>,
}

impl Stamp {
    /// Cuts the issue's message for a stand-in whose token has `token_len` characters.
    pub fn new(
        issue: &RenderedIssue,
        composed_at: DateTime<Utc>,
        token_len: usize,
    ) -> Result<Stamp> {
        let token = stand_in_token("StampStandInToken", token_len);
        let preferences_token = stand_in_token("StampStandInPrefs", token_len);
        let has_preferences = issue.has_preferences_link();
        let email: Address = STAND_IN_ADDRESS.parse()?;
        let stand_in = Recipient {
            subscriber_id: STAND_IN_ID,
            email: email.clone(),
            name: None,
            unsubscribe_token: &token,
            preferences_token: has_preferences.then_some(preferences_token.as_str()),
        };
        let raw = issue.message(&stand_in, composed_at)?.formatted();
        let template = String::from_utf8(raw).context("the issue's message is not UTF-8")?;
        let url = issue.unsubscribe_url(&token);
        let mut patterns = vec![
            (Slot::To, to_line(&Mailbox::new(None, email))),
            (Slot::MessageId, issue.message_id(&stand_in)),
            (Slot::EncodedUrl, encoded(&url)),
            (Slot::Token, token),
        ];
        if has_preferences {
            let url = issue.preferences_url(Some(&preferences_token));
            patterns.push((Slot::EncodedPreferencesUrl, encoded(&url)));
        }
        let (pieces, stand_in_slots) = cut(&template, &patterns);
        let count = |slot| {
            pieces
                .iter()
                .filter(|p| matches!(p, Piece::Slot(s) if *s == slot))
                .count()
        };
        ensure!(
            count(Slot::To) == 1 && count(Slot::MessageId) == 1 && count(Slot::Token) >= 1,
            "the stand-in message does not have the expected To, Message-ID and token"
        );
        ensure!(
            !has_preferences || count(Slot::EncodedPreferencesUrl) >= 1,
            "the stand-in message does not have the edition's preferences link"
        );
        Ok(Stamp {
            template,
            pieces,
            stand_in_slots,
            token_len,
            has_preferences,
        })
    }

    /// The stand-in's message and where its slots are: what the DKIM body hash of every message shares.
    pub fn stand_in(&self) -> (&[u8], &[Range<usize>]) {
        (self.template.as_bytes(), &self.stand_in_slots)
    }

    /// The subscriber's message and where its slots are in it; `None` when a token's length differs from the
    /// stand-in's, or an edition's preferences link is missing.
    pub fn fill(&self, personal: &Personal) -> Option<Stamped> {
        let token = personal.recipient.unsubscribe_token;
        let like_stand_in =
            |token: &str| token.len() == self.token_len && token.bytes().all(url_safe);
        if !like_stand_in(token) {
            return None;
        }
        let preferences_url = if self.has_preferences {
            if !personal
                .recipient
                .preferences_token
                .is_some_and(like_stand_in)
            {
                return None;
            }
            encoded(personal.preferences_url?)
        } else {
            String::new()
        };
        let mailbox = Mailbox::new(
            personal.recipient.name.map(str::to_string),
            personal.recipient.email.clone(),
        );
        let to = to_line(&mailbox);
        let url = encoded(personal.unsubscribe_url);
        let mut out = String::with_capacity(self.template.len() + to.len() + 64);
        let mut slots = Vec::with_capacity(self.pieces.len());
        for piece in &self.pieces {
            let start = out.len();
            match piece {
                Piece::Same(range) => out.push_str(&self.template[range.clone()]),
                Piece::Slot(Slot::To) => out.push_str(&to),
                Piece::Slot(Slot::MessageId) => out.push_str(personal.message_id),
                Piece::Slot(Slot::EncodedUrl) => out.push_str(&url),
                Piece::Slot(Slot::EncodedPreferencesUrl) => out.push_str(&preferences_url),
                Piece::Slot(Slot::Token) => out.push_str(token),
            }
            if matches!(piece, Piece::Slot(_)) {
                slots.push(start..out.len());
            }
        }
        Some(Stamped {
            raw: out.into_bytes(),
            slots,
        })
    }
}

/// The To header line exactly as lettre writes it, folding and encoding included.
fn to_line(mailbox: &Mailbox) -> String {
    let mut headers = Headers::new();
    headers.set(To::from(Mailboxes::new().with(mailbox.clone())));
    headers.to_string()
}

/// As the body template encodes the link (see `digest::message`).
fn encoded(url: &str) -> String {
    String::from_utf8(quoted_printable::encode(url)).expect("quoted-printable output is ASCII")
}

fn url_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// A token-shaped string that appears nowhere else in a message.
fn stand_in_token(start: &str, len: usize) -> String {
    let mut token = String::from(start);
    while token.len() < len {
        token.push('Q');
    }
    token.truncate(len);
    token
}

/// Splits `text` at every occurrence of the patterns; at one position the earliest-listed pattern wins. Also
/// says where each occurrence is.
fn cut(text: &str, patterns: &[(Slot, String)]) -> (Vec<Piece>, Vec<Range<usize>>) {
    let mut pieces = Vec::new();
    let mut slots = Vec::new();
    let mut at = 0;
    loop {
        let next = patterns
            .iter()
            .filter_map(|(slot, pattern)| {
                text[at..]
                    .find(pattern.as_str())
                    .map(|i| (at + i, *slot, pattern.len()))
            })
            .min_by_key(|(position, _, _)| *position);
        let Some((position, slot, len)) = next else {
            pieces.push(Piece::Same(at..text.len()));
            return (pieces, slots);
        };
        if position > at {
            pieces.push(Piece::Same(at..position));
        }
        pieces.push(Piece::Slot(slot));
        slots.push(position..position + len);
        at = position + len;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::{Personal, Stamp};
    use crate::config::Config;
    use crate::digest::{Recipient, RenderedIssue};
    use crate::tokens::{Purpose, Tokens};

    /// A small issue; an edition also has the preferences link, in both parts.
    fn issue(config: &Config, edition: bool) -> RenderedIssue {
        let change = if edition {
            format!(
                "You get: Search \u{b7} Change:\n{}\n",
                crate::digest::PREFERENCES_PLACEHOLDER
            )
        } else {
            String::new()
        };
        let html = format!(
            "<p>Caf\u{e9} .dots</p>\n.{p}\n{change}<a href=\"{p}\">unsubscribe</a>\n",
            p = crate::digest::UNSUBSCRIBE_PLACEHOLDER
        );
        let text = format!(
            "Hello.\n\n{change}Unsubscribe: {}\n",
            crate::digest::UNSUBSCRIBE_PLACEHOLDER
        );
        RenderedIssue::from_parts("2026-W47", "Verdicts: caf\u{e9}", "pre", html, text, config)
    }

    #[test]
    fn stamped_messages_are_the_bytes_lettre_builds_for_every_kind_of_recipient() {
        let mut config = Config::default();
        let (issue_a, edition_a) = (issue(&config, false), issue(&config, true));
        config.base_url = "https://a-much-longer-host-name.verdicts.example.org/newsletter"
            .to_string()
            .try_into()
            .unwrap();
        let (issue_b, edition_b) = (issue(&config, false), issue(&config, true));
        assert!(edition_a.has_preferences_link() && !issue_a.has_preferences_link());
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 23, 59, 59).unwrap();
        let tokens = Tokens::new(vec![7; 32], Vec::new());
        for issue in [&issue_a, &issue_b, &edition_a, &edition_b] {
            let stamp =
                Stamp::new(issue, at, tokens.sign(Purpose::Unsubscribe, 1, at).len()).unwrap();
            let people: [(u64, &str, Option<&str>); 5] = [
                (1, "ann@example.org", None),
                (42, "bob.smith+news@example.org", Some("Bob Smith")),
                (7_000_000, "x@y.io", Some("Lee, Ann \"the reader\"")),
                (
                    3,
                    "zoe@example.org",
                    Some("Zo\u{eb} M\u{fc}ller-L\u{fc}denscheidt von Hohenzollern-Sigmaringen"),
                ),
                (u64::MAX - 1, "jos\u{e9}@example.org", None),
            ];
            for (id, email, name) in people {
                let token = tokens.sign(Purpose::Unsubscribe, id, at);
                let preferences = tokens.sign(Purpose::Preferences, id, at);
                let recipient = Recipient {
                    subscriber_id: id,
                    email: email.parse().unwrap(),
                    name,
                    unsubscribe_token: &token,
                    preferences_token: Some(&preferences),
                };
                let expected = issue.message(&recipient, at).unwrap().formatted();
                let stamped = stamp
                    .fill(&Personal {
                        recipient: &recipient,
                        message_id: &issue.message_id(&recipient),
                        unsubscribe_url: &issue.unsubscribe_url(&token),
                        preferences_url: Some(&issue.preferences_url(Some(&preferences))),
                    })
                    .unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&stamped.raw),
                    String::from_utf8_lossy(&expected),
                    "{email} {name:?}"
                );
            }
        }
    }
}
