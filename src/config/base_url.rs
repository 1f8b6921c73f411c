//! [`BaseUrl`]: the public address of `verdicts serve`, checked to be absolute http(s) and kept without a
//! trailing slash.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An absolute http(s) URL without a trailing slash, so `format!("{base}/path")` is right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BaseUrl(pub(super) String);

impl BaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BaseUrl {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        let trimmed = value.trim().trim_end_matches('/');
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !trimmed.contains(char::is_whitespace) => {
                Ok(BaseUrl(trimmed.to_string()))
            }
            _ => Err(format!(
                "base_url = {value:?} must be an absolute http:// or https:// URL"
            )),
        }
    }
}

impl From<BaseUrl> for String {
    fn from(url: BaseUrl) -> String {
        url.0
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
