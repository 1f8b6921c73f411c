//! The HTML part: maud views over a [`Digest`], table layout for Outlook, inline styles,
//! bars drawn with table cells so that no image is needed to read the numbers, and a compact
//! form for the comparisons of a busy week that would push the email past Gmail's clipping size.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Digest, PREFERENCES_PLACEHOLDER, lens_list, markdown, split, style, thousands};
use crate::content::{Comparison, Tool};

/// Gmail clips HTML over about 102 KB and hides the rest, unsubscribe link included. A busy week
/// shows its first comparisons in full and the rest as compact entries (about 1.7 KB each: the
/// numbers and a link to the full verdict), as many in full as keep the page under this size;
/// all-compact, some 45 comparisons fit.
const SIZE_LIMIT: usize = 85 * 1024;

/// The whole HTML document. `unsubscribe_url` is the subscriber's link (or the placeholder).
pub fn render(digest: &Digest, unsubscribe_url: &str) -> String {
    // Rendered once per issue, so trying each split from "all in full" down is cheap enough.
    let page_with = |full: usize| page(digest, unsubscribe_url, full).into_string();
    let mut full = digest.comparisons.len();
    let mut html = page_with(full);
    while html.len() > SIZE_LIMIT && full > 0 {
        full -= 1;
        html = page_with(full);
    }
    html
}

/// The page with the first `full` comparisons in full and the others compact.
fn page(digest: &Digest, unsubscribe_url: &str, full: usize) -> Markup {
    let (in_full, in_short) = digest
        .comparisons
        .split_at(full.min(digest.comparisons.len()));
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="supported-color-schemes" content="light dark";
                // An empty content: HTML requires one, and Apple Mail only looks at the name.
                meta name="x-apple-disable-message-reformatting" content="";
                title { (digest.subject) }
                style { (PreEscaped(style::HEAD_CSS)) }
            }
            body class="vd-body" style=(style::BODY) {
                div style=(style::PREHEADER) { (digest.preheader) }
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" class="vd-body" style=(style::BODY) {
                    tr { td align="center" style=(style::OUTER_CELL) {
                        table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" class="vd-card" style=(format!("{}{}", style::CARD, style::FONT)) {
                            (header(digest))
                            @for comparison in in_full {
                                (comparison_block(comparison))
                            }
                            @if !in_short.is_empty() {
                                tr { td class="vd-pad" style=(style::SECTION_CELL) {
                                    h2 style=(style::TITLE) class="vd-text" { "More verdicts this week" }
                                    p style=(style::QUESTION) class="vd-muted" {
                                        "In short, to keep this email small: each full verdict is one click away."
                                    }
                                } }
                                @for comparison in in_short {
                                    (compact_block(comparison))
                                }
                            }
                            (footer(digest, unsubscribe_url))
                        }
                    } }
                }
            }
        }
    }
}

fn header(digest: &Digest) -> Markup {
    let count = digest.comparisons.len();
    html! {
        tr { td class="vd-pad" style=(style::HEADER_CELL) {
            div style=(style::BRAND) class="vd-link" { (digest.site_name) }
            div style=(style::ISSUE_LINE) class="vd-muted" {
                "Issue " (digest.key) " · " (digest.window_label()) " · "
                a href=(digest.archive_url) style=(style::FOOTER_LINK) class="vd-link" { "View in browser" }
            }
            h1 style=(style::INTRO) class="vd-text" {
                @if count == 1 { "1 new verdict this week" } @else { (count) " new verdicts this week" }
            }
        } }
    }
}

/// Space between two tool cards, in percent of the content width (2% of 544 px ≈ 11 px).
const GAP_PERCENT: usize = 2;

fn comparison_block(comparison: &Comparison) -> Markup {
    // Percent widths for the cards and the gaps between them, adding up to at most 100%: a
    // fixed-pixel gap next to cards that already take 100% gets squeezed to nothing.
    let tools = comparison.tools.len().max(1);
    let width = (100 - GAP_PERCENT * (tools - 1)) / tools;
    html! {
        tr { td class="vd-pad" style=(style::SECTION_CELL) {
            div style=(style::CATEGORY) class="vd-muted" { (comparison.category) }
            h2 style=(style::TITLE) {
                a href=(comparison.url) style=(style::TITLE_LINK) class="vd-text" { (comparison.title) }
            }
            p style=(style::QUESTION) class="vd-muted" { (comparison.question) }
            table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {
                tr {
                    @for (i, tool) in comparison.tools.iter().enumerate() {
                        @if i > 0 { td width=(format!("{GAP_PERCENT}%")) class="vd-gap" style="font-size:0;line-height:0;" { (PreEscaped("&nbsp;")) } }
                        td width=(format!("{width}%")) valign="top" class="vd-tool vd-stack" style=(style::TOOL_CELL) {
                            (tool_card(tool))
                        }
                    }
                }
            }
            (scorecard(comparison))
            @if let Some(note) = &comparison.note {
                table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin-top:14px;" {
                    tr { td class="vd-note vd-text" style=(style::NOTE_CELL) {
                        strong { "Editor’s note" }
                        (PreEscaped(markdown::to_safe_html(note)))
                    } }
                }
            }
            table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin-top:16px;" {
                tr { td style=(style::BUTTON_CELL) {
                    a href=(comparison.url) style=(style::BUTTON_LINK) { "Read the full verdict →" }
                } }
            }
        } }
    }
}

