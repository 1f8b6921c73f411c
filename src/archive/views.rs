//! The archive index: every past issue, newest first, with its date, subject and the comparisons it held.

use maud::{Markup, html};

use super::Links;
use crate::config::Config;
use crate::look::shell::{self, Shell};
use crate::store::ArchivedIssue;

/// The index page, inside the same shell as the subscription pages.
pub fn index_page(issues: &[ArchivedIssue], config: &Config, links: Links) -> Markup {
    let shell = Shell {
        site_name: &config.site_name,
        footer: Some(&config.postal_address),
        feed: Some((&config.site_name, links.feed())),
    };
    shell::page(
        shell,
        "Past issues",
        html! {
            h1 { "Past issues" }
            p.lead {
                "Every issue as it was sent. "
                a href=(format!("{}/", config.base_url)) { "Subscribe" }
                " · "
                a href=(links.feed()) { "Atom feed" }
            }
            @if issues.is_empty() {
                p { "No issue has been sent yet." }
            } @else {
                ol.issues {
                    @for issue in issues {
                        (issue_item(issue, config, links))
                    }
                }
            }
        },
    )
}

fn issue_item(issue: &ArchivedIssue, config: &Config, links: Links) -> Markup {
    let sent = issue.window_end.with_timezone(&config.timezone);
    let count = issue.comparisons.len();
    html! {
        li.issue {
            div.meta {
                time datetime=(sent.to_rfc3339()) { (sent.format("%-d %B %Y")) }
                " · " (issue.key) " · " (count) @if count == 1 { " comparison" } @else { " comparisons" }
            }
            a.subject href=(links.issue(&issue.key)) { (issue.subject) }
            @if !issue.comparisons.is_empty() {
                ul.titles {
                    @for comparison in &issue.comparisons {
                        li { (comparison.title) }
                    }
                }
            }
        }
    }
}
