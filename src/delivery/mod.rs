//! The delivery engine behind `verdicts send`: create (or resume) the week's issue and its ledger, then stream
//! due recipients from the store in pages to N workers over a bounded channel; each worker holds one SMTP
//! connection (or writes the outbox) and hands outcomes, through the circuit breaker (`breaker.rs`: a relay
//! refusing everyone pauses the run instead of failing the list), to the single ledger writer. A run goes over
//! the ledger in passes: after a pass it waits for deferred recipients due soon and goes again, or leaves them
//! to the next run. Memory stays flat however long the list: only a page of recipients and the channels'
//! contents are held. Pages are claimed in the run's name (`claims.rs`), so on PostgreSQL several senders can
//! deliver one issue together.

mod backoff;
mod breaker;
mod claim_keeper;
pub mod claims;
mod editions;
mod exclusive;
mod ledger;
mod pace;
mod report;
mod run;
mod shared;
mod stop;
mod trial;
mod worker;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};

pub use backoff::RetryPolicy;
pub use breaker::{Breaker, Observed, Refusal};
pub use exclusive::{Exclusive, send_exclusive, send_or_join};
pub use ledger::{MAX_UNCOMMITTED, RunCounts};
pub use report::Progress;
pub use shared::Shared;
pub use stop::{StopHandle, StopSignal};
pub use trial::{DryRun, dry_run, send_test_copy};
pub use worker::{Courier, Job, Prepared, Step, prepare};

use crate::clock::Clock;
use crate::config::{Config, Secrets};
use crate::content::Comparison;
use crate::exit::ExitStatus;
use crate::issue::plan::{self, Plan};
use crate::issue::{Edition, Editions, EditionsOptions};
use crate::mail::{Mailer, Timeouts};
use crate::metrics::Counters;
use crate::store::{IssueCreated, LedgerCounts, Store, StoredIssue};
use crate::tokens::Tokens;
use crate::tokens::verp::ReturnPaths;
use pace::Pace;

/// How a send runs. [`SendOptions::new`] gives the production defaults for a configuration.
#[derive(Debug, Clone)]
pub struct SendOptions {
    pub progress: Progress,
    /// Stops the run gracefully (SIGINT/SIGTERM in the CLI).
    pub stop: StopSignal,
    /// The clock: ledger times and retry times. Messages carry the issue's creation time instead.
    pub clock: Clock,
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
    /// Consecutive connection failures after which the relay counts as down and the run pauses.
    pub relay_down_after: u32,
    /// First pause before reconnecting after a failure; doubles per consecutive failure.
    pub reconnect_base: Duration,
    /// Recipients read (claimed) from the store per page.
    pub page_size: usize,
    /// Where the run counts messages by result and SMTP replies (the server's, for `/metrics`).
    pub counters: Counters,
    /// How long other senders leave a claimed page alone (PostgreSQL, where senders share the ledger).
    pub claim_for: Duration,
    /// Where senders share the ledger, how far this sender's clock may be from the database server's before
    /// it refuses to send (see [`claims::max_clock_skew`]); `None` skips the check (tests that pin the clock).
    pub max_clock_skew: Option<Duration>,
}

impl SendOptions {
    pub fn new(config: &Config) -> SendOptions {
        let claim_for = Duration::from_secs(config.send_claim_seconds);
        SendOptions {
            progress: Progress::Quiet,
            stop: StopSignal::never(),
            clock: Clock::System,
            retry: RetryPolicy::from_config(config),
            timeouts: Timeouts::default(),
            relay_down_after: 6,
            reconnect_base: Duration::from_millis(200),
            page_size: claims::claim_page_size(256, config.rate_limit_per_second, claim_for),
            claim_for,
            max_clock_skew: Some(claims::max_clock_skew(claim_for)),
            counters: Counters::default(),
        }
    }
}

/// What a send did.
#[derive(Debug, Clone)]
pub enum SendReport {
    /// No issue this week: nothing new was published. Nothing was created.
    NothingNew { key: String, message: String },
    /// Nobody is confirmed yet: no issue was created, and the week's comparisons wait for the first one.
    NoSubscribers { key: String },
    /// The week's issue was delivered by earlier runs; nothing to do.
    AlreadyDelivered { key: String, counts: LedgerCounts },
    /// This run went over the ledger.
    Ran(RunSummary),
}

impl SendReport {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            SendReport::NothingNew { .. }
            | SendReport::NoSubscribers { .. }
            | SendReport::AlreadyDelivered { .. } => ExitStatus::Success,
            SendReport::Ran(summary) => match summary.end {
                RunEnd::Complete => ExitStatus::Success,
                RunEnd::Deferred { .. } => ExitStatus::Deferred,
                RunEnd::Interrupted => ExitStatus::Interrupted,
                RunEnd::Halted { .. } => ExitStatus::RelayDown,
                RunEnd::Untrusted { .. } => ExitStatus::TlsUntrusted,
            },
        }
    }
}

/// One run over an issue's ledger.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub key: String,
    pub subject: String,
    /// Recipients snapshotted, when this run created the issue.
    pub created: Option<u64>,
    /// What this run recorded.
    pub this_run: RunCounts,
    /// The whole ledger after the run.
    pub ledger: LedgerCounts,
    pub elapsed: Duration,
    pub end: RunEnd,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// Nobody is pending or deferred: the issue is complete.
    Complete,
    /// Some recipients wait for a retry later than this run was willing to wait.
    Deferred { next_retry: Option<DateTime<Utc>> },
    /// Stopped by a signal; messages in flight were recorded.
    Interrupted,
    /// Paused by the run itself: relay down, relay refusing our login or sender, outbox unwritable.
    Halted { reason: String },
    /// Stopped at once: the relay's TLS certificate is not trusted. Running again cannot help until a setting
    /// (`tls_ca_file`) or the certificate changes.
    Untrusted { reason: String },
}

