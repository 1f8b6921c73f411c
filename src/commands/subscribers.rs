//! `verdicts subscribers …`: manage the list by hand.

use anyhow::{Result, bail};
use clap::Subcommand;

use crate::config::Config;
use crate::exit::ExitStatus;

#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// List subscribers.
    List,
}

pub fn run(config: &Config, command: SubscribersCommand) -> Result<ExitStatus> {
    let _ = (config, command);
    bail!("`verdicts subscribers` is not built yet")
}
