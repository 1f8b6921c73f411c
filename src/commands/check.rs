//! `verdicts check`: the configuration and every content file, all problems at once.

use anyhow::Result;

use crate::config::Config;
use crate::exit::ExitStatus;

pub fn run(config: &Config) -> Result<ExitStatus> {
    // Warnings only: the files may be shared on purpose, but then anyone who can read the store can forge links.
    for loose in crate::private_files::loose(&config.database, &config.outbox_dir) {
        eprintln!("warning: {loose}");
    }
    match super::load_content(config) {
        Ok(comparisons) => {
            let weeks: std::collections::BTreeSet<String> = comparisons
                .iter()
                .map(|c| crate::digest::issue_key(c.published_utc(), config.timezone))
                .collect();
            println!(
                "ok: configuration and {} comparison{} in {} ({} week{})",
                comparisons.len(),
                if comparisons.len() == 1 { "" } else { "s" },
                config.content_dir.display(),
                weeks.len(),
                if weeks.len() == 1 { "" } else { "s" },
            );
            Ok(ExitStatus::Success)
        }
        Err(count) => {
            eprintln!(
                "{count} problem{} found in {}; nothing was changed",
                if count == 1 { "" } else { "s" },
                config.content_dir.display()
            );
            Ok(ExitStatus::Invalid)
        }
    }
}
