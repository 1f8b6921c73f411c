//! `verdicts store …`: jobs on the store as a whole. `store copy --to postgres://…` moves a list from its SQLite
//! file into an empty PostgreSQL database (the copying itself is `store::copy_sqlite_to_postgres`); this file
//! checks the two ends, shows progress and prints the counts.

use std::io::IsTerminal;

use anyhow::Result;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::Config;
use crate::exit::ExitStatus;
use crate::store::{CopyOutcome, CopyRequest, Database, TableCount, copy_sqlite_to_postgres};

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy the configured SQLite store into an empty PostgreSQL database, to move a list past one machine.
    #[command(
        long_about = "Copy the configured SQLite store into an empty PostgreSQL database, to move a list past one \
machine.

Everything is copied with its ids unchanged: subscribers (with their link nonces, so links already mailed keep \
working), their consent history, queued confirmation mails, every issue as it was sent, the delivery ledger, the \
link-signing key and the scheduler's state. Send leases are not copied: they belong to running senders.

The copy is one transaction on the target: it refuses a database that has any rows (changing nothing), and a \
failure part-way leaves the target empty. At the end it prints the rows of each table on both sides.

Stop `verdicts serve` and `verdicts send` on the SQLite store first: what they write after the copy starts is \
not copied. Then set `database` (VERDICTS_DATABASE) to the same URL and start them again.

The URL's password may be in the URL or in VERDICTS_DATABASE_PASSWORD; it is never printed. To copy one \
PostgreSQL database to another, use pg_dump and pg_restore.",
        after_help = "Exit codes: 0 copied and every count matches; 1 error (nothing was copied), or the counts \
differ (rolled back); 3 the target is not empty, the configured store is already PostgreSQL, or --to is not a \
postgres:// URL (nothing was changed)."
    )]
    Copy(CopyArgs),
}

#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    /// The database to copy into: postgres://user[:password]@host[:port]/dbname. It must exist; its tables are
    /// created if missing and must be empty.
    #[arg(long, value_name = "URL")]
    pub to: String,
}

pub fn run(config: &Config, command: StoreCommand) -> Result<ExitStatus> {
    match command {
        StoreCommand::Copy(args) => copy(config, &args),
    }
}

fn copy(config: &Config, args: &CopyArgs) -> Result<ExitStatus> {
    let Database::Sqlite(source) = &config.database else {
        eprintln!(
            "error: the configured store is already PostgreSQL ({}); store copy copies a SQLite store. To copy one \
             PostgreSQL database to another, use pg_dump and pg_restore (pg_dump -Fc -f list.dump SOURCE; \
             pg_restore -d TARGET list.dump)",
            config.database
        );
        return Ok(ExitStatus::Invalid);
    };
    // Parsed here rather than by clap, whose errors would repeat the URL, password and all.
    let target = match args.to.parse::<Database>() {
        Ok(target) => target,
        Err(error) => {
            eprintln!("error: --to: {error:#}");
            return Ok(ExitStatus::Invalid);
        }
    };
    let password = std::env::var("VERDICTS_DATABASE_PASSWORD").ok();
    let Database::Postgres(target) =
        target.with_password(password.as_deref().filter(|p| !p.is_empty()))
    else {
        eprintln!(
            "error: --to {} is a path: store copy copies into a PostgreSQL database, give a postgres:// URL",
            args.to
        );
        return Ok(ExitStatus::Invalid);
    };

    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("copying {msg:18} {wide_bar} {pos}/{len} ETA {eta}")
                .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let outcome = copy_sqlite_to_postgres(&CopyRequest {
        source,
        target: &target,
        progress: &progress,
    });
    progress.finish_and_clear();
    match outcome? {
        CopyOutcome::Copied(counts) => {
            println!("copied {} into {target}:", source.display());
            print_counts(&counts);
            println!(
                "every count matches. Send leases were not copied (they belong to running senders).\n\
                 Next: set database (VERDICTS_DATABASE) to {target} and start serve and send there."
            );
            Ok(ExitStatus::Success)
        }
        CopyOutcome::TargetNotEmpty(found) => {
            let found: Vec<String> = found.iter().map(|(t, n)| format!("{t} ({n})")).collect();
            eprintln!(
                "error: {target} is not empty: it has rows in {}. store copy only fills an empty database \
                 (make a new one with CREATE DATABASE, or empty this one); nothing was changed",
                found.join(", ")
            );
            Ok(ExitStatus::Invalid)
        }
        CopyOutcome::CountsDiffer(counts) => {
            print_counts(&counts);
            eprintln!(
                "error: the rows counted in {target} after copying differ from {}; the copy was rolled back and \
                 nothing was changed",
                source.display()
            );
            Ok(ExitStatus::Failure)
        }
    }
}

fn print_counts(counts: &[TableCount]) {
    println!("{:<20} {:>12} {:>12}", "table", "SQLite", "PostgreSQL");
    for count in counts {
        let differs = if count.source == count.target {
            ""
        } else {
            "  differs"
        };
        println!(
            "{:<20} {:>12} {:>12}{differs}",
            count.table, count.source, count.target
        );
    }
}
