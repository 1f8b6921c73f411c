//! The issue rendered once, and the per-subscriber message built from it. Both parts are
//! quoted-printable encoded once, split around the personal links (unsubscribe, and an edition's
//! preferences link); a subscriber's message only encodes those links and copies the rest, so
//! thousands can be built per second.

use std::time::SystemTime;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};
use sha2::{Digest as _, Sha256};

use super::{Digest, PREFERENCES_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER, html, text};
use crate::config::Config;

/// One subscriber, as the message needs them.
#[derive(Debug, Clone)]
pub struct Recipient<'a> {
    pub subscriber_id: u64,
    pub email: Address,
    pub name: Option<&'a str>,
    /// Signed unsubscribe token (URL-safe).
    pub unsubscribe_token: &'a str,
    /// Signed preferences token (URL-safe), for an edition's "Change" link; without one that link goes to the
    /// generic unsubscribe page. The full issue has no such link.
    pub preferences_token: Option<&'a str>,
}

/// An issue ready to send: what the store keeps (subject, HTML and text with the placeholder
/// for personal links) plus the pre-encoded parts and shared headers.
#[derive(Debug, Clone)]
pub struct RenderedIssue {
    pub key: String,
    pub subject: String,
    pub preheader: String,
    /// HTML with [`UNSUBSCRIBE_PLACEHOLDER`] where the subscriber's link goes (and, in an edition,
    /// [`PREFERENCES_PLACEHOLDER`] where their preferences link goes).
    pub html: String,
    /// Text part with the same placeholders.
    pub text: String,
    html_qp: Template,
    text_qp: Template,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    list_id: String,
    base_url: String,
    domain: String,
    unsubscribe_mailbox: String,
}

impl RenderedIssue {
    /// Renders a digest: done once per issue.
    pub fn render(digest: &Digest, config: &Config) -> RenderedIssue {
        let html = html::render(digest, UNSUBSCRIBE_PLACEHOLDER);
        let text = text::render(digest, UNSUBSCRIBE_PLACEHOLDER);
        RenderedIssue::from_parts(
            &digest.key,
            &digest.subject,
            &digest.preheader,
            html,
            text,
            config,
        )
    }

    /// Rebuilds an issue from what the store kept, so a resumed send sends what the first run sent.
    pub fn from_parts(
        key: &str,
        subject: &str,
        preheader: &str,
        html: String,
        text: String,
        config: &Config,
    ) -> RenderedIssue {
        RenderedIssue {
            key: key.to_string(),
            subject: subject.chars().filter(|c| !c.is_control()).collect(),
            preheader: preheader.to_string(),
            html_qp: Template::encode(&html),
            text_qp: Template::encode(&text),
            html,
            text,
            from: config.from.clone(),
            reply_to: config.reply_to.clone(),
            list_id: config.list_id(),
            base_url: config.base_url.to_string(),
            domain: config.sender_domain().to_string(),
            unsubscribe_mailbox: config.unsubscribe_mailbox(),
        }
    }

    /// The HTML as the archive shows it: the personal links replaced by the generic unsubscribe page.
    pub fn archive_html(&self) -> String {
        let page = format!("{}/unsubscribe", self.base_url);
        self.html
            .replace(UNSUBSCRIBE_PLACEHOLDER, &page)
            .replace(PREFERENCES_PLACEHOLDER, &page)
    }

    /// The subscriber's one-click unsubscribe URL.
    pub fn unsubscribe_url(&self, token: &str) -> String {
        format!("{}/unsubscribe/{token}", self.base_url)
    }

    /// Whether the issue (an edition) has a "Change" link that wants each subscriber's preferences token.
    pub fn has_preferences_link(&self) -> bool {
        self.html_qp.has(Link::Preferences) || self.text_qp.has(Link::Preferences)
    }

    /// The subscriber's preferences URL; without a token, the generic unsubscribe page (which explains where
    /// the personal links are).
    pub fn preferences_url(&self, token: Option<&str>) -> String {
        match token {
            Some(token) => format!("{}/preferences/{token}", self.base_url),
            None => format!("{}/unsubscribe", self.base_url),
        }
    }

