//! `verdicts serve`.

use anyhow::{Result, bail};

use crate::config::Config;
use crate::exit::ExitStatus;

pub fn run(config: &Config, args: crate::cli::ServeArgs) -> Result<ExitStatus> {
    let _ = (config, args);
    bail!("`verdicts serve` is not built yet")
}
