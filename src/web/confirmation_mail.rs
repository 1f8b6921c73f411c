//! The double opt-in email: one link that confirms the address. A transactional message to one person who just
//! asked for it, so no List-Unsubscribe; `Auto-Submitted` keeps auto-responders quiet. Text part first, then
//! HTML (RFC 2046), both carrying the link. The HTML keeps an email's own skeleton (tables, inline styles) but
//! takes every colour and the type from the shared palette ([`crate::look::palette`]).

use std::time::SystemTime;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use maud::{DOCTYPE, Markup, html};

use crate::config::Config;
use crate::email_address::{SubscriberEmail, SubscriberName};

/// The email's inline styles. Not run through rustfmt, which would put every piece of every `concat!` on a line
/// of its own.
#[rustfmt::skip]
mod style {
    use crate::look::palette::colour;

    pub const FONT: &str = concat!("font-family:", colour!(FONT_STACK), ";");
    pub const BODY: &str = concat!("margin:0;padding:0;background-color:", colour!(PAGE_BG), ";");
    pub const OUTER_CELL: &str = "padding:24px 12px;";
    pub const CARD: &str = concat!("width:100%;max-width:560px;background-color:", colour!(SURFACE), ";border-radius:8px;");
    pub const CELL: &str = "padding:28px;";
    pub const BRAND: &str = concat!("font-size:13px;line-height:18px;font-weight:700;letter-spacing:1px;text-transform:uppercase;color:", colour!(ACCENT), ";");
    pub const HEADING: &str = concat!("margin:8px 0 12px 0;font-size:22px;line-height:28px;font-weight:700;color:", colour!(TEXT), ";");
    pub const PARAGRAPH: &str = concat!("margin:0 0 16px 0;font-size:15px;line-height:22px;color:", colour!(TEXT_BODY), ";");
    pub const BUTTON_CELL: &str = concat!("background-color:", colour!(ACCENT), ";border-radius:6px;");
    pub const BUTTON_LINK: &str = concat!("display:inline-block;padding:12px 20px;font-size:15px;line-height:18px;font-weight:700;color:", colour!(ON_ACCENT), ";text-decoration:none;");
    pub const SMALL: &str = concat!("margin:16px 0 0 0;font-size:12px;line-height:18px;color:", colour!(TEXT_FAINT), ";");
    pub const URL: &str = concat!("color:", colour!(ACCENT), ";word-break:break-all;");
}

/// Who the confirmation goes to, and the signed token for their link.
#[derive(Debug, Clone, Copy)]
pub struct Confirmation<'a> {
    pub subscriber_id: u64,
    pub email: &'a SubscriberEmail,
    pub name: Option<&'a SubscriberName>,
    /// A `Purpose::Confirm` token.
    pub token: &'a str,
}

impl Confirmation<'_> {
    pub fn url(&self, config: &Config) -> String {
        format!("{}/confirm/{}", config.base_url, self.token)
    }
}

pub fn subject(config: &Config) -> String {
    format!("Confirm your subscription to {}", config.site_name)
}

/// The Message-ID: on the sender's domain, one per (subscriber, time sent).
pub fn message_id(config: &Config, confirmation: &Confirmation<'_>, now: DateTime<Utc>) -> String {
    format!(
        "<confirm.{}.{}@{}>",
        confirmation.subscriber_id,
        now.timestamp_micros(),
        config.sender_domain()
    )
}

/// The complete message.
pub fn message(
    config: &Config,
    confirmation: &Confirmation<'_>,
    now: DateTime<Utc>,
) -> Result<Message> {
    let url = confirmation.url(config);
    let to = Mailbox::new(
        confirmation.name.map(|n| n.as_str().to_owned()),
        confirmation.email.as_address().clone(),
    );
    let mut builder = Message::builder()
        .from(config.from.clone())
        .to(to)
        .subject(subject(config))
        .date(SystemTime::from(now))
        .message_id(Some(message_id(config, confirmation, now)))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_owned(),
        ));
    if let Some(reply_to) = &config.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            text(config, &url),
            html(config, &url).into_string(),
        ))
        .with_context(|| format!("building the confirmation email to {}", confirmation.email))
}

fn text(config: &Config, url: &str) -> String {
    format!(
        "Confirm your subscription to {site}\n\
         \n\
         Someone, hopefully you, asked to receive {site} at this address.\n\
         To confirm, open this link within 7 days:\n\
         \n\
         {url}\n\
         \n\
         If you did not ask for it, ignore this email: without confirmation you will\n\
         receive nothing more.\n\
         \n\
         --\n\
         {postal}\n",
        site = config.site_name,
        postal = config.postal_address,
    )
}

fn html(config: &Config, url: &str) -> Markup {
    let site = &config.site_name;
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { "Confirm your subscription" }
            }
            body style=(style::BODY) {
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style=(style::BODY) {
                    tr { td align="center" style=(style::OUTER_CELL) {
                        table role="presentation" cellpadding="0" cellspacing="0" border="0" style=(style::CARD) {
                            tr { td style={ (style::CELL) (style::FONT) } {
                                div style=(style::BRAND) { (site) }
                                h1 style=(style::HEADING) { "Confirm your subscription" }
                                p style=(style::PARAGRAPH) {
                                    "Someone, hopefully you, asked to receive " (site)
                                    " at this address. Press the button within 7 days to confirm."
                                }
                                table role="presentation" cellpadding="0" cellspacing="0" border="0" {
                                    tr { td style=(style::BUTTON_CELL) {
                                        a href=(url) style=(style::BUTTON_LINK) { "Confirm my subscription" }
                                    } }
                                }
                                p style=(style::SMALL) {
                                    "Or paste this link into your browser: "
                                    a href=(url) style=(style::URL) { (url) }
                                }
                                p style=(style::SMALL) {
                                    "If you did not ask for it, ignore this email: without confirmation you will "
                                    "receive nothing more."
                                }
                                p style=(style::SMALL) { (config.postal_address) }
                            } }
                        }
                    } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::{Confirmation, message};
    use crate::config::Config;
    use crate::email_address::{SubscriberEmail, SubscriberName};

    #[test]
    fn the_confirmation_has_the_link_in_both_parts_text_first_and_a_message_id_on_the_sender_domain()
     {
        let config = Config::default();
        let email = SubscriberEmail::parse("ann@example.org").unwrap();
        let name = SubscriberName::parse("Zoë \"Ann\" O'Neil").unwrap();
        let confirmation = Confirmation {
            subscriber_id: 7,
            email: &email,
            name: Some(&name),
            token: "TOKEN_abc-123",
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let raw =
            String::from_utf8(message(&config, &confirmation, now).unwrap().formatted()).unwrap();
        let decoded = quoted_printable::decode(&raw, quoted_printable::ParseMode::Robust).unwrap();
        let decoded = String::from_utf8(decoded).unwrap();
        let url = "https://verdicts.example.org/confirm/TOKEN_abc-123";
        assert_eq!(decoded.matches(url).count(), 4, "{decoded}");
        let text_at = raw.find("Content-Type: text/plain").unwrap();
        let html_at = raw.find("Content-Type: text/html").unwrap();
        assert!(text_at < html_at);
        assert!(raw.contains("Message-ID: <confirm.7.1795424400000000@verdicts.example.org>"));
        assert!(raw.contains("Auto-Submitted: auto-generated"));
        assert!(!raw.contains("List-Unsubscribe"));
        assert!(raw.lines().all(|line| line.len() <= 998));
    }
}
