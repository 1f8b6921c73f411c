//! What a reader types into the form, checked once at the boundary: `SubscriberEmail` and `SubscriberName`.
//!
//! One rule for every way in (the form, the JSON API, the CLI, import): an address is accepted only if it can be
//! mailed as stored. It must pass `lettre::Address` (RFC 5321/6531 syntax) and go into a message's `To:` line and
//! come back unchanged; quoted local parts (`"a b"@example.org`) are refused, since the message layer cannot carry
//! them. On top of that this module refuses control
//! characters (header injection), enforces the SMTP length limits, refuses IP-address domains, and stores the domain
//! in its lower-case ASCII (Punycode) form so one mailbox has one spelling and needs no SMTPUTF8 for the domain.
//! Non-ASCII local parts (`josé@example.org`) are accepted as lettre accepts them; delivering to them needs a relay
//! that offers SMTPUTF8.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// RFC 5321 limits, in octets.
const MAX_ADDRESS_LEN: usize = 254;
const MAX_LOCAL_PART_LEN: usize = 64;
/// Longest display name accepted, in characters.
const MAX_NAME_CHARS: usize = 100;
/// How much of a rejected value an error message quotes.
const QUOTED_CHARS: usize = 80;

/// A syntactically valid, deliverable-looking email address. The local part keeps its case (some servers honour
/// it); compare addresses with [`SubscriberEmail::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberEmail(lettre::Address);

/// Why a string is not a [`SubscriberEmail`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("the email address is empty")]
    Empty,
    #[error(
        "{} is not a usable email address: it contains the control character {found:?}",
        quoted(value)
    )]
    ControlCharacter { value: String, found: char },
    #[error(
        "{} is not a usable email address: it is longer than {MAX_ADDRESS_LEN} characters",
        quoted(value)
    )]
    TooLong { value: String },
    #[error("{} is not an email address: it has no @", quoted(value))]
    MissingAt { value: String },
    #[error(
        "{} is not a usable email address: the part before the @ is longer than {MAX_LOCAL_PART_LEN} characters",
        quoted(value)
    )]
    LocalPartTooLong { value: String },
    #[error(
        "{} is not a valid email address: {local:?} is not valid before the @",
        quoted(value)
    )]
    InvalidLocalPart { value: String, local: String },
    #[error(
        "{} is not a valid email address: {domain:?} is not a valid domain",
        quoted(value)
    )]
    InvalidDomain { value: String, domain: String },
    #[error(
        "{} is not accepted: use the domain name rather than an IP address after the @",
        quoted(value)
    )]
    IpAddressDomain { value: String },
    #[error(
        "{} is not accepted: addresses with quotes (\"...\") before the @ cannot be mailed; use one without",
        quoted(value)
    )]
    QuotedLocalPart { value: String },
    #[error(
        "{} is not accepted: it cannot be written into an email's To: line",
        quoted(value)
    )]
    Unmailable { value: String },
}

impl SubscriberEmail {
    pub fn parse(input: &str) -> Result<SubscriberEmail, AddressError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(AddressError::Empty);
        }
        if let Some(found) = value.chars().find(|c| is_forbidden_char(*c)) {
            return Err(AddressError::ControlCharacter {
                value: value.to_owned(),
                found,
            });
        }
        if value.len() > MAX_ADDRESS_LEN {
            return Err(AddressError::TooLong {
                value: value.to_owned(),
            });
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(AddressError::MissingAt {
                value: value.to_owned(),
            });
        };
        if local.len() > MAX_LOCAL_PART_LEN {
            return Err(AddressError::LocalPartTooLong {
                value: value.to_owned(),
            });
        }
        if local.contains('"') {
            return Err(AddressError::QuotedLocalPart {
                value: value.to_owned(),
            });
        }
        let bare = domain
            .strip_prefix('[')
            .and_then(|d| d.strip_suffix(']'))
            .unwrap_or(domain);
        if bare.parse::<IpAddr>().is_ok() {
            return Err(AddressError::IpAddressDomain {
                value: value.to_owned(),
            });
        }
        let invalid_domain = || AddressError::InvalidDomain {
            value: value.to_owned(),
            domain: domain.to_owned(),
        };
        let ascii_domain = idna::domain_to_ascii(domain).map_err(|_| invalid_domain())?;
        let address = lettre::Address::new(local, &ascii_domain).map_err(|e| match e {
            lettre::address::AddressError::InvalidUser => AddressError::InvalidLocalPart {
                value: value.to_owned(),
                local: local.to_owned(),
            },
            _ => invalid_domain(),
        })?;
        // Punycode can make the domain longer than the form the reader typed.
        if AsRef::<str>::as_ref(&address).len() > MAX_ADDRESS_LEN {
            return Err(AddressError::TooLong {
                value: value.to_owned(),
            });
        }
        // What the message layer writes into `To:` must read back as the same address, or the mail cannot be sent.
        let mailbox = lettre::message::Mailbox::new(None, address.clone()).to_string();
        if mailbox.parse::<lettre::message::Mailbox>().map(|m| m.email) != Ok(address.clone()) {
            return Err(AddressError::Unmailable {
                value: value.to_owned(),
            });
        }
        Ok(SubscriberEmail(address))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    /// The address fully lower-cased: two addresses with the same key are one subscriber.
    pub fn key(&self) -> String {
        self.as_str().to_lowercase()
    }

    pub fn as_address(&self) -> &lettre::Address {
        &self.0
    }
}

impl FromStr for SubscriberEmail {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<SubscriberEmail, AddressError> {
        SubscriberEmail::parse(s)
    }
}

impl fmt::Display for SubscriberEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for SubscriberEmail {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<SubscriberEmail> for lettre::Address {
    fn from(email: SubscriberEmail) -> lettre::Address {
        email.0
    }
}

/// A reader's display name: trimmed, one line, at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberName(String);

/// Why a string is not a [`SubscriberName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error(
        "the name {} contains the control character {found:?}; use a single line of text",
        quoted(value)
    )]
    ControlCharacter { value: String, found: char },
    #[error(
        "the name {} is longer than {MAX_NAME_CHARS} characters",
        quoted(value)
    )]
    TooLong { value: String },
}

impl SubscriberName {
    pub fn parse(input: &str) -> Result<SubscriberName, NameError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(found) = value.chars().find(|c| is_forbidden_char(*c)) {
            return Err(NameError::ControlCharacter {
                value: value.to_owned(),
                found,
            });
        }
        if value.chars().count() > MAX_NAME_CHARS {
            return Err(NameError::TooLong {
                value: value.to_owned(),
            });
        }
        Ok(SubscriberName(value.to_owned()))
    }

    /// For optional form fields and CSV cells: blank means no name.
    pub fn parse_optional(input: &str) -> Result<Option<SubscriberName>, NameError> {
        if input.trim().is_empty() {
            Ok(None)
        } else {
            SubscriberName::parse(input).map(Some)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubscriberName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SubscriberName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Control characters (CR, LF, NUL, tab, ...) and the Unicode line and paragraph separators: anything that could
/// break a header line or hide part of a value.
fn is_forbidden_char(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// A value for an error message: escaped, and cut short so a hostile input cannot flood a log line.
fn quoted(value: &str) -> String {
    if value.chars().count() <= QUOTED_CHARS {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(QUOTED_CHARS).collect();
        format!("{head:?}...")
    }
}

#[cfg(test)]
mod tests;
