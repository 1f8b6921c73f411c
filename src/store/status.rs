//! A subscriber's status and where the subscription came from, with their stored spellings.

use std::fmt;
use std::str::FromStr;

/// Where a subscriber is in the double opt-in lifecycle. Only `Confirmed` subscribers receive issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Subscribed but has not followed the confirmation link yet.
    Pending,
    /// Confirmed the address: receives every issue.
    Confirmed,
    /// Asked to stop. Only the reader can undo this, by subscribing and confirming again.
    Unsubscribed,
    /// The relay refused the address permanently, or later bounces said so (see `store/bounces.rs`).
    Bounced,
    /// Marked an issue as spam (a feedback-loop report): unsubscribed, and flagged so that neither the form nor an
    /// import brings them back; only their own following of a new confirmation link does.
    Complained,
}

/// How a subscriber reached the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The subscribe form served by `verdicts serve`.
    Form,
    /// `verdicts subscribers add`.
    Cli,
    /// `verdicts subscribers import`.
    Import,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Confirmed,
        Status::Unsubscribed,
        Status::Bounced,
        Status::Complained,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Confirmed => "confirmed",
            Status::Unsubscribed => "unsubscribed",
            Status::Bounced => "bounced",
            Status::Complained => "complained",
        }
    }
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Form, Source::Cli, Source::Import];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::Cli => "cli",
            Source::Import => "import",
        }
    }
}

/// A string that names none of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a subscriber {what} (expected one of: {})", allowed.join(", "))]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub allowed: Vec<&'static str>,
}

impl FromStr for Status {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Status, UnknownValue> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownValue {
                what: "status",
                value: s.to_owned(),
                allowed: Status::ALL.iter().map(|s| s.as_str()).collect(),
            })
    }
}

impl FromStr for Source {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Source, UnknownValue> {
        Source::ALL
            .into_iter()
            .find(|source| source.as_str() == s)
            .ok_or_else(|| UnknownValue {
                what: "source",
                value: s.to_owned(),
                allowed: Source::ALL.iter().map(|s| s.as_str()).collect(),
            })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::{Source, Status};

    #[test]
    fn every_status_and_source_parses_back_from_its_stored_spelling() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>().unwrap(), status);
        }
        for source in Source::ALL {
            assert_eq!(source.as_str().parse::<Source>().unwrap(), source);
        }
    }

    #[test]
    fn an_unknown_status_error_lists_the_allowed_values() {
        let err = "active".parse::<Status>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"active\" is not a subscriber status (expected one of: pending, confirmed, unsubscribed, bounced, complained)"
        );
    }
}
