//! The Atom feed of past issues (RFC 4287), written with maud: every element is closed explicitly (`{}`), since
//! XML has no void elements, and text passes through [`xml_text`] because XML 1.0 forbids most control characters
//! even when escaped.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use maud::{Markup, PreEscaped, html};

use super::{FEED_ENTRIES, issue_page, issue_url};
use crate::config::Config;
use crate::store::ArchivedIssue;

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// The feed of the newest [`FEED_ENTRIES`] issues (`issues` newest first). Its `updated` is the newest issue's
/// creation time, so an unchanged archive gives identical bytes; `now` stands in only while there is no issue.
pub fn atom(issues: &[ArchivedIssue], config: &Config, now: DateTime<Utc>) -> String {
    let entries = &issues[..issues.len().min(FEED_ENTRIES)];
    let updated = entries
        .iter()
        .map(|issue| issue.created_at)
        .max()
        .unwrap_or(now);
    let archive = format!("{}/archive", config.base_url);
    let feed = html! {
        (PreEscaped("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"))
        feed xmlns=(ATOM_NS) {
            id { (archive) }
            title { (xml_text(&config.site_name)) }
            subtitle { "Past issues of the weekly email, as they were sent." }
            updated { (timestamp(updated)) }
            link rel="self" type="application/atom+xml" href=(format!("{archive}/feed.xml")) {}
            link rel="alternate" type="text/html" href=(archive) {}
            author { name { (xml_text(&config.site_name)) } }
            @for issue in entries {
                (entry(issue, config))
            }
        }
    };
    feed.into_string()
}

fn entry(issue: &ArchivedIssue, config: &Config) -> Markup {
    let url = issue_url(config, &issue.key);
    html! {
        entry {
            id { (url) }
            title { (xml_text(&issue.subject)) }
            published { (timestamp(issue.created_at)) }
            updated { (timestamp(issue.created_at)) }
            link rel="alternate" type="text/html" href=(url) {}
            summary type="html" { (xml_text(&summary_html(issue).into_string())) }
            content type="html" { (xml_text(&issue_page(issue, config))) }
        }
    }
}

/// The preheader and the comparison titles, as HTML (escaped once more as the element's text).
fn summary_html(issue: &ArchivedIssue) -> Markup {
    html! {
        p { (issue.preheader) }
        @if !issue.comparisons.is_empty() {
            ul {
                @for comparison in &issue.comparisons {
                    li { (comparison.title) }
                }
            }
        }
    }
}

/// RFC 3339 in UTC with a `Z`, as Atom's date constructs want.
fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `text` without the characters XML 1.0 cannot carry at all (C0 controls other than tab, newline and carriage
/// return; U+FFFE and U+FFFF). Markup characters are left for maud to escape.
pub fn xml_text(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| allowed(c)).collect())
    }
}
