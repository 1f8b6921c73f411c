//! `verdicts check`: the configuration, the DKIM keys, the CA file `tls_ca_file` names and every content file, all
//! problems at once.

use anyhow::Result;

use crate::config::{Config, Secrets};
use crate::exit::ExitStatus;
use crate::mail::{DkimSigner, Mailer};

pub fn run(config: &Config) -> Result<ExitStatus> {
    // Warnings only: the files may be shared on purpose, but then anyone who can read the store can forge links.
    for loose in crate::private_files::loose(&config.database, &config.outbox_dir) {
        eprintln!("warning: {loose}");
    }
    if let Some(probe) = crate::store::Store::probe(&config.database) {
        match probe {
            Ok(found) => println!("ok: {found}"),
            Err(error) => {
                eprintln!("error: {error:#}");
                eprintln!("1 problem found in the database setting; nothing was changed");
                return Ok(ExitStatus::Invalid);
            }
        }
    }
    let key_problems = dkim_keys(config);
    // The rest of the mail settings as `send` and `serve` will use them: `smtp_url` with its passwords and
    // `tls_ca_file`. (With a bad key this would only repeat the key's problem.)
    if key_problems == 0
        && let Err(error) = Mailer::from_config(config, &Secrets::from_env())
    {
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
        Ok(comparisons) if key_problems == 0 => {
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
        Ok(comparisons) => {
            eprintln!(
                "{key_problems} problem{} in the DKIM settings ({} comparisons in {} are fine); nothing was changed",
                if key_problems == 1 { "" } else { "s" },
                comparisons.len(),
                config.content_dir.display()
            );
            Ok(ExitStatus::Invalid)
        }
        Err(count) => {
            let count = count + key_problems;
            eprintln!(
                "{} problem{} found in {}{}; nothing was changed",
                count,
                if count == 1 { "" } else { "s" },
                config.content_dir.display(),
                if key_problems > 0 {
                    " and the DKIM settings"
                } else {
                    ""
                }
            );
            Ok(ExitStatus::Invalid)
        }
    }
}

/// Loads every configured key as `send` does (so a key `send` would refuse fails here first); prints what signs
/// or each problem, and returns how many problems.
fn dkim_keys(config: &Config) -> usize {
    match DkimSigner::load(config, &Secrets::from_env()) {
        Ok(Some(signer)) => {
            println!("DKIM: {}", signer.describe());
            0
        }
        Ok(None) => 0,
        Err(problems) => {
            for problem in &problems {
                eprintln!("error: {problem}");
            }
            problems.len()
        }
    }
}
