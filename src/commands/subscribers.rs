//! `verdicts subscribers …`: manage the list by hand. Results go to stdout (lists, CSV), messages to stderr; bad
//! input (an address, a CSV row) exits with [`ExitStatus::Invalid`] and changes nothing.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;

use crate::config::{Config, Secrets};
use crate::content::{Categories, KnownCategories};
use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::exit::ExitStatus;
use crate::mail::Mailer;
use crate::store::{Channel, Origin, QueueTake, Source, Status, Store};
use crate::subscribers_csv::{self, ImportOptions, OnInvalid};
use crate::tokens::Tokens;
use crate::web::confirmation_queue;

mod output;
mod restore;
mod topics;

use output::{print_history, print_table, write_private_file};

#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Add one subscriber. Without --confirmed the address is pending and is sent the confirmation email.
    Add(AddArgs),
    /// Delete a subscriber's address, name and delivery history (a request to be forgotten). Their consent history
    /// is kept, naming the address only by its hash.
    Remove { email: String },
    /// The consent history of an address: every opt-in, confirmation, opt-out, bounce, import, addition and removal,
    /// with when, through what and from which client address. Works for removed addresses too.
    History { email: String },
    /// List subscribers, oldest first, with the categories each follows and any pause.
    List {
        /// Only this status: pending, confirmed, unsubscribed, bounced or complained.
        #[arg(long)]
        status: Option<Status>,
    },
    /// How many subscribers have each status.
    Count,
    /// Import a CSV list (ours, listmonk's or Mailchimp's export). Every row is checked first; nothing is written
    /// unless every row is good (or --skip-invalid). Addresses already on the list are left as they are.
    Import {
        file: PathBuf,
        /// Import the good rows and report the bad ones instead of refusing the file.
        #[arg(long)]
        skip_invalid: bool,
        /// Also read categories from this column (a Mailchimp group's column, named after the group; its group
        /// names separated by commas). A `categories` column is always read.
        #[arg(long, value_name = "HEADER")]
        categories_column: Option<String>,
    },
    /// Show an address's topics, or change them: --categories LIST or --everything, --pause-weeks N (1 to 8)
    /// or --resume. Recorded in its consent history; issues already created keep the edition they recorded.
    Topics(topics::TopicsArgs),
    /// Undo bounces recorded by mistake: bounced subscribers become confirmed again. Name the addresses, or
    /// pass --bounced-since to restore everyone bounced since then.
    Restore(restore::RestoreArgs),
    /// Write the list as CSV (email, name, status, source, created_at, confirmed_at, categories, paused_until). Cells a spreadsheet would run
    /// as a formula get a leading ' (import removes it).
    Export {
        /// Only this status.
        #[arg(long)]
        status: Option<Status>,
        /// Write to this file instead of stdout (readable by its owner only: it holds personal data).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    pub email: String,
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// The reader already agreed elsewhere: confirmed at once, no confirmation email.
    #[arg(long)]
    pub confirmed: bool,
    /// Follow only these categories ("Search,Voice"; commas or semicolons, any case); default everything.
    #[arg(long, value_name = "LIST")]
    pub categories: Option<String>,
}

pub fn run(config: &Config, command: SubscribersCommand) -> Result<ExitStatus> {
    let now = crate::clock::now();
    // Only the commands that add subscribers make a store; the others, in a folder without one, say so.
    let creates = matches!(
        command,
        SubscribersCommand::Add(_) | SubscribersCommand::Import { .. }
    );
    let mut store = if creates {
        Store::open(&config.database)?
    } else {
        Store::open_existing(&config.database)?
    };
    match command {
        SubscribersCommand::Add(args) => add(config, &mut store, &args, now),
        SubscribersCommand::Remove { email } => {
            let Some(email) = parse_email(&email) else {
                return Ok(ExitStatus::Invalid);
            };
            if store.remove(&email, now)? {
                eprintln!(
                    "removed {email} and its delivery history; its consent history is kept (subscribers history)"
                );
                Ok(ExitStatus::Success)
            } else {
                eprintln!("error: {email} is not on the list; nothing was removed");
                Ok(ExitStatus::Failure)
            }
        }
        SubscribersCommand::History { email } => {
            let Some(email) = parse_email(&email) else {
                return Ok(ExitStatus::Invalid);
            };
            print_history(&store.consent_history(&email)?)?;
            Ok(ExitStatus::Success)
        }
        SubscribersCommand::List { status } => {
            let subscribers = store.list(status)?;
            print_table(&subscribers, now)?;
            Ok(ExitStatus::Success)
        }
        SubscribersCommand::Count => {
            let counts = store.count_by_status()?;
            let total: u64 = counts.iter().map(|(_, n)| n).sum();
            for (status, n) in counts {
                println!("{:<13}{n}", status.as_str());
            }
            println!("{:<13}{total}", "total");
            Ok(ExitStatus::Success)
        }
        SubscribersCommand::Import {
            file,
            skip_invalid,
            categories_column,
        } => import(
            config,
            &mut store,
            &file,
            skip_invalid,
            categories_column.as_deref(),
            now,
        ),
        SubscribersCommand::Topics(args) => topics::run(config, &mut store, &args, now),
        SubscribersCommand::Restore(args) => restore::run(&mut store, &args, config.timezone, now),
        SubscribersCommand::Export { status, out } => {
            let subscribers = store.list(status)?;
            match out {
                None => subscribers_csv::write_export(io::stdout().lock(), &subscribers)?,
                Some(path) => {
                    write_private_file(&path, |file| {
                        subscribers_csv::write_export(file, &subscribers)
                    })?;
                    eprintln!(
                        "wrote {} subscriber(s) to {}",
                        subscribers.len(),
                        path.display()
                    );
                }
            }
            Ok(ExitStatus::Success)
        }
    }
}

