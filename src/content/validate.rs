//! Turns a file's text into a [`Comparison`], collecting every problem with its line and field.

use std::ops::Range;
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use toml::Spanned;

use super::front_matter::{FrontMatter, ToolFrontMatter};
use super::{CommunityVote, Comparison, ContentError, Review, Tool, split_file_name};
use crate::config::BaseUrl;

/// Collects errors for one file; converts byte spans in the front matter to file lines.
struct Report<'a> {
    path: &'a Path,
    front_matter: &'a str,
    /// Lines before the front matter (the opening `+++`).
    line_offset: usize,
    errors: Vec<ContentError>,
}

impl Report<'_> {
    fn at(&mut self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) {
        let line = crate::config::line_of(self.front_matter, span.start) + self.line_offset;
        self.errors
            .push(ContentError::new(self.path, line, field, message));
    }

    /// A one-line field: headers and headings are built from it, so no control characters.
    fn text(&mut self, value: &Spanned<String>, field: &str) -> String {
        self.checked(value, field, |c| c.is_control())
    }

    /// A paragraph: line breaks are fine, other control characters are not.
    fn prose(&mut self, value: &Spanned<String>, field: &str) -> String {
        self.checked(value, field, |c| c.is_control() && c != '\n')
    }

    fn checked(&mut self, value: &Spanned<String>, field: &str, bad: fn(char) -> bool) -> String {
        let text = value.get_ref().trim();
        if text.is_empty() {
            self.at(value.span(), field, "must not be empty");
        } else if let Some(c) = text.chars().find(|&c| bad(c)) {
            self.at(
                value.span(),
                field,
                format!("contains the control character {c:?}; write it on one line without escapes like \\n or \\r"),
            );
        }
        text.to_string()
    }

    fn percent(&mut self, value: &Spanned<i64>, field: &str) -> u8 {
        match u8::try_from(*value.get_ref()) {
            Ok(p) if p <= 100 => p,
            _ => {
                self.at(
                    value.span(),
                    field,
                    format!("{} is not a percentage (0-100)", value.get_ref()),
                );
                0
            }
        }
    }
}

pub(super) fn parse(
    path: &Path,
    text: &str,
    base_url: &BaseUrl,
) -> Result<Comparison, Vec<ContentError>> {
    let fail = |line, field: &str, message: String| {
        Err(vec![ContentError::new(path, line, field, message)])
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let Some((file_date, slug)) = split_file_name(name) else {
        return fail(
            0,
            "",
            format!("file name {name:?} must look like YYYY-MM-DD-slug.md (slug: a-z, 0-9 and -)"),
        );
    };
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n");
    let Some((front_matter, body)) = split_front_matter(&text) else {
        return fail(
            1,
            "",
            "the file must start with a `+++` line, then TOML front matter, then a closing `+++` line"
                .into(),
        );
    };
    let raw: FrontMatter = match toml::from_str(front_matter) {
        Ok(raw) => raw,
        Err(e) => {
            let line_in_fm = e
                .span()
                .map(|s| crate::config::line_of(front_matter, s.start))
                .unwrap_or(0);
            let field = field_in_message(e.message())
                .or_else(|| key_on_line(front_matter, line_in_fm))
                .unwrap_or_default();
            return fail(line_in_fm + 1, &field, e.message().trim().to_string());
        }
    };

    let mut report = Report {
        path,
        front_matter,
        line_offset: 1,
        errors: Vec::new(),
    };
    let published = published(&mut report, &raw.published, file_date);
    let url = match &raw.url {
        Some(url) => {
            let value = url.get_ref().trim().to_string();
            if !(value.starts_with("https://") || value.starts_with("http://"))
                || value.contains(char::is_whitespace)
            {
                report.at(
                    url.span(),
                    "url",
                    format!("{value:?} is not an absolute http(s) URL"),
                );
            }
            value
        }
        None => format!("{base_url}/compare/{slug}"),
    };
    let tools: Vec<Tool> = raw
        .tools
        .iter()
        .enumerate()
        .map(|(i, tool)| parse_tool(&mut report, tool, i))
        .collect();
    if raw.tools.len() < 2 {
        report.at(
            raw.title.span(),
            "tools",
            format!(
                "a comparison needs at least two [[tools]], found {}",
                raw.tools.len()
            ),
        );
    }
    for (i, tool) in raw.tools.iter().enumerate() {
        if raw.tools[..i]
            .iter()
            .any(|t| t.name.get_ref() == tool.name.get_ref())
        {
            report.at(
                tool.name.span(),
                format!("tools[{i}].name"),
                format!("tool {:?} is listed twice", tool.name.get_ref()),
            );
        }
    }
    let reviews = parse_reviews(&mut report, &raw);

    let comparison = Comparison {
        slug: slug.to_string(),
        title: report.text(&raw.title, "title"),
        question: report.text(&raw.question, "question"),
        published,
        category: category(&mut report, &raw.category),
        url,
        tools,
        reviews,
        note: Some(body.trim())
            .filter(|b| !b.is_empty())
            .map(str::to_string),
    };
    if report.errors.is_empty() {
        Ok(comparison)
    } else {
        Err(report.errors)
    }
}

/// A category: one line, and without `,` or `;`, which separate names wherever readers' choices are written
/// ("Search, Voice") and stored ("Search;Voice"): a name holding one could never be chosen.
fn category(report: &mut Report<'_>, value: &Spanned<String>) -> String {
    let text = report.text(value, "category");
    if text.contains([',', ';']) {
        report.at(
            value.span(),
            "category",
            format!(
                "{text:?} contains a comma or semicolon, which separate categories in readers' choices; \
                 name it without (\"Data and Analytics\")"
            ),
        );
    }
    text
}

/// Splits `+++\n…\n+++\n body` into front matter and body.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("+++\n")?;
    if let Some(body) = rest.strip_prefix("+++\n") {
        return Some(("", body));
    }
    let end = rest
        .find("\n+++\n")
        .or_else(|| rest.strip_suffix("\n+++").map(|fm| fm.len()))?;
    let body = rest.get(end + 5..).unwrap_or("");
    Some((&rest[..end + 1], body))
}

