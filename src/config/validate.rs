//! Checks on a parsed [`Config`] that serde's types cannot express: ranges, the schedule, relay URLs,
//! the database path and the EHLO name. A failed check names the setting and its value.

use anyhow::{Result, bail};

use super::Config;

impl Config {
    pub(super) fn validate(&self) -> Result<()> {
        if self.concurrency == 0 || self.concurrency > 256 {
            bail!(
                "concurrency = {} must be between 1 and 256",
                self.concurrency
            );
        }
        if self.header_read_timeout_seconds == 0 || self.idle_timeout_seconds == 0 {
            bail!("header_read_timeout_seconds and idle_timeout_seconds must be at least 1");
        }
        if self.max_attempts == 0 {
            bail!("max_attempts must be at least 1");
        }
        if self.retry_base_seconds == 0 {
            bail!("retry_base_seconds must be at least 1");
        }
        if self.retry_max_seconds < self.retry_base_seconds {
            bail!(
                "retry_max_seconds = {} must be at least retry_base_seconds = {}",
                self.retry_max_seconds,
                self.retry_base_seconds
            );
        }
        if !(self.rate_limit_per_second >= 0.0 && self.rate_limit_per_second.is_finite()) {
            bail!(
                "rate_limit_per_second = {} must be 0 or more",
                self.rate_limit_per_second
            );
        }
        if self.send_claim_seconds == 0 || self.send_claim_seconds > 86_400 {
            bail!(
                "send_claim_seconds = {} must be between 1 and 86400 (a day)",
                self.send_claim_seconds
            );
        }
        if self.send_lease_seconds == 0 || self.send_lease_seconds > 86_400 {
            bail!(
                "send_lease_seconds = {} must be between 1 and 86400 (a day)",
                self.send_lease_seconds
            );
        }
        crate::schedule::Schedule::parse(&self.schedule, self.timezone)?;
        if self.postal_address.trim().is_empty() {
            bail!("postal_address must not be empty: the footer of every email needs it");
        }
        if let Some(list) = &self.smtp_url {
            let urls: Vec<&str> = list.split(',').map(str::trim).collect();
            for (i, url) in urls.iter().enumerate() {
                let which = if urls.len() == 1 {
                    String::new()
                } else {
                    format!(" relay {} of {}", i + 1, urls.len())
                };
                if url.is_empty() {
                    bail!("smtp_url{which} is empty: separate the relay URLs with single commas");
                }
                if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                    bail!(
                        "smtp_url{which} = {:?} must start with smtp:// or smtps://",
                        crate::mail::redact(url)
                    );
                }
            }
        }
        if self.relay_cooldown_seconds > 86_400 {
            bail!(
                "relay_cooldown_seconds = {} must be at most 86400 (a day)",
                self.relay_cooldown_seconds
            );
        }
        if self.soft_bounce_limit == 0 {
            bail!("soft_bounce_limit must be at least 1");
        }
        if let Some(address) = &self.bounce_address {
            let room = 64 - 1 - crate::tokens::verp::MAX_TOKEN_LEN;
            if address.user().len() > room || address.user().contains('+') {
                bail!(
                    "bounce_address = {address:?}: its local part {:?} must be at most {room} characters and \
                     without '+', so that LOCAL+TOKEN stays within the 64 characters a local part may have \
                     (e.g. bounces@news.example.org)",
                    address.user()
                );
            }
        }
        if let Some(name) = &self.helo_name
            && !is_helo_name(name)
        {
            bail!(
                "helo_name = {name:?} must be a host name (letters, digits, '-' and '.') or an address literal \
                 like [192.0.2.1]"
            );
        }
        let user = &self.postmark_webhook_user;
        if user.trim().is_empty() || user.contains(':') || user.chars().any(char::is_control) {
            bail!(
                "postmark_webhook_user = {user:?} must be a user name without ':' (HTTP basic auth cannot carry one)"
            );
        }
        Ok(())
    }
}

/// A domain name (RFC 5321 `Domain`) or an address literal in brackets; empty means "the default".
fn is_helo_name(name: &str) -> bool {
    if name.is_empty() {
        return true;
    }
    if let Some(literal) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        return !literal.is_empty()
            && literal
                .chars()
                .all(|c| c.is_ascii_hexdigit() || ".:".contains(c) || c.is_ascii_alphanumeric());
    }
    name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}