/// Creates or resumes the issue at `as_of` and delivers it to its ledger's due recipients.
pub async fn send(
    config: &Config,
    secrets: &Secrets,
    comparisons: &[Comparison],
    as_of: DateTime<Utc>,
    options: SendOptions,
) -> Result<SendReport> {
    let started = Instant::now();
    let mut store = open_store(config).await?;
    if let Some(allowed) = options.max_clock_skew {
        check_clock(&store, &options.clock, allowed)?;
    }
    let (issue, created) = match plan::plan(&store, comparisons, config, as_of)? {
        Plan::Empty { key, message } => return Ok(SendReport::NothingNew { key, message }),
        Plan::Existing(issue) => (issue, None),
        Plan::New(new) => {
            let now = options.clock.now();
            let key = new.key.clone();
            let (back, result) = blocking(move || {
                let result = store.create_issue(&new, now);
                (store, result)
            })
            .await?;
            store = back;
            match result? {
                IssueCreated::Created { issue, recipients } => {
                    tracing::info!(
                        "created issue {} for {recipients} confirmed subscribers",
                        issue.issue.key
                    );
                    (issue, Some(recipients))
                }
                IssueCreated::Exists(issue) => (issue, None),
                IssueCreated::NoRecipients => return Ok(SendReport::NoSubscribers { key }),
            }
        }
    };
    if issue.completed_at.is_some() {
        return Ok(SendReport::AlreadyDelivered {
            counts: store.ledger_counts(issue.id)?,
            key: issue.issue.key,
        });
    }
    let shared = Arc::new(shared_for(
        config,
        secrets,
        comparisons,
        &mut store,
        &issue,
        &options,
    )?);
    store.resume_issue(issue.id)?;
    let writer = open_store(config).await?;
    // Only senders sharing a ledger claim rows, so only they need a connection to keep their claims alive.
    let keeper = if store.shares_senders() {
        Some(open_store(config).await?)
    } else {
        None
    };
    let stores = run::RunStores {
        store,
        writer,
        keeper,
    };
    let (this_run, end) = run::deliver(stores, Arc::clone(&shared), &issue, &options).await?;
    let mut reader = open_store(config).await?;
    if let RunEnd::Halted { reason } = &end {
        reader.pause_issue(issue.id, reason, options.clock.now())?;
    }
    Ok(SendReport::Ran(RunSummary {
        key: issue.issue.key,
        subject: issue.issue.subject,
        created,
        this_run,
        ledger: reader.ledger_counts(issue.id)?,
        elapsed: started.elapsed(),
        end,
    }))
}

/// Everything the workers share for this issue.
fn shared_for(
    config: &Config,
    secrets: &Secrets,
    comparisons: &[Comparison],
    store: &mut Store,
    issue: &StoredIssue,
    options: &SendOptions,
) -> Result<Shared> {
    let mailer = Mailer::from_config(config, secrets)?
        .with_timeouts(options.timeouts)
        .with_clock(options.clock.clone())
        .with_counters(options.counters.clone());
    let tokens = Tokens::load(secrets, store)?;
    let return_paths = config
        .bounce_address
        .as_ref()
        .map(|address| ReturnPaths::new(address, &tokens));
    let full = Edition::new(
        issue.id,
        plan::rendered(&issue.issue, config),
        issue.created_at,
        tokens.clone(),
        mailer.dkim().cloned(),
        mailer.sender().clone(),
    )
    .with_return_paths(return_paths.clone());
    let options_for_editions = EditionsOptions {
        issue_id: issue.id,
        composed_at: issue.created_at,
        tokens,
        dkim: mailer.dkim().cloned(),
        sender: mailer.sender().clone(),
        return_paths,
    };
    let selection = plan::selection_of(&issue.issue, comparisons);
    let editions = Editions::new(&selection, config, options_for_editions).with_full(full);
    editions::prepare(store, &editions, issue.id)?;
    let mut shared = Shared::new(editions, mailer, options.retry, options.stop.clone());
    shared.pace = Pace::per_second(config.rate_limit_per_second);
    shared.clock = options.clock.clone();
    shared.relay_down_after = options.relay_down_after;
    shared.reconnect_base = options.reconnect_base;
    shared.concurrency = config.concurrency;
    // The issue's whole list, not what this run has left: a resumed run with one recipient to go must not
    // take one policy refusal for a relay refusing everyone.
    let counts = store.ledger_counts(issue.id)?;
    shared.breaker = Breaker::new(counts.total() - counts.skipped);
    Ok(shared)
}

/// Refuses to send where senders share the ledger and this one's clock is too far from the database server's.
fn check_clock(store: &Store, clock: &Clock, allowed: Duration) -> Result<()> {
    let before = clock.now();
    let Some(server) = store.server_clock()? else {
        return Ok(());
    };
    let skew = claims::clock_skew(before, clock.now(), server);
    match claims::clock_skew_problem(skew, allowed, server) {
        Some(problem) => bail!(problem),
        None => Ok(()),
    }
}

async fn open_store(config: &Config) -> Result<Store> {
    let path = config.database.clone();
    blocking(move || Store::open(&path)).await?
}

/// Runs store work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("a store task failed")
}
