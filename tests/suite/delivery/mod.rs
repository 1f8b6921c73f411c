//! `verdicts send` against real SMTP servers over TCP: the library's send job in-process for the delivery
//! rules and faults, the real binary for crashes, signals and the command line. Every test gets a fresh store
//! in a temporary folder and sends the sample content's week (`--as-of 2026-11-22`).

mod breaker;
mod chunking;
mod cli;
mod clock_skew;
mod crash;
mod dkim;
mod dkim_stamped;
mod failover;
mod faults;
mod happy;
mod one_path;
mod restore;
mod retry;
mod scheduled_senders;
mod scheduled_takeover;
mod senders;
mod socket;
mod tls;
mod topics;
mod topics_crash;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use weekly_verdicts::content::Categories;

use chrono::{DateTime, Utc};
use tempfile::TempDir;
use weekly_verdicts::config::{Config, Secrets};
use weekly_verdicts::delivery::{self, RetryPolicy, SendOptions, SendReport};
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::mail::Timeouts;
use weekly_verdicts::store::{ImportRow, Status, Store};

pub const AS_OF: &str = "2026-11-22";
/// The sample content's week at [`AS_OF`].
pub const KEY: &str = "2026-W47";

pub fn as_of() -> DateTime<Utc> {
    weekly_verdicts::commands::parse_as_of(AS_OF, chrono_tz::UTC).unwrap()
}

pub fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// Subscriber `i`'s address.
pub fn address(i: usize) -> String {
    format!("r{i:05}@example.org")
}

/// Connections the `verdicts` processes in these tests open.
pub const CONCURRENCY: usize = 16;

/// The real `verdicts` binary, configured through the environment only, with [`CONCURRENCY`] connections.
pub fn verdicts(fixture: &Fixture, smtp_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_verdicts"));
    command
        .current_dir(fixture.dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", fixture.db())
        .env("VERDICTS_SMTP_URL", smtp_url)
        .env("VERDICTS_CONTENT_DIR", content_dir())
        .env("VERDICTS_CONCURRENCY", CONCURRENCY.to_string())
        .env("VERDICTS_LOG", "warn");
    command
}

/// A temporary folder with a store, and the configuration pointing at it.
pub struct Fixture {
    pub dir: TempDir,
    pub config: Config,
}

impl Fixture {
    /// `smtp_url` None: the outbox. `settings`: more `VERDICTS_*` pairs.
    pub fn new(smtp_url: Option<&str>, settings: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut env = vec![
            (
                "VERDICTS_DATABASE".to_string(),
                dir.path().join("verdicts.db").display().to_string(),
            ),
            (
                "VERDICTS_OUTBOX_DIR".to_string(),
                dir.path().join("outbox").display().to_string(),
            ),
            (
                "VERDICTS_CONTENT_DIR".to_string(),
                content_dir().display().to_string(),
            ),
        ];
        if let Some(url) = smtp_url {
            env.push(("VERDICTS_SMTP_URL".to_string(), url.to_string()));
        }
        env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::parse("", &env).unwrap();
        Fixture { dir, config }
    }

    pub fn db(&self) -> PathBuf {
        self.config.database.sqlite_path().unwrap().to_path_buf()
    }

    pub fn store(&self) -> Store {
        Store::open_sqlite(&self.db()).unwrap()
    }

    /// `n` confirmed subscribers, `address(0..n)`, in one transaction.
    pub fn seed(&self, n: usize) {
        let rows: Vec<ImportRow> = (0..n)
            .map(|i| ImportRow {
                email: SubscriberEmail::parse(&address(i)).unwrap(),
                name: None,
                status: Status::Confirmed,
                categories: Categories::everything(),
                created_at: None,
                confirmed_at: None,
            })
            .collect();
        self.store().import(&rows, as_of()).unwrap();
    }

    /// Options for tests: quick retries and reconnects, generous timeouts (nothing here is timed).
    pub fn options(&self) -> SendOptions {
        SendOptions {
            retry: RetryPolicy {
                max_attempts: self.config.max_attempts,
                base: Duration::from_millis(20),
                cap: Duration::from_millis(100),
                wait_in_run: Duration::from_secs(30),
            },
            timeouts: Timeouts {
                connect: Duration::from_secs(10),
                command: Duration::from_secs(10),
            },
            relay_down_after: 4,
            reconnect_base: Duration::from_millis(10),
            ..SendOptions::new(&self.config)
        }
    }

    pub async fn send(&self, options: SendOptions) -> SendReport {
        send_job(&self.config, &Secrets::default(), as_of(), options)
            .await
            .unwrap()
    }

    /// Every ledger row of the week's issue, by address.
    pub fn ledger(&self) -> Vec<LedgerRow> {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT d.email, d.state, d.attempts, d.last_error, d.relay_reply, d.sent_at
                 FROM deliveries d JOIN issues i ON i.id = d.issue_id
                 WHERE i.key = ?1 ORDER BY d.email",
            )
            .unwrap();
        stmt.query_map([KEY], |row| {
            Ok(LedgerRow {
                email: row.get(0)?,
                state: row.get(1)?,
                attempts: row.get(2)?,
                last_error: row.get(3)?,
                relay_reply: row.get(4)?,
                sent_at: row.get(5)?,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    pub fn row(&self, email: &str) -> LedgerRow {
        self.ledger()
            .into_iter()
            .find(|row| row.email == email)
            .unwrap_or_else(|| panic!("{email} is not in the ledger"))
    }

    pub fn subscriber_status(&self, email: &str) -> Status {
        let email = SubscriberEmail::parse(email).unwrap();
        self.store().find_by_email(&email).unwrap().unwrap().status
    }
}

#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub email: String,
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub relay_reply: Option<String>,
    pub sent_at: Option<String>,
}

/// Every one of `n` recipients is in the ledger once, in a final state (sent, failed or skipped).
pub fn assert_all_final(fixture: &Fixture, n: usize) -> Vec<LedgerRow> {
    let rows = fixture.ledger();
    assert_eq!(rows.len(), n, "ledger rows");
    for row in &rows {
        assert!(
            ["sent", "failed", "skipped"].contains(&row.state.as_str()),
            "{} is {}",
            row.email,
            row.state
        );
        if row.state == "sent" {
            let reply = row.relay_reply.as_deref().unwrap_or_default();
            assert!(
                reply.starts_with("250") || reply.starts_with("written to"),
                "{row:?}"
            );
            assert!(row.sent_at.is_some(), "{row:?}");
        }
    }
    rows
}

/// The run summary of a report that ran.
pub fn ran(report: &SendReport) -> &delivery::RunSummary {
    match report {
        SendReport::Ran(summary) => summary,
        other => panic!("expected a run, got {other:?}"),
    }
}

/// What cron or the scheduler runs: load the content folder, then send.
pub async fn send_job(
    config: &Config,
    secrets: &Secrets,
    as_of: chrono::DateTime<chrono::Utc>,
    options: SendOptions,
) -> anyhow::Result<SendReport> {
    let comparisons =
        weekly_verdicts::content::load_dir_or_error(&config.content_dir, &config.base_url)?;
    delivery::send(config, secrets, &comparisons, as_of, options).await
}
