//! `verdicts schedule`.

use anyhow::{Result, bail};

use crate::config::Config;
use crate::exit::ExitStatus;

pub fn run(config: &Config, args: crate::cli::ScheduleArgs) -> Result<ExitStatus> {
    let _ = (config, args);
    bail!("`verdicts schedule` is not built yet")
}
