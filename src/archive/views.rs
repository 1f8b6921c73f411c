//! The archive index: every past issue, newest first, with its date, subject and the comparisons it held.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::Links;
use crate::config::Config;
use crate::store::ArchivedIssue;

/// The page's whole stylesheet: small enough to inline, so the static copy is one file per page.
const CSS: &str = "\
body{margin:0;background:#f3f4f6;color:#111827;\
font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;}\
main{max-width:640px;margin:0 auto;padding:32px 16px;}\
h1{font-size:26px;margin:0 0 4px 0;}\
.lede{color:#4b5563;margin:0 0 24px 0;}\
a{color:#1d4ed8;}\
ol{list-style:none;padding:0;margin:0;}\
li.issue{background:#fff;border-radius:8px;padding:16px 20px;margin:0 0 12px 0;}\
.meta{font-size:13px;color:#6b7280;}\
.subject{display:block;font-size:18px;font-weight:700;margin:4px 0 6px 0;text-decoration:none;}\
ul.titles{margin:0;padding-left:18px;color:#374151;font-size:14px;line-height:21px;}\
@media (prefers-color-scheme: dark){body{background:#0b0f19;color:#f3f4f6;}\
li.issue{background:#111827;}.lede,.meta,ul.titles{color:#cbd5e1;}a{color:#93c5fd;}}";

/// The index page.
pub fn index_page(issues: &[ArchivedIssue], config: &Config, links: Links) -> Markup {
    let title = format!("{} — past issues", config.site_name);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="alternate" type="application/atom+xml" title=(config.site_name) href=(links.feed());
                style { (PreEscaped(CSS)) }
            }
            body {
                main {
                    h1 { (config.site_name) }
                    p.lede {
                        "Every issue as it was sent. "
                        a href=(format!("{}/", config.base_url)) { "Subscribe" }
                        " · "
                        a href=(links.feed()) { "Atom feed" }
                    }
                    @if issues.is_empty() {
                        p { "No issue has been sent yet." }
                    } @else {
                        ol {
                            @for issue in issues {
                                (issue_item(issue, config, links))
                            }
                        }
                    }
                }
            }
        }
    }
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
