//! `verdicts send`.

use anyhow::{Result, bail};

use crate::config::Config;
use crate::exit::ExitStatus;

pub fn run(config: &Config, args: crate::cli::SendArgs) -> Result<ExitStatus> {
    let _ = (config, args);
    bail!("`verdicts send` is not built yet")
}