    /// Deterministic per (issue, subscriber): a resend after a crash carries the same id.
    pub fn message_id(&self, recipient: &Recipient) -> String {
        let email: &str = recipient.email.as_ref();
        let hash = Sha256::digest(email.as_bytes());
        let tag: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "<{}.{}.{tag}@{}>",
            self.key, recipient.subscriber_id, self.domain
        )
    }

    /// One subscriber's complete message.
    pub fn message(&self, recipient: &Recipient, date: DateTime<Utc>) -> Result<Message> {
        let url = self.unsubscribe_url(recipient.unsubscribe_token);
        let preferences = self.preferences_url(recipient.preferences_token);
        let mailto = format!(
            "mailto:{}?subject=unsubscribe-{}",
            self.unsubscribe_mailbox, recipient.unsubscribe_token
        );
        let part = |template: &Template, content_type: ContentType| {
            let body = Body::dangerous_pre_encoded(
                template.fill(&url, &preferences),
                ContentTransferEncoding::QuotedPrintable,
            );
            SinglePart::builder().header(content_type).body(body)
        };
        let alternative = MultiPart::alternative()
            .boundary(format!("=_verdicts_{}", self.key))
            .singlepart(part(&self.text_qp, ContentType::TEXT_PLAIN))
            .singlepart(part(&self.html_qp, ContentType::TEXT_HTML));

        // Names are parsed without control characters at every way in; this keeps a bad row
        // from ever panicking lettre's header encoder.
        let name = recipient
            .name
            .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>());
        let to = Mailbox::new(name, recipient.email.clone());
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&self.subject)
            .date(SystemTime::from(date))
            .message_id(Some(self.message_id(recipient)))
            .raw_header(header("List-Id", self.list_id.clone()))
            .raw_header(header("List-Unsubscribe", format!("<{url}>, <{mailto}>")))
            .raw_header(header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            ))
            .raw_header(header("Precedence", "bulk".into()))
            .raw_header(header("Auto-Submitted", "auto-generated".into()))
            .raw_header(header("X-Verdicts-Issue", self.key.clone()));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        builder
            .multipart(alternative)
            .with_context(|| format!("building the message to {}", recipient.email))
    }
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// Which personal link goes in a gap of a [`Template`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Unsubscribe,
    Preferences,
}

/// A quoted-printable body split around the placeholders: `parts[0] link parts[1] link …`, the links named by
/// `gaps`.
#[derive(Debug, Clone)]
struct Template {
    parts: Vec<Vec<u8>>,
    gaps: Vec<Link>,
    len: usize,
}

impl Template {
    fn encode(source: &str) -> Template {
        let crlf = source.replace("\r\n", "\n").replace('\n', "\r\n");
        let mut parts = Vec::new();
        let mut gaps = Vec::new();
        let mut rest = crlf.as_str();
        loop {
            let next = [
                (Link::Unsubscribe, UNSUBSCRIBE_PLACEHOLDER),
                (Link::Preferences, PREFERENCES_PLACEHOLDER),
            ]
            .into_iter()
            .filter_map(|(link, placeholder)| {
                rest.find(placeholder).map(|at| (at, link, placeholder))
            })
            .min_by_key(|(at, _, _)| *at);
            let Some((at, link, placeholder)) = next else {
                parts.push(quoted_printable::encode(rest));
                break;
            };
            parts.push(quoted_printable::encode(&rest[..at]));
            gaps.push(link);
            rest = &rest[at + placeholder.len()..];
        }
        let len = parts.iter().map(Vec::len).sum();
        Template { parts, gaps, len }
    }

    fn has(&self, link: Link) -> bool {
        self.gaps.contains(&link)
    }

