//! `verdicts send`: create (or resume) the week's issue and deliver it; `--dry-run` and `--to` try it out.

use anyhow::{Context, Result};

use super::as_of::parse_as_of;
use crate::config::{Config, Secrets};
use crate::delivery::{self, DryRun, Exclusive, Progress, SendOptions, SendReport, StopSignal};
use crate::exit::ExitStatus;
use crate::mail::ConnectError;

#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Send time (same forms as `preview --as-of`). Default: now.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Render and count recipients without sending or recording anything.
    #[arg(long, conflicts_with = "to")]
    pub dry_run: bool,
    /// Send one test copy to this address only; no ledger is touched.
    #[arg(long, value_name = "ADDR")]
    pub to: Option<String>,
}

pub fn run(config: &Config, args: SendArgs) -> Result<ExitStatus> {
    let as_of = match &args.as_of {
        Some(value) => parse_as_of(value, config.timezone)?,
        None => crate::clock::now(),
    };
    let Ok(comparisons) = super::load_content(config) else {
        return Ok(ExitStatus::Invalid);
    };
    let secrets = Secrets::from_env();
    if config.smtp_url.is_none() && !args.dry_run {
        crate::private_files::create_private_dir(&config.outbox_dir)
            .context("creating the outbox")?;
    }
    if args.dry_run {
        return dry_run(delivery::dry_run(config, &secrets, &comparisons, as_of)?);
    }
    // Sending waits on the network: one thread avoids a cross-thread wake-up per relay reply. DKIM signing, the
    // one CPU-heavy step, runs in its own pool of one thread per core (see `DkimSigner::sign_pooled`).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let options = SendOptions {
            progress: Progress::for_stderr(),
            stop: StopSignal::on_signals()?,
            ..SendOptions::new(config)
        };
        if let Some(to) = &args.to {
            let sent = delivery::send_test_copy(
                config,
                &secrets,
                &comparisons,
                as_of,
                to,
                options.timeouts,
            )
            .await;
            let reply = match sent {
                Ok(reply) => reply,
                Err(e) if is_untrusted(&e) => {
                    eprintln!("error: {e:#}");
                    return Ok(ExitStatus::TlsUntrusted);
                }
                Err(e) => return Err(e),
            };
            println!("test copy sent to {to} (no ledger touched): {reply}");
            return Ok(ExitStatus::Success);
        }
        let report =
            match delivery::send_or_join(config, &secrets, &comparisons, as_of, options).await? {
                Exclusive::Ran(report) => report,
                Exclusive::LeaseHeld { owner, expires_at } => {
                    eprintln!(
                        "another sender ({owner}) is delivering; its lease runs until {expires_at} unless renewed. \
                         Nothing was done: run `verdicts status` to follow it, or run send again later."
                    );
                    return Ok(ExitStatus::LeaseHeld);
                }
            };
        match &report {
            SendReport::NothingNew { key, message } => {
                println!("issue {key}: nothing to send, nothing created: {message}");
            }
            SendReport::NoSubscribers { key } => println!(
                "issue {key}: nobody is confirmed yet, so no issue was created; its comparisons stay for the \
                 next issue"
            ),
            SendReport::AlreadyDelivered { key, counts } => println!(
                "issue {key} was already delivered ({} sent, {} failed); nothing to do",
                counts.sent, counts.failed
            ),
            SendReport::Ran(summary) => println!("{summary}"),
        }
        Ok(report.exit_status())
    })
}

/// The relay's certificate is not trusted: exit code 7, not 1.
fn is_untrusted(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<ConnectError>(),
        Some(ConnectError::Untrusted(_))
    )
}

fn dry_run(outcome: DryRun) -> Result<ExitStatus> {
    match outcome {
        DryRun::NothingNew { key, message } => {
            println!("dry run: issue {key} would not be sent: {message}");
        }
        DryRun::Ready {
            key,
            subject,
            comparisons,
            stored,
            recipients,
            skipped,
            message_bytes,
            dkim,
        } => {
            let origin = if stored {
                "already created; a send resumes it"
            } else {
                "a send creates it"
            };
            let skipped_words = skipped.words();
            if !stored && recipients == 0 && skipped_words.is_none() {
                println!(
                    "dry run: nobody is confirmed yet, so a send would create no issue {key}; its comparisons \
                     would stay for the next issue"
                );
                return Ok(ExitStatus::Success);
            }
            println!("dry run: issue {key} ({origin}) — {subject:?}");
            let skipped = skipped_words.map_or(String::new(), |words| {
                let total = skipped.paused + skipped.nothing_new + skipped.left;
                format!("; {total} skipped ({words})")
            });
            println!(
                "  {comparisons} comparison(s); {recipients} recipient(s) due{skipped}; {} KB per message{}",
                message_bytes.div_ceil(1024),
                if dkim { ", DKIM-signed" } else { "" }
            );
            println!("  nothing was sent or recorded");
        }
    }
    Ok(ExitStatus::Success)
}
