//! Configuration: `verdicts.toml` (or the embedded defaults), then `VERDICTS_<KEY>`
//! environment overrides, parsed once into typed values. Secrets never live here:
//! they are read from the environment by the code that needs them (see [`Secrets`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono_tz::Tz;
use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};

mod trusted_proxies;
pub use trusted_proxies::TrustedProxies;

/// Environment variables that carry secrets or select the file: never settings keys.
const NOT_SETTINGS: &[&str] = &[
    "VERDICTS_CONFIG",
    "VERDICTS_SECRET",
    "VERDICTS_SECRET_RETIRED",
    "VERDICTS_SMTP_PASSWORD",
    "VERDICTS_DKIM_KEY",
    "VERDICTS_DKIM_ED25519_KEY",
    "VERDICTS_LOG",
];

/// Every setting, with the default that lets each command run on a fresh checkout.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The newsletter's name: the From display name, the List-Id phrase, page titles.
    pub site_name: String,
    /// Public address of `verdicts serve` (absolute http(s) URL, no trailing slash).
    /// Every link in an email starts with it.
    pub base_url: BaseUrl,
    /// Sender mailbox, e.g. `Weekly AI Tool Verdicts <digest@verdicts.example.org>`.
    /// Its domain is used for Message-IDs and the List-Id.
    pub from: Mailbox,
    /// Optional Reply-To mailbox.
    pub reply_to: Option<Mailbox>,
    /// Physical postal address printed in every email footer (CAN-SPAM).
    pub postal_address: String,
    /// IANA time zone that defines the issue week and the schedule, e.g. `Europe/Berlin`.
    pub timezone: Tz,
    /// Folder of comparison files.
    pub content_dir: PathBuf,
    /// SQLite database file of subscribers, issues and the delivery ledger.
    pub database: PathBuf,
    /// Folder that receives `.eml` files when `smtp_url` is not set.
    pub outbox_dir: PathBuf,
    /// SMTP relay, e.g. `smtps://user@smtp.example.org:465` or `smtp://relay:587?tls=required`, or several
    /// separated by commas in priority order (the later ones are the failover). Empty: deliver into
    /// `outbox_dir`. Passwords come from `VERDICTS_SMTP_PASSWORD` and `VERDICTS_SMTP_PASSWORD_<N>`.
    pub smtp_url: Option<String>,
    /// Name this host gives in EHLO on every SMTP connection (digest, confirmations, test copies). Empty: the
    /// sender's domain. A `/name` path in `smtp_url` still wins, for compatibility.
    pub helo_name: Option<String>,
    /// PEM file with one or more CA certificates trusted for the relay's TLS certificate, besides the system
    /// store (and `SSL_CERT_FILE`, which replaces the system store's file). For a relay with a private CA.
    pub tls_ca_file: Option<PathBuf>,
    /// Seconds a relay of `smtp_url` that is down (refused, 421 at the greeting, TLS or AUTH failure) is skipped
    /// before it is tried again.
    pub relay_cooldown_seconds: u64,
    /// Address `verdicts serve` listens on.
    pub listen: String,
    /// When the weekly issue goes out: a cron expression (5-field crontab or 6/7-field with seconds),
    /// read in `timezone`.
    pub schedule: String,
    /// How late (minutes) the built-in scheduler may still send a missed run.
    pub max_lateness_minutes: u32,
    /// Concurrent SMTP connections while sending.
    pub concurrency: usize,
    /// Global cap in messages per second; 0 means no cap.
    pub rate_limit_per_second: f64,
    /// Delivery attempts per recipient before a temporary failure becomes final.
    pub max_attempts: u32,
    /// Seconds before the first retry of a deferred recipient; doubled after each further failure (with
    /// jitter). Postfix's `minimal_backoff_time`.
    pub retry_base_seconds: u64,
    /// The longest wait (seconds) between two attempts. Postfix's `maximal_backoff_time`.
    pub retry_max_seconds: u64,
    /// A run waits in-process (seconds) for deferred recipients whose retry falls within this time and
    /// retries them itself; later ones are left to the next run. 0: never wait.
    pub retry_wait_in_run_seconds: u64,
    /// DKIM selector of the RSA key; RSA-SHA256 signing is on when this and `VERDICTS_DKIM_KEY` are set.
    pub dkim_selector: Option<String>,
    /// DKIM selector of the Ed25519 key (RFC 8463); a second signature when this and
    /// `VERDICTS_DKIM_ED25519_KEY` are set.
    pub dkim_ed25519_selector: Option<String>,
    /// Address in the `mailto:` half of List-Unsubscribe (default `unsubscribe@` the sender's domain).
    /// verdicts does not read that mailbox: route it to a person or a filter that runs
    /// `verdicts subscribers remove`; the https half unsubscribes in one click by itself.
    pub unsubscribe_mailbox: Option<lettre::Address>,
    /// Subscribe/unsubscribe POSTs allowed per client IP per minute.
    pub post_rate_limit_per_minute: u32,
    /// Where a form posted from the publication's own site is redirected after subscribing.
    pub thank_you_url: Option<String>,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers are believed (CIDR blocks). Empty: those headers are
    /// ignored and the socket's peer is the client.
    pub trusted_proxies: TrustedProxies,
    /// Seconds a client has to send a request's headers; a keep-alive connection waits no longer than this for
    /// its next request.
    pub header_read_timeout_seconds: u64,
    /// Seconds a connection may go without a byte moving either way (a stalled upload or download) before it is
    /// closed.
    pub idle_timeout_seconds: u64,
    /// Open HTTP connections at most; past it new ones get 503 and are closed. 0 picks a cap below the
    /// process's open-file limit, which also lowers a larger value.
    pub max_connections: u32,
    /// Seconds `verdicts serve` lets requests in progress finish after SIGTERM before closing them.
    pub shutdown_drain_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            site_name: "Weekly AI Tool Verdicts".into(),
            base_url: BaseUrl("https://verdicts.example.org".into()),
            from: "Weekly AI Tool Verdicts <digest@verdicts.example.org>"
                .parse()
                .expect("default sender parses"),
            reply_to: None,
            postal_address:
                "Weekly AI Tool Verdicts, 100 Example Street, Springfield, IL 62701, USA".into(),
            timezone: Tz::UTC,
            content_dir: "content".into(),
            database: "subscribers/verdicts.db".into(),
            outbox_dir: "outbox".into(),
            smtp_url: None,
            helo_name: None,
            tls_ca_file: None,
            relay_cooldown_seconds: 60,
            listen: "127.0.0.1:8080".into(),
            schedule: "0 9 * * MON".into(),
            max_lateness_minutes: 360,
            concurrency: 4,
            rate_limit_per_second: 0.0,
            max_attempts: 5,
            retry_base_seconds: 300,
            retry_max_seconds: 4000,
            retry_wait_in_run_seconds: 600,
            dkim_selector: None,
            dkim_ed25519_selector: None,
            unsubscribe_mailbox: None,
            post_rate_limit_per_minute: 10,
            thank_you_url: None,
            trusted_proxies: TrustedProxies::default(),
            header_read_timeout_seconds: 10,
            idle_timeout_seconds: 60,
            max_connections: 0,
            shutdown_drain_seconds: 10,
        }
    }
}

