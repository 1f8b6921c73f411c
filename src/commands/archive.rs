//! `verdicts archive`.

use anyhow::{Result, bail};

use crate::config::Config;
use crate::exit::ExitStatus;

pub fn run(config: &Config, args: crate::cli::ArchiveArgs) -> Result<ExitStatus> {
    let _ = (config, args);
    bail!("`verdicts archive` is not built yet")
}
