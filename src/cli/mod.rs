//! The command line: clap definitions and the dispatch to each command.

mod as_of;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::commands;
use crate::config::Config;
use crate::exit::ExitStatus;
pub use as_of::parse_as_of;

/// Weekly AI tool verdicts by email: check content, preview the digest, send it, serve the
/// subscribe pages.
///
/// Every command runs on a fresh checkout with the embedded defaults: content from `content/`,
/// subscribers in `subscribers/verdicts.db`, mail into `outbox/` as .eml files until `smtp_url`
/// is set.
#[derive(Debug, Parser)]
#[command(name = "verdicts", version, propagate_version = true)]
pub struct Cli {
    /// Configuration file (default: ./verdicts.toml if present, else built-in defaults).
    #[arg(long, global = true, env = "VERDICTS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log more (same as VERDICTS_LOG=debug).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the configuration and every content file; lists every problem with file, line and field.
    Check,
    /// Render the issue that would go out at a given time into digest.html, digest.txt and digest.eml.
    Preview(PreviewArgs),
    /// Create (or resume) this week's issue and deliver it to every confirmed subscriber.
    #[command(
        after_help = "Exit codes: 0 delivered or nothing to do; 1 error; 3 invalid content or \
configuration; 4 some recipients deferred (a later run retries them); 5 the relay kept failing, paused \
(run again to resume); 6 another sender holds the lease; 7 the relay's TLS certificate is not trusted \
(set tls_ca_file, or fix the certificate; running again cannot help); 130 interrupted (run again to resume)."
    )]
    Send(SendArgs),
    /// List issues with their delivery counts by state.
    Status,
    /// Run the web side (subscribe, confirm, unsubscribe, archive) and the weekly scheduler.
    Serve(ServeArgs),
    /// Print the next times the configured schedule fires, in local time and UTC.
    Schedule(ScheduleArgs),
    /// Write the archive of sent issues as static files.
    Archive(ArchiveArgs),
    /// Manage the subscriber list by hand.
    #[command(subcommand)]
    Subscribers(commands::subscribers::SubscribersCommand),
}

#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    /// Send time to preview: a date (2026-11-22, meaning the end of that day in the configured
    /// time zone) or an RFC 3339 time (2026-11-23T09:00:00+01:00). Default: now.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Folder for digest.html, digest.txt and digest.eml.
    #[arg(long, default_value = "preview")]
    pub out: PathBuf,
    /// Show the preview on localhost, re-reading the content on every request.
    #[arg(long)]
    pub serve: bool,
    /// Address for --serve.
    #[arg(long, default_value = "127.0.0.1:8025")]
    pub listen: String,
}

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

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Web pages only: do not run the weekly scheduler in this instance.
    #[arg(long)]
    pub no_schedule: bool,
}

#[derive(Debug, clap::Args)]
pub struct ScheduleArgs {
    /// How many fire times to print.
    #[arg(long, default_value_t = 5)]
    pub next: usize,
}

#[derive(Debug, clap::Args)]
pub struct ArchiveArgs {
    /// Folder to write index.html, one page per issue and feed.xml into.
    #[arg(long, default_value = "archive-out")]
    pub out: PathBuf,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error:#}");
            return Ok(ExitStatus::Invalid);
        }
    };
    match cli.command {
        Command::Check => commands::check::run(&config),
        Command::Preview(args) => commands::preview::run(&config, args),
        Command::Send(args) => commands::send::run(&config, args),
        Command::Status => commands::status::run(&config),
        Command::Serve(args) => commands::serve::run(&config, args),
        Command::Schedule(args) => commands::schedule::run(&config, args),
        Command::Archive(args) => commands::archive::run(&config, args),
        Command::Subscribers(command) => commands::subscribers::run(&config, command),
    }
}
