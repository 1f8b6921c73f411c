//! What an editor previews: the issue that would go out at a given time, planned as `send` plans it and
//! rendered exactly as sent (HTML, text and the complete message of a sample subscriber).

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::plan::{Plan, assemble_new, plan, rendered};
use crate::config::Config;
use crate::content::Comparison;
use crate::digest::{History, Recipient, RenderedIssue};

/// The sample subscriber whose message `digest.eml` shows.
pub const SAMPLE_ADDRESS: &str = "reader@example.org";
const SAMPLE_NAME: &str = "Sample Reader";
const SAMPLE_TOKEN: &str = "SAMPLE-UNSUBSCRIBE-TOKEN";

/// The three preview files' contents.
#[derive(Debug)]
pub struct Preview {
    pub key: String,
    pub subject: String,
    pub comparisons: usize,
    pub html: String,
    pub text: String,
    pub eml: Vec<u8>,
}

/// Either a preview or why there is nothing to show.
#[derive(Debug)]
pub enum PreviewOutcome {
    Ready(Preview),
    Empty { message: String },
}

/// Assembles and renders the issue at `as_of` against `history`. Pure apart from the values passed in.
pub fn build(
    config: &Config,
    comparisons: &[Comparison],
    history: &History,
    as_of: DateTime<Utc>,
) -> Result<PreviewOutcome> {
    outcome(
        config,
        assemble_new(config, comparisons, history, as_of),
        as_of,
    )
}

/// Exactly what `verdicts send` at `as_of` would send: the week's stored issue if it exists, else the issue
/// assembled against the store's history. Without a store yet, against an empty history.
pub fn as_send_would(
    config: &Config,
    comparisons: &[Comparison],
    as_of: DateTime<Utc>,
) -> Result<PreviewOutcome> {
    if config
        .database
        .sqlite_path()
        .is_some_and(|file| !file.exists())
    {
        return build(config, comparisons, &History::default(), as_of);
    }
    let store = crate::store::Store::open(&config.database)?;
    outcome(config, plan(&store, comparisons, config, as_of)?, as_of)
}

/// A stored issue shows what its remaining recipients will get, dated when it was created.
fn outcome(config: &Config, plan: Plan, as_of: DateTime<Utc>) -> Result<PreviewOutcome> {
    match plan {
        Plan::Empty { message, .. } => Ok(PreviewOutcome::Empty { message }),
        Plan::Existing(stored) => ready(
            &rendered(&stored.issue, config),
            stored.issue.comparisons.len(),
            stored.created_at,
        ),
        Plan::New(new) => ready(&rendered(&new, config), new.comparisons.len(), as_of),
    }
}

fn ready(
    issue: &RenderedIssue,
    comparisons: usize,
    as_of: DateTime<Utc>,
) -> Result<PreviewOutcome> {
    let recipient = Recipient {
        subscriber_id: 0,
        email: SAMPLE_ADDRESS.parse()?,
        name: Some(SAMPLE_NAME),
        unsubscribe_token: SAMPLE_TOKEN,
    };
    let url = issue.unsubscribe_url(SAMPLE_TOKEN);
    let personal = |s: &str| s.replace(crate::digest::UNSUBSCRIBE_PLACEHOLDER, &url);
    Ok(PreviewOutcome::Ready(Preview {
        key: issue.key.clone(),
        subject: issue.subject.clone(),
        comparisons,
        html: personal(&issue.html),
        text: personal(&issue.text),
        eml: issue.message(&recipient, as_of)?.formatted(),
    }))
}
