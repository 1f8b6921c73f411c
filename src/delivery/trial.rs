//! Trying a send without sending it: `--dry-run` renders the issue and counts its recipients, `--to ADDR`
//! sends one copy to one address. Neither creates the issue nor touches the ledger.

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};

use super::worker::Job;
use crate::config::{Config, Secrets};
use crate::content::Comparison;
use crate::digest::Digest;
use crate::digest::RenderedIssue;
use crate::email_address::SubscriberEmail;
use crate::issue::plan::{self, Plan};
use crate::issue::{Edition, preview};
use crate::mail::{Mailer, Timeouts};
use crate::store::{SkippedBy, Store};
use crate::tokens::Tokens;

/// What `--dry-run` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DryRun {
    NothingNew {
        key: String,
        message: String,
    },
    Ready {
        key: String,
        subject: String,
        comparisons: usize,
        /// The issue exists already (a send resumes it) rather than being created by the next send.
        stored: bool,
        /// Recipients a send would deliver to now.
        recipients: u64,
        /// Readers on the list a send would not mail (paused; nothing new in their topics), as `status` counts
        /// them once the issue exists.
        skipped: SkippedBy,
        /// Size of one subscriber's message, as sent (DKIM signature included when configured).
        message_bytes: usize,
        dkim: bool,
    },
}

/// Renders the issue a send at `as_of` would deliver and counts its recipients; writes nothing.
pub fn dry_run(
    config: &Config,
    secrets: &Secrets,
    comparisons: &[Comparison],
    as_of: DateTime<Utc>,
) -> Result<DryRun> {
    let store = Store::open_existing(&config.database)?;
    let mailer = Mailer::from_config(config, secrets)?;
    let (issue, stored, recipients, skipped, composed_at, count) =
        match plan::plan(&store, comparisons, config, as_of)? {
            Plan::Empty { key, message } => return Ok(DryRun::NothingNew { key, message }),
            Plan::Existing(issue) => {
                let counts = store.ledger_counts(issue.id)?;
                let rendered = plan::rendered(&issue.issue, config);
                let due = if issue.completed_at.is_some() {
                    0
                } else {
                    counts.pending + counts.deferred
                };
                (
                    rendered,
                    true,
                    due,
                    counts.skipped_by,
                    issue.created_at,
                    issue.issue.comparisons.len(),
                )
            }
            Plan::New(new) => {
                // What the snapshot and the run's first step would make of each reader: paused past now, or
                // following categories with nothing new this week (skipped), or due.
                let selection = plan::selection_of(&new, comparisons);
                let mut due = 0;
                let mut skipped = SkippedBy::default();
                for choice in store.confirmed_choices(as_of)? {
                    skipped.paused += choice.paused;
                    let active = choice.readers - choice.paused;
                    if Digest::edition(&selection, &choice.categories, config).is_some() {
                        due += active;
                    } else {
                        skipped.nothing_new += active;
                    }
                }
                (
                    plan::rendered(&new, config),
                    false,
                    due,
                    skipped,
                    as_of,
                    new.comparisons.len(),
                )
            }
        };
    let edition = Edition::new(
        0,
        issue.clone(),
        composed_at,
        Tokens::new(b"dry run: no real links".to_vec(), Vec::new()),
        mailer.dkim().cloned(),
        mailer.sender().clone(),
    );
    let sample = edition.build(Job::sample(preview::SAMPLE_ADDRESS).addressee())?;
    Ok(DryRun::Ready {
        key: issue.key.clone(),
        subject: issue.subject.clone(),
        comparisons: count,
        stored,
        recipients,
        skipped,
        message_bytes: sample.raw.len(),
        dkim: edition.dkim.is_some(),
    })
}

/// Sends one copy of the issue a send at `as_of` would deliver to `to` through the [`Mailer`]: the configured
/// relay (or the outbox), signed like the digest. Returns what the relay said.
pub async fn send_test_copy(
    config: &Config,
    secrets: &Secrets,
    comparisons: &[Comparison],
    as_of: DateTime<Utc>,
    to: &str,
    timeouts: Timeouts,
) -> Result<String> {
    let address = SubscriberEmail::parse(to).with_context(|| format!("--to {to}"))?;
    let mut store = Store::open(&config.database)?;
    let (issue, composed_at): (RenderedIssue, _) =
        match plan::plan(&store, comparisons, config, as_of)? {
            Plan::Empty { message, .. } => bail!("no test copy sent: {message}"),
            Plan::Existing(stored) => (plan::rendered(&stored.issue, config), stored.created_at),
            Plan::New(new) => (plan::rendered(&new, config), as_of),
        };
    let mailer = Mailer::from_config(config, secrets)?.with_timeouts(timeouts);
    let edition = Edition::new(
        0,
        issue,
        composed_at,
        Tokens::load(secrets, &mut store)?,
        mailer.dkim().cloned(),
        mailer.sender().clone(),
    );
    let built = edition.build(Job::sample(address.as_str()).addressee())?;
    mailer
        .send_raw(&built.to, &built.message_id, &built.raw)
        .await
        .context("no test copy sent")
}
