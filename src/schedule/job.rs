//! The weekly send as the built-in scheduler runs it inside `verdicts serve`: the same job as
//! `verdicts send` (content, lease, ledger), with the fire time as the issue's `as_of`, stopped
//! gracefully when the server shuts down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow};
use chrono::{DateTime, Utc};

use super::{JobOutcome, Scheduler};
use crate::config::{Config, Secrets};
use crate::delivery::{Exclusive, SendOptions, StopSignal, send_exclusive};
use crate::exit::ExitStatus;
use crate::metrics::Counters;

/// What a scheduled send runs with besides the configuration.
#[derive(Debug, Clone)]
pub struct FireContext {
    pub secrets: Secrets,
    /// Stops a send in progress gracefully.
    pub stop: StopSignal,
    /// The server's running totals, so its `/metrics` shows the messages the scheduler sends.
    pub counters: Counters,
}

/// Sends the issue for one fire. [`JobOutcome::Done`] records the fire as handled; a lease held by
/// another sender leaves it to that sender, the scheduler looking again once the lease could have
/// expired; `Err` makes the scheduler try again later (until the fire is too late), which resumes
/// the ledger.
pub async fn send_for_fire(
    config: &Config,
    context: &FireContext,
    fire: DateTime<Utc>,
) -> Result<JobOutcome> {
    let comparisons = crate::content::load_dir_or_error(&config.content_dir, &config.base_url)?;
    let options = SendOptions {
        stop: context.stop.clone(),
        counters: context.counters.clone(),
        ..SendOptions::new(config)
    };
    let secrets = &context.secrets;
    match send_exclusive(config, secrets, &comparisons, fire, options).await? {
        Exclusive::LeaseHeld { owner, expires_at } => {
            tracing::info!("another sender ({owner}) holds the send lease; this fire is theirs");
            Ok(JobOutcome::HeldElsewhere { owner, expires_at })
        }
        Exclusive::Ran(report) => match report.exit_status() {
            ExitStatus::Success => {
                tracing::info!("scheduled send for {fire}: {}", describe(&report));
                Ok(JobOutcome::Done)
            }
            status => Err(anyhow!(
                "scheduled send for {fire} ended with exit status {}: {}",
                status.code(),
                describe(&report)
            )),
        },
    }
}

fn describe(report: &crate::delivery::SendReport) -> String {
    match report {
        crate::delivery::SendReport::NothingNew { key, message } => {
            format!("issue {key}: nothing new ({message})")
        }
        crate::delivery::SendReport::NoSubscribers { key } => {
            format!("issue {key}: nobody is confirmed yet; nothing was created")
        }
        crate::delivery::SendReport::AlreadyDelivered { key, .. } => {
            format!("issue {key} was already delivered")
        }
        crate::delivery::SendReport::Ran(summary) => summary.to_string(),
    }
}

/// Runs the scheduler until `stop` fires. A send in progress at shutdown is let finish its
/// messages in flight (it sees the same stop), so nothing is cut off unrecorded.
pub async fn run_until_stopped(config: Config, context: FireContext) -> Result<()> {
    let scheduler = Scheduler::from_config(&config)?;
    let sending = Arc::new(AtomicBool::new(false));
    let stop = context.stop.clone();
    let job = {
        let sending = Arc::clone(&sending);
        move |fire: DateTime<Utc>| {
            let (config, context, sending) =
                (config.clone(), context.clone(), Arc::clone(&sending));
            async move {
                sending.store(true, Ordering::SeqCst);
                let result = send_for_fire(&config, &context, fire).await;
                sending.store(false, Ordering::SeqCst);
                result
            }
        }
    };
    let mut stopped = stop;
    tokio::select! {
        result = scheduler.run(job) => result,
        _ = async {
            stopped.stopped().await;
            while sending.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        } => {
            tracing::info!("scheduler stopped");
            Ok(())
        }
    }
}
