//! The weekly send as the built-in scheduler runs it inside `verdicts serve`: the same job as
//! `verdicts send` (content, lease, ledger), with the fire time as the issue's `as_of`, stopped
//! gracefully when the server shuts down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow};
use chrono::{DateTime, Utc};

use super::Scheduler;
use crate::config::{Config, Secrets};
use crate::delivery::{Exclusive, SendOptions, StopSignal, send_exclusive};
use crate::exit::ExitStatus;

/// Sends the issue for one fire. `Ok` records the fire as handled; `Err` makes the scheduler try
/// again later (until the fire is too late), which resumes the ledger.
pub async fn send_for_fire(
    config: &Config,
    secrets: &Secrets,
    fire: DateTime<Utc>,
    stop: StopSignal,
) -> Result<()> {
    let comparisons = crate::content::load_dir_or_error(&config.content_dir, &config.base_url)?;
    let options = SendOptions {
        stop,
        ..SendOptions::new(config)
    };
    match send_exclusive(config, secrets, &comparisons, fire, options).await? {
        Exclusive::LeaseHeld { owner, .. } => {
            tracing::info!("another sender ({owner}) holds the send lease; this fire is theirs");
            Ok(())
        }
        Exclusive::Ran(report) => match report.exit_status() {
            ExitStatus::Success => {
                tracing::info!("scheduled send for {fire}: {}", describe(&report));
                Ok(())
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
pub async fn run_until_stopped(config: Config, secrets: Secrets, stop: StopSignal) -> Result<()> {
    let scheduler = Scheduler::from_config(&config)?;
    let sending = Arc::new(AtomicBool::new(false));
    let job = {
        let sending = Arc::clone(&sending);
        let stop = stop.clone();
        move |fire: DateTime<Utc>| {
            let (config, secrets, stop, sending) = (
                config.clone(),
                secrets.clone(),
                stop.clone(),
                Arc::clone(&sending),
            );
            async move {
                sending.store(true, Ordering::SeqCst);
                let result = send_for_fire(&config, &secrets, fire, stop).await;
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