fn parse_email(input: &str) -> Option<SubscriberEmail> {
    SubscriberEmail::parse(input)
        .map_err(|e| eprintln!("error: {e}"))
        .ok()
}

fn add(
    config: &Config,
    store: &mut Store,
    args: &AddArgs,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ExitStatus> {
    let Some(email) = parse_email(&args.email) else {
        return Ok(ExitStatus::Invalid);
    };
    let name = match SubscriberName::parse_optional(args.name.as_deref().unwrap_or("")) {
        Ok(name) => name,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::Invalid);
        }
    };
    let categories = match &args.categories {
        Some(list) => match topics::parse_list(list, &topics::known_categories(config)?) {
            Some(categories) => categories,
            None => return Ok(ExitStatus::Invalid),
        },
        None => Categories::everything(),
    };
    if let Some(existing) = store.find_by_email(&email)? {
        eprintln!(
            "error: {email} is already on the list (as {}, status {}); remove it first to add it again",
            existing.email, existing.status
        );
        return Ok(ExitStatus::Failure);
    }
    if args.confirmed {
        store.add(
            &email,
            name.as_ref(),
            &categories,
            Status::Confirmed,
            Source::Cli,
            now,
        )?;
        eprintln!(
            "added {email} (confirmed), following {}",
            topics::shown(&categories)
        );
        return Ok(ExitStatus::Success);
    }
    // The mail settings are checked before the address is stored: a bad smtp_url changes nothing.
    let secrets = Secrets::from_env();
    let mailer = Mailer::from_config(config, &secrets)?;
    let origin = Origin::new(Channel::Cli);
    let outcome = store.subscribe(
        &email,
        name.as_ref(),
        &categories,
        Source::Cli,
        &origin,
        now,
    )?;
    let tokens = Tokens::load(&secrets, store)?;
    // The store queued the mail with the request; send it now rather than wait for a `serve` to pick it up.
    let queued = store
        .due_confirmation_mails(&QueueTake {
            now,
            limit: 1,
            owner: &crate::lease::owner_id(),
            only: Some(outcome.subscriber_id),
        })?
        .into_iter()
        .next()
        .with_context(|| {
            format!("{email} was added as pending, but no confirmation email was queued")
        })?;
    let sent = tokio::runtime::Runtime::new()?.block_on(confirmation_queue::send_one(
        config, &tokens, &mailer, &queued, now,
    ));
    confirmation_queue::record_attempt(store, &queued, &sent, now)?;
    match sent {
        // What the mailer says names the relay of the list that took it ("accepted via smtp://…: 250 …").
        Ok(said) => eprintln!("added {email} (pending); confirmation email {said}"),
        Err(error) => anyhow::bail!(
            "{email} was added as pending, but the confirmation email failed ({error:#}); `verdicts serve` retries it"
        ),
    }
    Ok(ExitStatus::Success)
}

fn import(
    config: &Config,
    store: &mut Store,
    file: &Path,
    skip_invalid: bool,
    categories_column: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ExitStatus> {
    let reader = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mode = if skip_invalid {
        OnInvalid::Skip
    } else {
        OnInvalid::Reject
    };
    // Without readable content no category can be checked: a list that names some is then refused (naming why).
    let known = topics::known_categories(config).unwrap_or_else(|e| {
        eprintln!("note: {e:#}");
        KnownCategories::default()
    });
    let options = ImportOptions {
        on_invalid: mode,
        known: &known,
        categories_column,
    };
    let parsed = match subscribers_csv::parse_import_with(reader, &options) {
        Ok(parsed) => parsed,
        Err(errors) => {
            for error in &errors {
                eprintln!("error: {}: {error}", file.display());
            }
            let hint = if skip_invalid {
                ""
            } else {
                "; fix them, or import the good rows with --skip-invalid"
            };
            eprintln!("nothing was imported: {} problem(s){hint}", errors.len());
            return Ok(ExitStatus::Invalid);
        }
    };
    for problem in &parsed.skipped {
        eprintln!("skipped: {}: {problem}", file.display());
    }
    let summary = store.import(&parsed.rows, now)?;
    eprintln!(
        "imported {} new subscriber(s) from {}; {} already on the list were left as they were; {} bad row(s) skipped",
        summary.added,
        file.display(),
        summary.skipped_existing,
        parsed.skipped.len()
    );
    Ok(ExitStatus::Success)
}
