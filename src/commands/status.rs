//! `verdicts status`.

use anyhow::{Result, bail};

use crate::config::Config;
use crate::exit::ExitStatus;

pub fn run(config: &Config) -> Result<ExitStatus> {
    let _ = config;
    bail!("`verdicts status` is not built yet")
}
