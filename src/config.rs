//! Configuration: `verdicts.toml` (or the embedded defaults), then `VERDICTS_<KEY>`
//! environment overrides, parsed once into typed values. Secrets never live here:
//! they are read from the environment by the code that needs them (see [`Secrets`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono_tz::Tz;
use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};

use crate::store::Database;

mod base_url;
mod secrets;
mod topic_arns;
mod trusted_proxies;
mod validate;

pub use base_url::BaseUrl;
pub use secrets::Secrets;
use secrets::relay_password_position;
pub use topic_arns::TopicArns;
pub use trusted_proxies::TrustedProxies;

/// Environment variables that carry secrets or select the file: never settings keys.
const NOT_SETTINGS: &[&str] = &[
    "VERDICTS_CONFIG",
    "VERDICTS_SECRET",
    "VERDICTS_SECRET_RETIRED",
    "VERDICTS_SMTP_PASSWORD",
    "VERDICTS_DATABASE_PASSWORD",
    "VERDICTS_DKIM_KEY",
    "VERDICTS_DKIM_ED25519_KEY",
    "VERDICTS_METRICS_TOKEN",
    "VERDICTS_POSTMARK_WEBHOOK_PASSWORD",
    "VERDICTS_MAILGUN_SIGNING_KEY",
    "VERDICTS_LOG",
];

/// Secrets someone may try to put in the file, with the variable that carries each instead.
const SECRET_KEYS: &[(&str, &str)] = &[
    ("metrics_token", "VERDICTS_METRICS_TOKEN"),
    (
        "postmark_webhook_password",
        "VERDICTS_POSTMARK_WEBHOOK_PASSWORD",
    ),
    ("mailgun_signing_key", "VERDICTS_MAILGUN_SIGNING_KEY"),
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
    /// Where subscribers, issues and the delivery ledger are kept: the path of a SQLite file, or a
    /// `postgres://user@host:5432/dbname` URL (password in the URL or in `VERDICTS_DATABASE_PASSWORD`) for
    /// several web instances and senders sharing one database.
    pub database: Database,
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
    /// On PostgreSQL, where several senders share an issue's ledger: seconds a page of recipients one sender
    /// claimed is left alone by the others. A sender that dies leaves its rows to the others after this long.
    pub send_claim_seconds: u64,
    /// Seconds the send lease outlives its holder's last renewal (renewed every third of it): how long a sender
    /// on another host, or another `verdicts serve` instance, waits before resuming a send whose holder died.
    pub send_lease_seconds: u64,
    /// DKIM selector of the RSA key; RSA-SHA256 signing is on when this and `VERDICTS_DKIM_KEY` are set.
    pub dkim_selector: Option<String>,
    /// DKIM selector of the Ed25519 key (RFC 8463); a second signature when this and
    /// `VERDICTS_DKIM_ED25519_KEY` are set.
    pub dkim_ed25519_selector: Option<String>,
    /// Address in the `mailto:` half of List-Unsubscribe (default `unsubscribe@` the sender's domain).
    /// verdicts does not read that mailbox: route it to a person or a filter that runs
    /// `verdicts subscribers remove`; the https half unsubscribes in one click by itself.
    pub unsubscribe_mailbox: Option<lettre::Address>,
    /// Where bounces go (VERP): each digest message's envelope sender becomes `LOCAL+TOKEN@DOMAIN`, a signed
    /// token naming the subscription and the issue, and `verdicts bounces ingest` maps what comes back by it.
    /// Unset: the envelope sender is the `from` address.
    pub bounce_address: Option<lettre::Address>,
    /// Consecutive issues with a soft bounce (4.x.x, "delayed") after which a reader is marked bounced; an issue
    /// delivered in between starts the count again.
    pub soft_bounce_limit: u32,
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
    /// The user name Postmark's webhooks send with HTTP basic auth; the password is
    /// `VERDICTS_POSTMARK_WEBHOOK_PASSWORD`, without which `POST /webhooks/postmark` is off (404).
    pub postmark_webhook_user: String,
    /// PEM file with the certificate(s) Amazon SNS signs notifications with (the file SigningCertURL names,
    /// downloaded once by the operator; several may be concatenated across a rotation). Without it
    /// `POST /webhooks/ses` is off (404). Nothing is fetched at run time.
    pub ses_certificate_file: Option<PathBuf>,
    /// SNS topic ARNs whose notifications `POST /webhooks/ses` takes; empty: any topic whose signature verifies.
    pub ses_topic_arns: TopicArns,
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
            database: Database::Sqlite("subscribers/verdicts.db".into()),
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
            send_claim_seconds: 300,
            send_lease_seconds: crate::lease::SEND_LEASE_TTL.as_secs(),
            dkim_selector: None,
            dkim_ed25519_selector: None,
            unsubscribe_mailbox: None,
            bounce_address: None,
            soft_bounce_limit: 3,
            post_rate_limit_per_minute: 10,
            thank_you_url: None,
            trusted_proxies: TrustedProxies::default(),
            header_read_timeout_seconds: 10,
            idle_timeout_seconds: 60,
            max_connections: 0,
            shutdown_drain_seconds: 10,
            postmark_webhook_user: "postmark".into(),
            ses_certificate_file: None,
            ses_topic_arns: TopicArns::default(),
        }
    }
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
        refuse_secrets(text, &table)?;
        apply_env(&mut table, env)?;
        let merged = toml::to_string(&table).expect("a table serializes");
        let config: Config = toml::from_str(&merged).map_err(|e| {
            let line = e.span().map(|s| merged[..s.start].matches('\n').count());
            match line.and_then(|n| merged.lines().nth(n)) {
                // The database URL may hold a password: its own message names what is wrong.
                Some(setting) if !setting.trim_start().starts_with("database") => {
                    anyhow::anyhow!("{}: {}", setting.trim(), e.message().trim())
                }
                _ => anyhow::anyhow!("{}", e.message().trim()),
            }
        })?;
        config.validate()?;
        let password = env
            .iter()
            .find(|(name, value)| name == "VERDICTS_DATABASE_PASSWORD" && !value.is_empty())
            .map(|(_, value)| value.as_str());
        Ok(Config {
            database: config.database.with_password(password),
            ..config
        })
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

/// A secret written into the file is refused naming the line and the variable to use: the file is often
/// readable by more people (and backups) than the service's environment.
fn refuse_secrets(text: &str, table: &toml::Table) -> Result<()> {
    for (key, variable) in SECRET_KEYS {
        if table.contains_key(*key) {
            let line = text
                .lines()
                .position(|line| line.trim_start().starts_with(key))
                .map_or(String::new(), |n| format!("line {}: ", n + 1));
            anyhow::bail!(
                "{line}{key} is a secret and is not read from the file: set {variable} in the environment instead"
            );
        }
    }
    Ok(())
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
