//! `verdicts archive`: the past issues as static files (index, one page per issue, Atom feed).

use std::path::PathBuf;

use anyhow::Result;

use crate::archive;
use crate::config::Config;
use crate::exit::ExitStatus;
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct ArchiveArgs {
    /// Folder to write index.html, one page per issue and feed.xml into.
    #[arg(long, default_value = "archive-out")]
    pub out: PathBuf,
}

pub fn run(config: &Config, args: ArchiveArgs) -> Result<ExitStatus> {
    let store = Store::open_existing(&config.database)?;
    let issues = store.archived_issues()?;
    let summary = archive::export(&issues, config, &args.out, crate::clock::now())?;
    println!("{}", summary.line());
    Ok(ExitStatus::Success)
}