/// The field a serde message is about: "missing field `title`" → "title".
fn field_in_message(message: &str) -> Option<String> {
    message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("field"))
        .map(str::to_string)
}

/// The key a `key = value` line sets (1-based line in `text`), for errors in values.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let (key, _) = text.lines().nth(line.checked_sub(1)?)?.split_once('=')?;
    let key = key.trim();
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    plain.then(|| key.to_string())
}

fn published(
    report: &mut Report,
    value: &Spanned<toml::value::Datetime>,
    file_date: chrono::NaiveDate,
) -> DateTime<FixedOffset> {
    let raw = value.get_ref();
    let parsed = if raw.date.is_some() && raw.time.is_some() && raw.offset.is_some() {
        DateTime::parse_from_rfc3339(&raw.to_string()).ok()
    } else {
        None
    };
    let Some(published) = parsed else {
        report.at(
            value.span(),
            "published",
            format!("{raw} needs a date, a time and an offset, like 2026-11-16T09:00:00Z"),
        );
        return DateTime::UNIX_EPOCH.fixed_offset();
    };
    if published.date_naive() != file_date {
        report.at(
            value.span(),
            "published",
            format!(
                "{raw} is on {}, but the file name says {file_date}",
                published.date_naive()
            ),
        );
    }
    published
}

fn parse_tool(report: &mut Report, tool: &ToolFrontMatter, i: usize) -> Tool {
    let field = |name: &str| format!("tools[{i}].{name}");
    let community = match (&tool.community_ship, &tool.community_votes) {
        (None, None) => None,
        (Some(ship), Some(votes)) => {
            let ship = report.percent(ship, &field("community_ship"));
            let count = match u32::try_from(*votes.get_ref()) {
                Ok(n) if n > 0 => n,
                _ => {
                    report.at(
                        votes.span(),
                        field("community_votes"),
                        format!(
                            "{} is not a vote count (1 or more; leave both community fields out when nobody has voted)",
                            votes.get_ref()
                        ),
                    );
                    0
                }
            };
            Some(CommunityVote { ship, votes: count })
        }
        (Some(ship), None) => {
            report.at(
                ship.span(),
                field("community_votes"),
                "community_ship needs community_votes too",
            );
            None
        }
        (None, Some(votes)) => {
            report.at(
                votes.span(),
                field("community_ship"),
                "community_votes needs community_ship too",
            );
            None
        }
    };
    Tool {
        name: report.text(&tool.name, &field("name")),
        tagline: report.text(&tool.tagline, &field("tagline")),
        panel_ship: report.percent(&tool.panel_ship, &field("panel_ship")),
        community,
        entry_price: report.text(&tool.entry_price, &field("entry_price")),
        summary: report.prose(&tool.summary, &field("summary")),
    }
}

fn parse_reviews(report: &mut Report, raw: &FrontMatter) -> Vec<Review> {
    let mut reviews = Vec::new();
    for (i, review) in raw.reviews.iter().enumerate() {
        let name = review.tool.get_ref();
        let Some(tool) = raw.tools.iter().position(|t| t.name.get_ref() == name) else {
            let known: Vec<&str> = raw
                .tools
                .iter()
                .map(|t| t.name.get_ref().as_str())
                .collect();
            report.at(
                review.tool.span(),
                format!("reviews[{i}].tool"),
                format!(
                    "{name:?} is not one of this comparison's tools ({})",
                    known.join(", ")
                ),
            );
            continue;
        };
        let twice = reviews
            .iter()
            .any(|r: &Review| r.tool == tool && r.lens == review.lens);
        if twice {
            report.at(
                review.tool.span(),
                format!("reviews[{i}].lens"),
                format!("{name:?} has a second {} review", review.lens.label()),
            );
        }
        let pull = review.pull.as_ref().is_some_and(|p| *p.get_ref());
        if pull && reviews.iter().any(|r: &Review| r.tool == tool && r.pull) {
            let span = review.pull.as_ref().map(|p| p.span()).unwrap_or_default();
            report.at(
                span,
                format!("reviews[{i}].pull"),
                format!("{name:?} already has a pull quote"),
            );
        }
        let quote = report.prose(&review.quote, &format!("reviews[{i}].quote"));
        reviews.push(Review {
            lens: review.lens,
            tool,
            verdict: review.verdict,
            pull,
            quote,
        });
    }
    reviews
}
