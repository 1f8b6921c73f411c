//! `verdicts check`: the configuration (with the CA file `tls_ca_file` names) and every content file, all
//! problems at once.

use anyhow::Result;

use crate::config::Config;
use crate::exit::ExitStatus;

pub fn run(config: &Config) -> Result<ExitStatus> {
    let mut invalid = false;
    if let Some(path) = &config.tls_ca_file {
        match crate::tls_trust::load_ca_file(path) {
            Ok(certificates) => println!(
                "ok: tls_ca_file {} holds {} CA certificate{}",
                path.display(),
                certificates.len(),
                if certificates.len() == 1 { "" } else { "s" }
            ),
            Err(e) => {
                eprintln!("error: {e:#}");
                invalid = true;
            }
        }
    }
    let content = match super::load_content(config) {
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
            ExitStatus::Success
        }
        Err(count) => {
            eprintln!(
                "{count} problem{} found in {}; nothing was changed",
                if count == 1 { "" } else { "s" },
                config.content_dir.display()
            );
            ExitStatus::Invalid
        }
    };
    Ok(if invalid {
        ExitStatus::Invalid
    } else {
        content
    })
}
