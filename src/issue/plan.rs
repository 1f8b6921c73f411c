//! Which issue a send or a preview at `as_of` is about: the week's issue from the store if it exists (resumed
//! exactly as it was created), else a new one assembled against the store's history, else nothing, with why.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::content::Comparison;
use crate::digest::assemble::latest_before;
use crate::digest::{Digest, History, RenderedIssue, Selection, assemble, issue_key};
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

/// The issue at `as_of`: the stored one, else a new one assembled against the store's history.
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
    Ok(assemble_new(
        config,
        comparisons,
        &store.history(as_of)?,
        as_of,
    ))
}

/// A new issue at `as_of` against `history`, or why there is none. Pure.
pub fn assemble_new(
    config: &Config,
    comparisons: &[Comparison],
    history: &History,
    as_of: DateTime<Utc>,
) -> Plan {
    let key = issue_key(as_of, config.timezone);
    let selection = assemble(comparisons, history, as_of, config.timezone);
    if selection.comparisons.is_empty() {
        let message = nothing_new(config, comparisons, selection.window_start, as_of);
        return Plan::Empty { key, message };
    }
    let digest = Digest::new(&selection, config);
    let rendered = RenderedIssue::render(&digest, config);
    Plan::New(NewIssue {
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
    })
}

/// The sendable form of an issue, stored or not (a stored issue's is `&stored.issue`).
pub fn rendered(issue: &NewIssue, config: &Config) -> RenderedIssue {
    RenderedIssue::from_parts(
        &issue.key,
        &issue.subject,
        &issue.preheader,
        issue.html.clone(),
        issue.text.clone(),
        config,
    )
}

/// The comparisons an issue (stored or about to be) holds, found in the content by slug, in the issue's order:
/// what its editions are rendered from. One whose file is gone since is left out.
pub fn selection_of<'a>(issue: &NewIssue, comparisons: &'a [Comparison]) -> Selection<'a> {
    Selection {
        key: issue.key.clone(),
        window_start: issue.window_start,
        window_end: issue.window_end,
        comparisons: issue
            .comparisons
            .iter()
            .filter_map(|held| comparisons.iter().find(|c| c.slug == held.slug))
            .collect(),
    }
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
