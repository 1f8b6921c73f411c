//! Which issue a send at `as_of` is about: the week's issue from the store if it exists (resumed exactly as it
//! was created), else a new one assembled against the store's history, else nothing.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::content::Comparison;
use crate::digest::{Digest, RenderedIssue, assemble, issue_key};
use crate::store::{IssueComparison, NewIssue, Store, StoredIssue};

#[derive(Debug)]
pub enum Plan {
    /// The week's issue exists: resume (or report) it.
    Existing(StoredIssue),
    /// Nothing stored yet for the week; this is what creating it would store.
    New(NewIssue),
    /// No issue for the week and nothing new to put in one.
    Empty { key: String, message: String },
}

pub fn plan(
    store: &Store,
    comparisons: &[Comparison],
    config: &Config,
    as_of: DateTime<Utc>,
) -> Result<Plan> {
    let key = issue_key(as_of, config.timezone);
    if let Some(issue) = store.issue_by_key(&key)? {
        return Ok(Plan::Existing(issue));
    }
    let history = store.history(as_of)?;
    let selection = assemble(comparisons, &history, as_of, config.timezone);
    if selection.comparisons.is_empty() {
        let message =
            crate::preview::nothing_new(config, comparisons, selection.window_start, as_of);
        return Ok(Plan::Empty { key, message });
    }
    let digest = Digest::new(&selection, config);
    let rendered = RenderedIssue::render(&digest, config);
    Ok(Plan::New(NewIssue {
        key,
        window_start: selection.window_start,
        window_end: selection.window_end,
        subject: rendered.subject,
        preheader: rendered.preheader,
        html: rendered.html,
        text: rendered.text,
        comparisons: selection
            .comparisons
            .iter()
            .map(|c| IssueComparison {
                slug: c.slug.clone(),
                title: c.title.clone(),
            })
            .collect(),
    }))
}

/// The sendable form of a stored issue.
pub fn rendered(issue: &StoredIssue, config: &Config) -> RenderedIssue {
    RenderedIssue::from_parts(
        &issue.key,
        &issue.subject,
        &issue.preheader,
        issue.html.clone(),
        issue.text.clone(),
        config,
    )
}

/// The sendable form of an issue not stored yet.
pub fn rendered_new(issue: &NewIssue, config: &Config) -> RenderedIssue {
    RenderedIssue::from_parts(
        &issue.key,
        &issue.subject,
        &issue.preheader,
        issue.html.clone(),
        issue.text.clone(),
        config,
    )
}
