//! `verdicts bounces ingest`: reads returned messages (one on stdin or in a file, for an MTA's pipe transport, or
//! every new message of a Maildir) and records what they report. Prints one line per message; the exit code says
//! whether every message was understood.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::bounces::apply::{Context as ApplyContext, Handled, apply};
use crate::bounces::maildir::{self, Bounded, read_bounded};
use crate::bounces::{MAX_MESSAGE_BYTES, read};
use crate::config::{Config, Secrets};
use crate::exit::ExitStatus;
use crate::store::Store;
use crate::tokens::Tokens;

#[derive(Debug, clap::Subcommand)]
pub enum BouncesCommand {
    /// Read bounces (RFC 3464 DSNs, plain bounces) and feedback-loop complaints (ARF, RFC 5965) that came back to
    /// the `bounce_address` return paths, and record them: a hard bounce marks the reader bounced, soft bounces
    /// count over consecutive issues, a complaint unsubscribes and flags the reader.
    #[command(
        after_help = "Exit codes: 0 every message understood (recorded, or ignored with the reason \
printed: a forged return path, a reader not on the list, an automatic reply); 3 invalid configuration \
(no bounce_address); 1 no such file or Maildir; 8 some messages were not understood (a Maildir moves them to its .not-understood folder); \
75 the store could not be written (temporary: an MTA's pipe transport keeps the message and retries)."
    )]
    Ingest(IngestArgs),
}

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// A file holding one message, or `-` for standard input (the default without --maildir).
    #[arg(conflicts_with = "maildir")]
    pub input: Option<PathBuf>,
    /// Every message in DIR/new, each moved to DIR/cur once handled (unreadable ones to DIR/.not-understood).
    #[arg(long, value_name = "DIR")]
    pub maildir: Option<PathBuf>,
    /// The envelope recipient the message was delivered to (Postfix pipe's ${original_recipient}, Exim's
    /// $local_part$local_part_suffix@$domain): the return path it came back to.
    #[arg(long, value_name = "ADDRESS")]
    pub recipient: Option<String>,
}

pub fn run(config: &Config, command: BouncesCommand) -> Result<ExitStatus> {
    let BouncesCommand::Ingest(args) = command;
    let Some(bounce_address) = &config.bounce_address else {
        eprintln!(
            "error: bounce_address is not set: without it messages carry no return path to map a bounce by \
             (set bounce_address = \"bounces@news.example.org\", see README \"Bounces and complaints\")"
        );
        return Ok(ExitStatus::Invalid);
    };
    // A wrong path is the command line's fault, not a temporary one: say so before anything is read.
    let missing = match (&args.maildir, &args.input) {
        (Some(dir), _) if !(dir.join("new").is_dir() && dir.join("cur").is_dir()) => Some(format!(
            "{} is not a Maildir (it needs new/ and cur/ folders)",
            dir.display()
        )),
        (None, Some(path)) if path.as_os_str() != "-" && !path.is_file() => {
            Some(format!("{} is not a file", path.display()))
        }
        _ => None,
    };
    if let Some(missing) = missing {
        eprintln!("error: {missing}");
        return Ok(ExitStatus::Failure);
    }
    let outcome = ingest(config, bounce_address, &args);
    match outcome {
        Ok(handled) if handled.iter().all(Handled::understood) => Ok(ExitStatus::Success),
        Ok(_) => Ok(ExitStatus::NotUnderstood),
        Err(error) => {
            eprintln!("error: {error:#}");
            Ok(ExitStatus::TempFail)
        }
    }
}

fn ingest(
    config: &Config,
    bounce_address: &lettre::Address,
    args: &IngestArgs,
) -> Result<Vec<Handled>> {
    let mut store = Store::open(&config.database)?;
    let tokens = Tokens::load(&Secrets::from_env(), &mut store)?;
    let mut handle = |name: &str, message: &Bounded| -> Result<Handled> {
        let context = ApplyContext {
            tokens: &tokens,
            bounce_address,
            soft_bounce_limit: config.soft_bounce_limit,
            now: crate::clock::now(),
        };
        let reading = read::read(&message.bytes, args.recipient.as_deref());
        let handled = apply(&mut store, reading, &context)?;
        let note = if message.truncated {
            format!(
                " (only its first {} MB read)",
                MAX_MESSAGE_BYTES / (1024 * 1024)
            )
        } else {
            String::new()
        };
        println!("{name}: {handled}{note}");
        Ok(handled)
    };
    match (&args.maildir, &args.input) {
        (Some(dir), _) => Ok(maildir::ingest(dir, handle)?
            .into_iter()
            .map(|(_, handled)| handled)
            .collect()),
        (None, Some(path)) if path.as_os_str() != "-" => {
            let mut file =
                File::open(path).with_context(|| format!("opening {}", path.display()))?;
            let message =
                read_bounded(&mut file).with_context(|| format!("reading {}", path.display()))?;
            Ok(vec![handle(&path.display().to_string(), &message)?])
        }
        _ => {
            let mut stdin = std::io::stdin().lock();
            let message = read_bounded(&mut stdin).context("reading standard input")?;
            // The MTA writing into the pipe expects it read to the end: skip the rest without keeping it.
            if message.truncated {
                std::io::copy(&mut stdin.by_ref(), &mut std::io::sink())
                    .context("reading standard input")?;
            }
            Ok(vec![handle("stdin", &message)?])
        }
    }
}
