//! `verdicts archive`: the past issues as static files (index, one page per issue, Atom feed).

use anyhow::Result;

use crate::archive;
use crate::cli::ArchiveArgs;
use crate::config::Config;
use crate::exit::ExitStatus;
use crate::store::Store;

pub fn run(config: &Config, args: ArchiveArgs) -> Result<ExitStatus> {
    let store = Store::open_existing(&config.database)?;
    let issues = store.archived_issues()?;
    let summary = archive::export(&issues, config, &args.out, crate::clock::now())?;
    println!("{}", summary.line());
    Ok(ExitStatus::Success)
}
