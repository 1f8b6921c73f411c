//! What an editor previews: the issue that would go out at a given time, rendered exactly as
//! sent (HTML, text and the complete message of a sample subscriber).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::content::Comparison;
use crate::digest::{Digest, History, Recipient, RenderedIssue, assemble, assemble::latest_before};

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

/// Assembles and renders the issue at `as_of`. Pure apart from the values passed in.
pub fn build(
    config: &Config,
    comparisons: &[Comparison],
    history: &History,
    as_of: DateTime<Utc>,
) -> Result<PreviewOutcome> {
    let selection = assemble(comparisons, history, as_of, config.timezone);
    if selection.comparisons.is_empty() {
        let message = nothing_new(config, comparisons, selection.window_start, as_of);
        return Ok(PreviewOutcome::Empty { message });
    }
    let digest = Digest::new(&selection, config);
    let issue = RenderedIssue::render(&digest, config);
    ready(&issue, selection.comparisons.len(), as_of)
}

/// Exactly what `verdicts send` at `as_of` would send: the week's stored issue if it exists, else the issue
/// assembled against the store's history. Without a store yet, against an empty history.
pub fn as_send_would(
    config: &Config,
    comparisons: &[Comparison],
    as_of: DateTime<Utc>,
) -> Result<PreviewOutcome> {
    if !config.database.exists() {
        return build(config, comparisons, &History::default(), as_of);
    }
    let store = crate::store::Store::open(&config.database)?;
    match crate::delivery::plan::plan(&store, comparisons, config, as_of)? {
        crate::delivery::plan::Plan::Existing(issue) => stored(
            &crate::delivery::plan::rendered(&issue, config),
            issue.comparisons.len(),
            issue.created_at,
        ),
        _ => build(config, comparisons, &store.history(as_of)?, as_of),
    }
}

/// The preview of an issue already in the store: what its remaining recipients will get.
pub fn stored(
    issue: &RenderedIssue,
    comparisons: usize,
    date: DateTime<Utc>,
) -> Result<PreviewOutcome> {
    ready(issue, comparisons, date)
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

/// Why there is no issue at `as_of`, and where the editor should look instead.
pub fn nothing_new(
    config: &Config,
    comparisons: &[Comparison],
    window_start: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> String {
    let tz = config.timezone;
    let window = format!(
        "{} and {} ({tz})",
        window_start.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        as_of.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
    );
    match latest_before(comparisons, as_of) {
        Some(latest) => format!(
            "nothing new was published between {window}. The most recent content is in week {} ({}, published {}): try --as-of {}",
            crate::digest::issue_key(latest.published_utc(), tz),
            latest.title,
            latest.published.format("%Y-%m-%d"),
            latest.published_utc().with_timezone(&tz).format("%Y-%m-%d"),
        ),
        None => {
            format!("nothing new was published between {window}, and there is no earlier content")
        }
    }
}