    /// The encoded body with each link in its gaps. Every gap starts and ends with a soft line
    /// break, so the value sits on its own lines and no line grows past 76 characters.
    fn fill(&self, unsubscribe: &str, preferences: &str) -> Vec<u8> {
        let unsubscribe = quoted_printable::encode(unsubscribe);
        let preferences = if self.has(Link::Preferences) {
            quoted_printable::encode(preferences)
        } else {
            Vec::new()
        };
        let longest = unsubscribe.len().max(preferences.len());
        let mut out = Vec::with_capacity(self.len + self.gaps.len() * (longest + 8));
        for (i, part) in self.parts.iter().enumerate() {
            if let Some(link) = i.checked_sub(1).map(|gap| self.gaps[gap]) {
                out.extend_from_slice(b"=\r\n");
                out.extend_from_slice(match link {
                    Link::Unsubscribe => &unsubscribe,
                    Link::Preferences => &preferences,
                });
                out.extend_from_slice(b"=\r\n");
            }
            out.extend_from_slice(part);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{Recipient, RenderedIssue, Template};
    use crate::config::Config;

    #[test]
    fn subject_with_cr_lf_cannot_add_a_header_even_past_content_checks() {
        let config = Config::default();
        let issue = RenderedIssue::from_parts(
            "2026-W47",
            "Evil\r\nBcc: victim@example.com",
            "p",
            "<p>x</p>".into(),
            "x".into(),
            &config,
        );
        let recipient = Recipient {
            subscriber_id: 1,
            email: "a@example.org".parse().unwrap(),
            name: Some("Eve\r\nCc: other@example.com"),
            unsubscribe_token: "T",
            preferences_token: None,
        };
        let raw = issue
            .message(&recipient, chrono::DateTime::UNIX_EPOCH)
            .unwrap()
            .formatted();
        let text = String::from_utf8(raw).unwrap();
        let headers = text.split("\r\n\r\n").next().unwrap();
        for line in headers.split("\r\n") {
            assert!(
                !line.starts_with("Bcc:") && !line.starts_with("Cc:"),
                "injected header line {line:?} in:\n{headers}"
            );
        }
    }

    #[test]
    fn filled_template_decodes_to_the_source_with_the_value() {
        let source = format!(
            "caf\u{e9} {}\nsecond line {} end = sign\n",
            "x".repeat(200),
            super::UNSUBSCRIBE_PLACEHOLDER
        );
        let value = format!("https://example.org/unsubscribe/{}", "T".repeat(90));
        let encoded = Template::encode(&source).fill(&value, "unused");
        assert!(
            encoded.split(|&b| b == b'\n').all(|line| line.len() <= 77),
            "a line is longer than 76 characters"
        );
        let decoded =
            quoted_printable::decode(&encoded, quoted_printable::ParseMode::Strict).unwrap();
        let expected = source
            .replace(super::UNSUBSCRIBE_PLACEHOLDER, &value)
            .replace('\n', "\r\n");
        assert_eq!(String::from_utf8(decoded).unwrap(), expected);
    }

    #[test]
    fn each_gap_gets_its_own_link_and_the_preferences_link_only_where_an_edition_has_one() {
        let source = format!(
            "You get: Search \u{b7} Change:\n{p}\nUnsubscribe:\n{u}\n<a href=\"{u}\">x</a>\n",
            p = super::PREFERENCES_PLACEHOLDER,
            u = super::UNSUBSCRIBE_PLACEHOLDER
        );
        let template = Template::encode(&source);
        assert!(template.has(super::Link::Preferences));
        let (unsubscribe, preferences) = (
            "https://example.org/unsubscribe/UUUU",
            "https://example.org/preferences/PPPP",
        );
        let encoded = template.fill(unsubscribe, preferences);
        let decoded =
            quoted_printable::decode(&encoded, quoted_printable::ParseMode::Strict).unwrap();
        let expected = source
            .replace(super::UNSUBSCRIBE_PLACEHOLDER, unsubscribe)
            .replace(super::PREFERENCES_PLACEHOLDER, preferences)
            .replace('\n', "\r\n");
        assert_eq!(String::from_utf8(decoded).unwrap(), expected);
        assert!(!Template::encode("no links at all").has(super::Link::Preferences));
    }
}
