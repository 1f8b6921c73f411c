//! The week's issue: which comparisons it holds ([`assemble`]), the [`Digest`] value both
//! parts are rendered from ([`html`], [`text`]), the once-rendered issue that builds one
//! subscriber's message cheaply ([`message`]), and one edition of it for readers who follow
//! some categories only ([`edition`]).

pub mod assemble;
pub mod edition;
pub mod html;
mod markdown;
pub mod message;
#[rustfmt::skip]
mod style;
pub mod text;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::Config;
use crate::content::{Categories, Comparison, Lens, Verdict};
pub use assemble::{History, Selection, assemble, issue_key};
pub use edition::{EditionRender, render_edition};
pub use message::{Recipient, RenderedIssue};

/// Stands where a subscriber's own unsubscribe URL goes; replaced per message.
/// Only characters that HTML escaping and quoted-printable leave as they are.
pub const UNSUBSCRIBE_PLACEHOLDER: &str = "%%UNSUBSCRIBE_URL%%";

/// Stands where a subscriber's own preferences ("Change" your topics) URL goes in an edition; replaced per
/// message like the unsubscribe link. The full issue has none.
pub const PREFERENCES_PLACEHOLDER: &str = "%%PREFERENCES_URL%%";

/// Everything the templates need, computed once per issue.
#[derive(Debug, Clone)]
pub struct Digest<'a> {
    pub site_name: &'a str,
    pub key: String,
    pub subject: String,
    pub preheader: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub timezone: Tz,
    pub comparisons: Vec<&'a Comparison>,
    /// Absolute URL of this issue in the web archive ("view in browser").
    pub archive_url: String,
    /// Absolute URL of the subscribe page.
    pub subscribe_url: String,
    pub postal_address: &'a str,
    /// The categories an edition holds, as its footer names them; empty for the full issue.
    pub topics: Vec<String>,
}

impl<'a> Digest<'a> {
    pub fn new(selection: &Selection<'a>, config: &'a Config) -> Digest<'a> {
        Digest {
            site_name: &config.site_name,
            key: selection.key.clone(),
            subject: assemble::subject(&selection.comparisons),
            preheader: assemble::preheader(&selection.comparisons),
            window_start: selection.window_start,
            window_end: selection.window_end,
            timezone: config.timezone,
            comparisons: selection.comparisons.clone(),
            archive_url: format!("{}/archive/{}", config.base_url, selection.key),
            subscribe_url: format!("{}/", config.base_url),
            postal_address: &config.postal_address,
            topics: Vec::new(),
        }
    }

    /// The edition for readers of `categories`: only their comparisons, with a subject, preheader and count
    /// that describe those. `None` when none of the week's comparisons is in their categories. Everything is
    /// the full issue, exactly as [`Digest::new`] makes it.
    pub fn edition(
        selection: &Selection<'a>,
        categories: &Categories,
        config: &'a Config,
    ) -> Option<Digest<'a>> {
        let full = Digest::new(selection, config);
        if categories.is_everything() {
            return (!full.comparisons.is_empty()).then_some(full);
        }
        let comparisons: Vec<&Comparison> = selection
            .comparisons
            .iter()
            .copied()
            .filter(|c| categories.includes(&c.category))
            .collect();
        if comparisons.is_empty() {
            return None;
        }
        Some(Digest {
            subject: assemble::subject(&comparisons),
            preheader: assemble::preheader(&comparisons),
            comparisons,
            topics: categories.names().map(str::to_string).collect(),
            ..full
        })
    }

    /// "17–23 November 2026"-style range of the window, in the configured zone.
    pub fn window_label(&self) -> String {
        let start = self.window_start.with_timezone(&self.timezone);
        let end = self.window_end.with_timezone(&self.timezone);
        format!("{} – {}", start.format("%-d %b"), end.format("%-d %b %Y"))
    }
}

/// Which lenses said ship and which said skip for one tool.
pub fn split(comparison: &Comparison, tool: usize) -> (Vec<Lens>, Vec<Lens>) {
    let mut ship = Vec::new();
    let mut skip = Vec::new();
    for review in comparison.reviews_of(tool) {
        match review.verdict {
            Verdict::Ship => ship.push(review.lens),
            Verdict::Skip => skip.push(review.lens),
        }
    }
    (ship, skip)
}

/// Labels joined for display: "Developer experience, The thesis", or "none".
pub fn lens_list(lenses: &[Lens]) -> String {
    if lenses.is_empty() {
        return "none".to_string();
    }
    lenses
        .iter()
        .map(|l| l.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// "1,204" for a vote count.
pub fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn vote_counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
