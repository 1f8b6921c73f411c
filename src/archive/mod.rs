//! The public archive of past issues: an index page ([`views::index_page`]), each issue as sent without anyone's
//! personal links ([`issue_page`]), an Atom feed ([`feed::atom`]), and a static copy of all three ([`export`]).
//!
//! `verdicts serve` answers `GET /archive`, `GET /archive/{key}` and `GET /archive/feed.xml` with [`index_body`],
//! [`issue_body`] and [`feed_body`]; `verdicts archive --out DIR` writes the same pages as files.

pub mod export;
pub mod feed;
pub mod views;

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::digest::RenderedIssue;
use crate::store::{ArchivedIssue, Store};

pub use export::{ExportSummary, export};

/// `Content-Type` of [`feed_body`].
pub const FEED_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

/// `Content-Type` of [`index_body`] and [`issue_body`].
pub const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// How many of the newest issues the feed carries.
pub const FEED_ENTRIES: usize = 20;

/// How the index links to issue pages and the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Served by `verdicts serve` under `/archive`: root-relative links.
    Served,
    /// A folder of static files that may be hosted anywhere: links relative to the index.
    Static,
}

impl Links {
    fn issue(self, key: &str) -> String {
        match self {
            Links::Served => format!("/archive/{key}"),
            Links::Static => format!("{key}/"),
        }
    }

    fn feed(self) -> &'static str {
        match self {
            Links::Served => "/archive/feed.xml",
            Links::Static => "feed.xml",
        }
    }
}

/// The absolute URL of an issue: what the email's "view in browser" link and the feed point at.
pub fn issue_url(config: &Config, key: &str) -> String {
    format!("{}/archive/{key}", config.base_url)
}

/// The issue's HTML as subscribers got it, with the personal unsubscribe link replaced by the generic one
/// (the same replacement as the "view in browser" copy, [`RenderedIssue::archive_html`]).
pub fn issue_page(issue: &ArchivedIssue, config: &Config) -> String {
    RenderedIssue::from_parts(
        &issue.key,
        &issue.subject,
        &issue.preheader,
        issue.html.clone(),
        String::new(),
        config,
    )
    .archive_html()
}

/// Body of `GET /archive`.
pub fn index_body(store: &Store, config: &Config) -> Result<String> {
    let issues = store.archived_issues()?;
    Ok(views::index_page(&issues, config, Links::Served).into_string())
}

/// Body of `GET /archive/{key}`; `None` answers 404.
pub fn issue_body(store: &Store, config: &Config, key: &str) -> Result<Option<String>> {
    Ok(store
        .archived_issue(key)?
        .map(|issue| issue_page(&issue, config)))
}

/// Body of `GET /archive/feed.xml`. `now` is the feed's `updated` time only while no issue exists.
pub fn feed_body(store: &Store, config: &Config, now: DateTime<Utc>) -> Result<String> {
    let issues = store.archived_issues()?;
    Ok(feed::atom(&issues, config, now))
}

#[cfg(test)]
mod tests;
