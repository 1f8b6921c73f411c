//! `verdicts`: parse the command line, set up logging, run, exit with a code that means something.
#![forbid(unsafe_code)]

use clap::Parser;
use weekly_verdicts::cli::{Cli, run};
use weekly_verdicts::exit::ExitStatus;

fn main() {
    let cli = Cli::parse();
    weekly_verdicts::logging::init(cli.verbose);
    let status = match run(cli) {
        Ok(status) => status,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitStatus::Failure
        }
    };
    std::process::exit(status.code());
}
