//! The text/plain part: the same [`Digest`] laid out for reading in a plain-text client,
//! wrapped at 72 columns, not tags stripped from the HTML.

use std::fmt::Write;

use super::{Digest, PREFERENCES_PLACEHOLDER, lens_list, markdown, split, thousands};
use crate::content::{Comparison, Tool};

const WIDTH: usize = 72;

/// The whole text part, lines joined with `\n`.
pub fn render(digest: &Digest, unsubscribe_url: &str) -> String {
    let mut out = String::new();
    let count = digest.comparisons.len();
    let _ = writeln!(out, "{}", digest.site_name.to_uppercase());
    let _ = writeln!(out, "Issue {} · {}", digest.key, digest.window_label());
    let _ = writeln!(out, "View in your browser: {}", digest.archive_url);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{count} new verdict{} this week",
        if count == 1 { "" } else { "s" }
    );
    for comparison in &digest.comparisons {
        comparison_section(&mut out, comparison);
    }
    let _ = writeln!(out, "{}", "-".repeat(WIDTH));
    paragraph(
        &mut out,
        &format!(
            "You get this email because you subscribed to {} at {} and confirmed your address. One email a week, only when there are new verdicts.",
            digest.site_name, digest.subscribe_url
        ),
        "",
    );
    let _ = writeln!(out);
    if !digest.topics.is_empty() {
        paragraph(
            &mut out,
            &format!("You get: {} · Change:", digest.topics.join(", ")),
            "",
        );
        let _ = writeln!(out, "{PREFERENCES_PLACEHOLDER}");
        let _ = writeln!(out);
    } else {
        paragraph(&mut out, "You get every topic · Choose your topics:", "");
        let _ = writeln!(out, "{PREFERENCES_PLACEHOLDER}");
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "Unsubscribe in one click:");
    let _ = writeln!(out, "{unsubscribe_url}");
    let _ = writeln!(out);
    paragraph(&mut out, digest.postal_address, "");
    out
}

fn comparison_section(out: &mut String, comparison: &Comparison) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", "-".repeat(WIDTH));
    let _ = writeln!(out, "{}", comparison.title);
    let _ = writeln!(
        out,
        "{}",
        "~".repeat(comparison.title.chars().count().min(WIDTH))
    );
    let _ = writeln!(
        out,
        "{} · {}",
        comparison.category,
        comparison.published.format("%-d %B %Y")
    );
    paragraph(out, &comparison.question, "");
    for (i, tool) in comparison.tools.iter().enumerate() {
        let _ = writeln!(out);
        tool_section(out, comparison, i, tool);
    }
    if let Some(note) = &comparison.note {
        let _ = writeln!(out);
        let _ = writeln!(out, "Editor’s note:");
        for line in markdown::to_text(note).lines() {
            paragraph(out, line, "  ");
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Read the full verdict: {}", comparison.url);
}

fn tool_section(out: &mut String, comparison: &Comparison, i: usize, tool: &Tool) {
    let _ = writeln!(out, "{} — {}", tool.name, tool.tagline);
    let _ = writeln!(
        out,
        "  Panel ship   {:>4}  {}",
        format!("{}%", tool.panel_ship),
        gauge(tool.panel_ship)
    );
    match tool.community {
        Some(vote) => {
            let _ = writeln!(
                out,
                "  Community    {:>4}  {}  ({} votes)",
                format!("{}%", vote.ship),
                gauge(vote.ship),
                thousands(vote.votes)
            );
        }
        None => {
            let _ = writeln!(out, "  Community    no votes yet");
        }
    }
    let _ = writeln!(out, "  Entry        {}", tool.entry_price);
    let (ship, skip) = split(comparison, i);
    paragraph(out, &format!("Ship: {}", lens_list(&ship)), "  ");
    paragraph(out, &format!("Skip: {}", lens_list(&skip)), "  ");
    if let Some(review) = comparison.pull_quote(i) {
        paragraph(out, &format!("“{}”", review.quote), "  > ");
        let _ = writeln!(out, "  — {} on {}", review.lens.label(), tool.name);
    }
}

/// `[#######---]`: ten cells, one per 10%.
fn gauge(percent: u8) -> String {
    let filled = (usize::from(percent.min(100)) + 5) / 10;
    format!("[{}{}]", "#".repeat(filled), "-".repeat(10 - filled))
}

fn paragraph(out: &mut String, text: &str, indent: &str) {
    let options = textwrap::Options::new(WIDTH)
        .initial_indent(indent)
        .subsequent_indent(indent);
    for line in textwrap::wrap(text, options) {
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

#[cfg(test)]
mod tests {
    use super::gauge;

    #[test]
    fn gauge_rounds_to_the_nearest_tenth() {
        assert_eq!(gauge(0), "[----------]");
        assert_eq!(gauge(64), "[######----]");
        assert_eq!(gauge(100), "[##########]");
    }
}