/// A comparison in a few lines: title, question, each tool's numbers, the link.
fn compact_block(comparison: &Comparison) -> Markup {
    html! {
        tr { td class="vd-pad" style=(style::COMPACT_CELL) {
            div style=(style::CATEGORY) class="vd-muted" { (comparison.category) }
            h3 style=(style::COMPACT_TITLE) {
                a href=(comparison.url) style=(style::TITLE_LINK) class="vd-text" { (comparison.title) }
            }
            p style=(style::QUESTION) class="vd-muted" { (comparison.question) }
            table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style=(style::METRICS) {
                @for tool in &comparison.tools {
                    tr { td style=(style::COMPACT_LINE) class="vd-text" {
                        strong { (tool.name) } " — Panel ship " strong style=(style::NOWRAP) { (tool.panel_ship) "%" } " · Community "
                        @match tool.community {
                            Some(vote) => strong style=(style::NOWRAP) { (vote.ship) "% of " (thousands(vote.votes)) },
                            None => "No votes yet",
                        }
                        " · Entry " (tool.entry_price)
                    } }
                }
            }
            p style=(style::COMPACT_LINK_LINE) {
                a href=(comparison.url) style=(style::FOOTER_LINK) class="vd-link" { "Read the full verdict →" }
            }
        } }
    }
}

fn tool_card(tool: &Tool) -> Markup {
    html! {
        div style=(style::TOOL_NAME) class="vd-text" { (tool.name) }
        div style=(style::TAGLINE) class="vd-muted" { (tool.tagline) }
        table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style=(style::METRICS) {
            (metric("Panel ship", &format!("{}%", tool.panel_ship)))
            tr { td colspan="2" { (bar(tool.panel_ship, style::BAR_PANEL)) } }
            @match tool.community {
                Some(vote) => {
                    (metric("Community", &format!("{}% of {}", vote.ship, thousands(vote.votes))))
                    tr { td colspan="2" { (bar(vote.ship, style::BAR_COMMUNITY)) } }
                }
                None => (metric("Community", "No votes yet")),
            }
            (metric("Entry", &tool.entry_price))
        }
    }
}

fn metric(label: &str, value: &str) -> Markup {
    html! {
        tr {
            td style=(style::METRIC_LABEL) class="vd-muted" { (label) }
            td style=(style::METRIC_VALUE) class="vd-text" { (value) }
        }
    }
}

/// A horizontal bar of `percent` width: two table cells, no image.
fn bar(percent: u8, fill: &str) -> Markup {
    let percent = percent.min(100);
    html! {
        table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin-top:3px;" {
            tr {
                @if percent > 0 {
                    td width=(format!("{percent}%")) style=(fill) { (PreEscaped("&nbsp;")) }
                }
                @if percent < 100 {
                    td width=(format!("{}%", 100 - percent)) style=(style::BAR_TRACK) class="vd-track" { (PreEscaped("&nbsp;")) }
                }
            }
        }
    }
}

fn scorecard(comparison: &Comparison) -> Markup {
    html! {
        table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin-top:14px;" {
            @for (i, tool) in comparison.tools.iter().enumerate() {
                @let (ship, skip) = split(comparison, i);
                tr { td style=(style::SPLIT_LINE) class="vd-text" {
                    strong { (tool.name) ": " }
                    span style=(style::SHIP) class="vd-ship" { "Ship" } " — " (lens_list(&ship)) ". "
                    span style=(style::SKIP) class="vd-skip" { "Skip" } " — " (lens_list(&skip)) "."
                } }
                @if let Some(review) = comparison.pull_quote(i) {
                    tr { td style="padding:8px 0 10px 0;" {
                        table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {
                            tr { td style=(style::QUOTE_CELL) class="vd-text" {
                                "“" (review.quote) "”"
                                div style=(style::QUOTE_BY) class="vd-muted" {
                                    "— " (review.lens.label()) " on " (tool.name)
                                }
                            } }
                        }
                    } }
                }
            }
        }
    }
}

fn footer(digest: &Digest, unsubscribe_url: &str) -> Markup {
    html! {
        tr { td class="vd-pad vd-muted" style=(style::FOOTER_CELL) {
            p style="margin:0 0 8px 0;" {
                "You get this email because you subscribed to " (digest.site_name) " at "
                a href=(digest.subscribe_url) style=(style::FOOTER_LINK) class="vd-link" { (digest.subscribe_url) }
                " and confirmed your address. One email a week, only when there are new verdicts."
            }
            @if !digest.topics.is_empty() {
                p style="margin:0 0 8px 0;" {
                    "You get: " (digest.topics.join(", ")) " · "
                    a href=(PREFERENCES_PLACEHOLDER) style=(style::FOOTER_LINK) class="vd-link" { "Change" }
                }
            } @else {
                p style="margin:0 0 8px 0;" {
                    "You get every topic · "
                    a href=(PREFERENCES_PLACEHOLDER) style=(style::FOOTER_LINK) class="vd-link" { "Choose your topics" }
                }
            }
            p style="margin:0 0 8px 0;" {
                a href=(unsubscribe_url) style=(style::FOOTER_LINK) class="vd-link" { "Unsubscribe" }
                " in one click · "
                a href=(digest.archive_url) style=(style::FOOTER_LINK) class="vd-link" { "View this issue in your browser" }
            }
            p style="margin:0;" { (digest.postal_address) }
        } }
    }
}
