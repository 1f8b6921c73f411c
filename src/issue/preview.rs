//! What an editor previews: the issue that would go out at a given time, planned as `send` plans it and
//! rendered exactly as sent (HTML, text and the complete message of a sample subscriber); or one edition of it,
//! as readers of some categories would get it.

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::plan::{Plan, assemble_new, plan, rendered, selection_of};
use crate::config::Config;
use crate::content::{Categories, Comparison};
use crate::digest::{EditionRender, History, Recipient, RenderedIssue, render_edition};
use crate::store::NewIssue;

/// The sample subscriber whose message `digest.eml` shows.
pub const SAMPLE_ADDRESS: &str = "reader@example.org";
const SAMPLE_NAME: &str = "Sample Reader";
const SAMPLE_TOKEN: &str = "SAMPLE-UNSUBSCRIBE-TOKEN";
const SAMPLE_PREFERENCES_TOKEN: &str = "SAMPLE-PREFERENCES-TOKEN";

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

/// Assembles and renders the issue at `as_of` against `history` (the edition of `categories`; everything is
/// the full issue). Pure apart from the values passed in.
pub fn build(
    config: &Config,
    comparisons: &[Comparison],
    history: &History,
    as_of: DateTime<Utc>,
    categories: &Categories,
) -> Result<PreviewOutcome> {
    let plan = assemble_new(config, comparisons, history, as_of);
    outcome(config, comparisons, plan, as_of, categories)
}

/// Exactly what `verdicts send` at `as_of` would send (to readers of `categories`): the week's stored issue if
/// it exists, else the issue assembled against the store's history. Without a store yet, against an empty
/// history.
pub fn as_send_would(
    config: &Config,
    comparisons: &[Comparison],
    as_of: DateTime<Utc>,
    categories: &Categories,
) -> Result<PreviewOutcome> {
    if config
        .database
        .sqlite_path()
        .is_some_and(|file| !file.exists())
    {
        return build(config, comparisons, &History::default(), as_of, categories);
    }
    let store = crate::store::Store::open(&config.database)?;
    let plan = plan(&store, comparisons, config, as_of)?;
    outcome(config, comparisons, plan, as_of, categories)
}

/// A stored issue shows what its remaining recipients will get, dated when it was created.
fn outcome(
    config: &Config,
    comparisons: &[Comparison],
    plan: Plan,
    as_of: DateTime<Utc>,
    categories: &Categories,
) -> Result<PreviewOutcome> {
    let (issue, date) = match plan {
        Plan::Empty { message, .. } => return Ok(PreviewOutcome::Empty { message }),
        Plan::Existing(stored) => (stored.issue, stored.created_at),
        Plan::New(new) => (new, as_of),
    };
    if categories.is_everything() {
        return ready(&rendered(&issue, config), issue.comparisons.len(), date);
    }
    edition(config, comparisons, &issue, date, categories)
}

/// The edition of `issue` for readers of `categories`, rendered from the content it holds.
fn edition(
    config: &Config,
    comparisons: &[Comparison],
    issue: &NewIssue,
    date: DateTime<Utc>,
    categories: &Categories,
) -> Result<PreviewOutcome> {
    let selection = selection_of(issue, comparisons);
    let held = selection
        .comparisons
        .iter()
        .filter(|c| categories.includes(&c.category))
        .count();
    match render_edition(&selection, categories, config) {
        EditionRender::Issue(rendered) => ready(&rendered, held, date),
        EditionRender::NothingNew => {
            let mut present: Vec<&str> = selection
                .comparisons
                .iter()
                .map(|c| c.category.as_str())
                .collect();
            present.sort_unstable();
            present.dedup();
            Ok(PreviewOutcome::Empty {
                message: format!(
                    "issue {} has nothing new in {}: its comparisons are in {}. Readers of this edition get no email that week.",
                    issue.key,
                    categories.names().collect::<Vec<_>>().join(", "),
                    present.join(", "),
                ),
            })
        }
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
        preferences_token: Some(SAMPLE_PREFERENCES_TOKEN),
    };
    let url = issue.unsubscribe_url(SAMPLE_TOKEN);
    let preferences = issue.preferences_url(Some(SAMPLE_PREFERENCES_TOKEN));
    let personal = |s: &str| {
        s.replace(crate::digest::UNSUBSCRIBE_PLACEHOLDER, &url)
            .replace(crate::digest::PREFERENCES_PLACEHOLDER, &preferences)
    };
    Ok(PreviewOutcome::Ready(Preview {
        key: issue.key.clone(),
        subject: issue.subject.clone(),
        comparisons,
        html: personal(&issue.html),
        text: personal(&issue.text),
        eml: issue.message(&recipient, as_of)?.formatted(),
    }))
}
