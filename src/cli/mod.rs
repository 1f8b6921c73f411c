//! The command line: the top-level clap definitions and the dispatch to each command (whose own arguments
//! live beside it in `commands/`, so the arrow points one way: `cli` → `commands`).

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::commands;
use crate::config::Config;
use crate::exit::ExitStatus;

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
    Preview(commands::preview::PreviewArgs),
    /// Create (or resume) this week's issue and deliver it to every confirmed subscriber.
    #[command(
        after_help = "Exit codes: 0 delivered or nothing to do; 1 error; 3 invalid content or \
configuration; 4 some recipients deferred (a later run retries them); 5 the relay kept failing, paused \
(run again to resume); 6 another sender holds the lease; 7 the relay's TLS certificate is not trusted \
(set tls_ca_file, or fix the certificate; running again cannot help); 130 interrupted (run again to resume)."
    )]
    Send(commands::send::SendArgs),
    /// List issues with their delivery counts by state (`--json`: subscribers, issues and the send lease as one
    /// JSON document, for scripts).
    Status(commands::status::StatusArgs),
    /// Run the web side (subscribe, confirm, unsubscribe, archive) and the weekly scheduler.
    Serve(commands::serve::ServeArgs),
    /// Print the next times the configured schedule fires, in local time and UTC.
    Schedule(commands::schedule::ScheduleArgs),
    /// Write the archive of sent issues as static files.
    Archive(commands::archive::ArchiveArgs),
    /// Manage the subscriber list by hand.
    #[command(subcommand)]
    Subscribers(commands::subscribers::SubscribersCommand),
    /// Bounces and complaints that came back after the send: `bounces ingest` reads them from an MTA pipe, a
    /// file or a Maildir.
    #[command(subcommand)]
    Bounces(commands::bounces::BouncesCommand),
    /// Jobs on the store as a whole: `store copy --to postgres://…` moves a list into PostgreSQL.
    #[command(subcommand)]
    Store(commands::store::StoreCommand),
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
        Command::Status(args) => commands::status::run(&config, args),
        Command::Serve(args) => commands::serve::run(&config, args),
        Command::Schedule(args) => commands::schedule::run(&config, args),
        Command::Archive(args) => commands::archive::run(&config, args),
        Command::Subscribers(command) => commands::subscribers::run(&config, command),
        Command::Bounces(command) => commands::bounces::run(&config, command),
        Command::Store(command) => commands::store::run(&config, command),
    }
}