/// The scheme of a `scheme://…` value (RFC 3986 letters, digits, `+`, `-`, `.`), if it is one; the rest is not
/// returned, as it may hold a password.
fn url_scheme(database: &Path) -> Option<&str> {
    let text = database.to_str()?;
    let (scheme, _) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let starts_with_letter = chars.next()?.is_ascii_alphabetic();
    (starts_with_letter && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
        .then_some(scheme)
}

impl Config {
    /// Loads the file named by `--config`/`VERDICTS_CONFIG`, else `./verdicts.toml` if present,
    /// else the defaults; then applies the environment.
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let (text, origin) = match explicit {
            Some(path) => (
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading configuration {}", path.display()))?,
                path.display().to_string(),
            ),
            None if Path::new("verdicts.toml").exists() => (
                std::fs::read_to_string("verdicts.toml").context("reading verdicts.toml")?,
                "verdicts.toml".to_string(),
            ),
            None => (String::new(), "the embedded defaults".to_string()),
        };
        Config::parse(&text, &env).with_context(|| format!("configuration from {origin}"))
    }

    /// Pure: the file's text plus environment pairs, validated.
    pub fn parse(text: &str, env: &[(String, String)]) -> Result<Config> {
        let mut table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        apply_env(&mut table, env)?;
        let merged = toml::to_string(&table).expect("a table serializes");
        let config: Config = toml::from_str(&merged).map_err(|e| {
            let line = e.span().map(|s| merged[..s.start].matches('\n').count());
            match line.and_then(|n| merged.lines().nth(n)) {
                Some(setting) => anyhow::anyhow!("{}: {}", setting.trim(), e.message().trim()),
                None => anyhow::anyhow!("{}", e.message().trim()),
            }
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
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
        if let Some(scheme) = url_scheme(&self.database) {
            // A URL taken as a path would silently make an empty SQLite store in a folder named after the scheme.
            bail!(
                "database = \"{scheme}://…\": this build knows no {scheme}:// store; database must be the path of a \
                 SQLite file (e.g. subscribers/verdicts.db)"
            );
        }
        if self.relay_cooldown_seconds > 86_400 {
            bail!(
                "relay_cooldown_seconds = {} must be at most 86400 (a day)",
                self.relay_cooldown_seconds
            );
        }
        if let Some(name) = &self.helo_name
            && !is_helo_name(name)
        {
            bail!(
                "helo_name = {name:?} must be a host name (letters, digits, '-' and '.') or an address literal \
                 like [192.0.2.1]"
            );
        }
        Ok(())
    }

    /// The name given in EHLO: `helo_name`, else the sender's domain.
    pub fn helo_name(&self) -> &str {
        match self.helo_name.as_deref() {
            Some(name) if !name.is_empty() => name,
            _ => self.sender_domain(),
        }
    }

    /// The domain of the sender address, used for Message-IDs and the List-Id.
    pub fn sender_domain(&self) -> &str {
        self.from.email.domain()
    }

    /// The `mailto:` address of List-Unsubscribe.
    pub fn unsubscribe_mailbox(&self) -> String {
        match &self.unsubscribe_mailbox {
            Some(address) => address.to_string(),
            None => format!("unsubscribe@{}", self.sender_domain()),
        }
    }

    /// `List-Id` value (RFC 2919).
    pub fn list_id(&self) -> String {
        format!("{} <{}>", self.site_name, self.sender_domain())
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

/// Secrets, read from the environment only.
#[derive(Clone, Default)]
pub struct Secrets {
    /// `VERDICTS_SECRET`: the token signing key (else one is generated and kept in the store).
    pub token_key: Option<String>,
    /// `VERDICTS_SECRET_RETIRED`: comma-separated earlier keys, still accepted.
    pub retired_token_keys: Vec<String>,
    /// `VERDICTS_SMTP_PASSWORD`: the password of every relay in `smtp_url` that names a user.
    pub smtp_password: Option<String>,
    /// `VERDICTS_SMTP_PASSWORD_<N>`: the password of the relay at position N (from 1) of `smtp_url`.
    pub smtp_passwords: BTreeMap<usize, String>,
    /// `VERDICTS_DKIM_KEY`: the RSA key, PKCS#8 or PKCS#1 PEM, or a path to a file holding it.
    pub dkim_key: Option<String>,
    /// `VERDICTS_DKIM_ED25519_KEY`: the Ed25519 key, PKCS#8 PEM, or a path to a file holding it.
    pub dkim_ed25519_key: Option<String>,
}

impl Secrets {
    pub fn from_env() -> Secrets {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Secrets {
            token_key: var("VERDICTS_SECRET"),
            retired_token_keys: var("VERDICTS_SECRET_RETIRED")
                .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_default(),
            smtp_password: var("VERDICTS_SMTP_PASSWORD"),
            smtp_passwords: std::env::vars()
                .filter(|(_, value)| !value.is_empty())
                .filter_map(|(name, value)| Some((relay_password_position(&name)?, value)))
                .collect(),
            dkim_key: var("VERDICTS_DKIM_KEY"),
            dkim_ed25519_key: var("VERDICTS_DKIM_ED25519_KEY"),
        }
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |v: bool| if v { "set" } else { "unset" };
        f.debug_struct("Secrets")
            .field("token_key", &set(self.token_key.is_some()))
            .field("smtp_password", &set(self.smtp_password.is_some()))
            .field(
                "smtp_passwords",
                &self.smtp_passwords.keys().collect::<Vec<_>>(),
            )
            .field("dkim_key", &set(self.dkim_key.is_some()))
            .field("dkim_ed25519_key", &set(self.dkim_ed25519_key.is_some()))
            .finish()
    }
}

/// An absolute http(s) URL without a trailing slash, so `format!("{base}/path")` is right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BaseUrl(String);

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

/// Overrides `table` with every `VERDICTS_<KEY>` pair. The value's type follows the default's:
/// numbers and booleans are parsed, everything else is taken as a string.
fn apply_env(table: &mut toml::Table, env: &[(String, String)]) -> Result<()> {
    let defaults = toml::Table::try_from(Config::default()).expect("defaults serialize");
    for (name, raw) in env {
        let Some(key) = name.strip_prefix("VERDICTS_") else {
            continue;
        };
        if NOT_SETTINGS.contains(&name.as_str()) || relay_password_position(name).is_some() {
            continue;
        }
        let key = key.to_ascii_lowercase();
        let value = match defaults.get(&key) {
            Some(toml::Value::Integer(_)) => toml::Value::Integer(
                raw.trim()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("{name}={raw:?}: {key} takes a whole number"))?,
            ),
            Some(toml::Value::Float(_)) => toml::Value::Float(
                raw.trim()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("{name}={raw:?}: {key} takes a number"))?,
            ),
            Some(toml::Value::Boolean(_)) => toml::Value::Boolean(
                raw.trim()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("{name}={raw:?}: {key} takes true or false"))?,
            ),
            _ => toml::Value::String(raw.clone()),
        };
        if raw.is_empty() && !defaults.contains_key(&key) {
            table.remove(&key);
        } else {
            table.insert(key, value);
        }
    }
    Ok(())
}

/// N of `VERDICTS_SMTP_PASSWORD_<N>`, a secret and not a setting.
fn relay_password_position(name: &str) -> Option<usize> {
    name.strip_prefix("VERDICTS_SMTP_PASSWORD_")?.parse().ok()
}

/// A TOML error as `line N: message`.
pub(crate) fn toml_error(text: &str, error: &toml::de::Error) -> anyhow::Error {
    match error.span() {
        Some(span) => anyhow::anyhow!(
            "line {}: {}",
            line_of(text, span.start),
            error.message().trim()
        ),
        None => anyhow::anyhow!("{}", error.message().trim()),
    }
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests;
