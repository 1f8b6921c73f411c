//! `verdicts check`: the configuration (with the CA file `tls_ca_file` names) and every content file, all
//! problems at once.

use anyhow::Result;

use crate::config::{Config, Secrets};
use crate::exit::ExitStatus;
use crate::mail::Mailer;

pub fn run(config: &Config) -> Result<ExitStatus> {
    // The mail settings as `send` and `serve` will use them: `smtp_url` with its password, `tls_ca_file`, and
    // the DKIM key.
    if let Err(error) = Mailer::from_config(config, &Secrets::from_env()) {
        eprintln!("error: {error:#}");
        eprintln!("1 problem found in the mail settings; nothing was changed");
        return Ok(ExitStatus::Invalid);
    }
    // Also read without smtp_url, so a CA file is known good before the relay is switched on.
    if let Some(path) = &config.tls_ca_file {
        match crate::mail::tls_trust::load_ca_file(path) {
            Ok(certificates) => println!(
                "ok: tls_ca_file {} holds {} CA certificate{}",
                path.display(),
                certificates.len(),
                if certificates.len() == 1 { "" } else { "s" }
            ),
            Err(error) => {
                eprintln!("error: {error:#}");
                eprintln!("1 problem found in the mail settings; nothing was changed");
                return Ok(ExitStatus::Invalid);
            }
        }
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
