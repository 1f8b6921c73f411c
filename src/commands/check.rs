//! `verdicts check`: the configuration, the DKIM keys, the CA file `tls_ca_file` names, the SNS certificate file
//! `ses_certificate_file` names and every content file, all problems at once; and the content's categories, with a warning where two differ only in case or spacing.

use anyhow::Result;

use crate::config::{Config, Secrets};
use crate::content::{Comparison, KnownCategories, categories::match_key};
use crate::delivery::claims;
use crate::exit::ExitStatus;
use crate::mail::{DkimSigner, Mailer};

pub fn run(config: &Config) -> Result<ExitStatus> {
    // Warnings only: the files may be shared on purpose, but then anyone who can read the store can forge links.
    for loose in crate::private_files::loose(&config.database, &config.outbox_dir) {
        eprintln!("warning: {loose}");
    }
    if let Some(probe) = crate::store::Store::probe(&config.database) {
        match probe {
            Ok(probe) => {
                println!("ok: {}", probe.found);
                // `send` refuses to share the ledger with a clock this far off: say so now, not at 9 on Monday.
                let (before, after, server) = probe.clock_read;
                let allowed = claims::max_clock_skew(std::time::Duration::from_secs(
                    config.send_claim_seconds,
                ));
                let skew = claims::clock_skew(before, after, server);
                if let Some(problem) = claims::clock_skew_problem(skew, allowed, server) {
                    eprintln!("error: {problem}");
                    eprintln!("1 problem found in the database setting; nothing was changed");
                    return Ok(ExitStatus::Invalid);
                }
            }
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
    if let Some(path) = &config.ses_certificate_file {
        match crate::web::webhooks::sns::Verifier::load(path, config.ses_topic_arns.clone()) {
            Ok(verifier) => match verifier.expires() {
                Some(expires) if expires < crate::clock::now() => eprintln!(
                    "warning: every certificate in ses_certificate_file {} expired (the last on {expires}): \
                     SNS signs with a newer one; add it (see README \"Provider webhooks\")",
                    path.display()
                ),
                _ => println!(
                    "ok: ses_certificate_file {} holds the SNS signing certificate",
                    path.display()
                ),
            },
            Err(error) => {
                eprintln!("error: {error:#}");
                eprintln!("1 problem found in the webhook settings; nothing was changed");
                return Ok(ExitStatus::Invalid);
            }
        }
    }
    let content = super::load_content(config);
    if let Ok(comparisons) = &content {
        report_categories(comparisons);
        report_new_categories(comparisons, config.timezone);
    }
    match content {
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

/// Lists the categories with their counts, and warns (without failing) about spellings that differ only in case
/// or spacing: readers choose categories by name, so "Developer tools" beside "Developer Tools" is a typo to fix.
fn report_categories(comparisons: &[Comparison]) {
    let known = KnownCategories::of(comparisons);
    let listed: Vec<String> = known
        .iter()
        .map(|(name, count)| format!("{name} ({count})"))
        .collect();
    println!(
        "categories: {}",
        if listed.is_empty() {
            "none".to_string()
        } else {
            listed.join(", ")
        }
    );
    for group in known.near_duplicates() {
        let spellings: Vec<String> = group
            .iter()
            .map(|(spelling, _)| {
                let slugs: Vec<&str> = comparisons
                    .iter()
                    .filter(|c| c.category.trim() == spelling)
                    .map(|c| c.slug.as_str())
                    .collect();
                format!("{spelling:?} ({})", slugs.join(", "))
            })
            .collect();
        let one_to_readers = group
            .iter()
            .all(|(spelling, _)| match_key(spelling) == match_key(&group[0].0));
        eprintln!(
            "warning: categories differ only in case or spacing: {}; {}",
            spellings.join(" vs "),
            if one_to_readers {
                "readers get them as one category, but spell them alike"
            } else {
                "readers get them as different categories: spell them alike"
            }
        );
    }
    for (name, _) in known.iter().filter(|(name, _)| name.contains([',', ';'])) {
        eprintln!(
            "warning: category {name:?} contains a comma or semicolon, which separate categories in a reader's list"
        );
    }
}

/// Warns (without failing) about categories that only the newest week's comparisons use: a new category is
/// often a typo of an old one, and readers who chose topics get it only once they tick it. Nothing is new in
/// the first week there is.
fn report_new_categories(comparisons: &[Comparison], timezone: chrono_tz::Tz) {
    let week = |c: &Comparison| crate::digest::issue_key(c.published_utc(), timezone);
    let Some(newest) = comparisons.iter().map(week).max() else {
        return;
    };
    let earlier: std::collections::HashSet<String> = comparisons
        .iter()
        .filter(|c| week(c) != newest)
        .map(|c| match_key(&c.category))
        .collect();
    if earlier.is_empty() {
        return;
    }
    let mut new: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for comparison in comparisons
        .iter()
        .filter(|c| week(c) == newest && !earlier.contains(&match_key(&c.category)))
    {
        new.entry(comparison.category.trim().to_string())
            .or_default()
            .push(&comparison.slug);
    }
    for (name, slugs) in new {
        eprintln!(
            "warning: category {name:?} is new in {newest} ({}): check its spelling; readers who chose topics get it \
             only once they tick it",
            slugs.join(", ")
        );
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
