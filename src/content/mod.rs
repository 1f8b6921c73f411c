//! Comparisons: the typed content of one `content/YYYY-MM-DD-slug.md` file, its strict parser,
//! and the loader for the whole folder. `Comparison::parse` is pure; `load_dir` does the IO.

pub mod categories;
pub mod front_matter;
mod validate;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use crate::config::BaseUrl;
pub use categories::{Categories, EditionKey, KnownCategories, UnknownCategories};
pub use front_matter::{Lens, Verdict};

/// One published comparison of two or more tools.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// From the file name: `2026-11-16-smollm3-vs-code-llama-4.md` → `smollm3-vs-code-llama-4`.
    pub slug: String,
    pub title: String,
    pub question: String,
    pub published: DateTime<FixedOffset>,
    pub category: String,
    /// Canonical URL of the full verdict.
    pub url: String,
    pub tools: Vec<Tool>,
    pub reviews: Vec<Review>,
    /// The editor's note (Markdown), if the body is not blank.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub name: String,
    pub tagline: String,
    /// Percent of the panel that would ship it.
    pub panel_ship: u8,
    /// Community vote; `None` until somebody has voted.
    pub community: Option<CommunityVote>,
    pub entry_price: String,
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommunityVote {
    /// Percent of voters who would ship it.
    pub ship: u8,
    pub votes: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub lens: Lens,
    /// Index into `Comparison::tools`.
    pub tool: usize,
    pub verdict: Verdict,
    pub pull: bool,
    pub quote: String,
}

impl Comparison {
    /// Publication time in UTC.
    pub fn published_utc(&self) -> DateTime<Utc> {
        self.published.with_timezone(&Utc)
    }

    /// The reviews of one tool, in file order.
    pub fn reviews_of(&self, tool: usize) -> impl Iterator<Item = &Review> {
        self.reviews.iter().filter(move |r| r.tool == tool)
    }

    /// The quote shown for a tool: the one marked `pull`, else its first review.
    pub fn pull_quote(&self, tool: usize) -> Option<&Review> {
        self.reviews_of(tool)
            .find(|r| r.pull)
            .or_else(|| self.reviews_of(tool).next())
    }

    /// Reads and parses one file; errors carry its path.
    pub fn from_file(path: &Path, base_url: &BaseUrl) -> Result<Comparison, Vec<ContentError>> {
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Comparison::parse(path, &text, base_url),
                Err(e) => Err(vec![ContentError::new(
                    path,
                    line_of_byte(e.as_bytes(), e.utf8_error().valid_up_to()),
                    "",
                    "the file is not valid UTF-8",
                )]),
            },
            Err(e) => Err(vec![ContentError::new(
                path,
                0,
                "",
                format!("cannot read: {e}"),
            )]),
        }
    }

    /// Parses a file's text. `path` only names the file (slug, date, error messages); nothing is read.
    /// Returns every error found, not only the first.
    pub fn parse(
        path: &Path,
        text: &str,
        base_url: &BaseUrl,
    ) -> Result<Comparison, Vec<ContentError>> {
        validate::parse(path, text, base_url)
    }
}

/// `YYYY-MM-DD` and slug from a file name, if it has that shape.
pub fn split_file_name(name: &str) -> Option<(NaiveDate, &str)> {
    let stem = name.strip_suffix(".md")?;
    let (date, slug) = (stem.get(..10)?, stem.get(11..)?);
    if stem.as_bytes().get(10) != Some(&b'-') || slug.is_empty() {
        return None;
    }
    let slug_ok = slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    slug_ok.then_some((date, slug))
}

/// A problem in a content file: where, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is with the file as a whole.
    pub line: usize,
    /// Dotted field path such as `tools[1].panel_ship`; empty when no single field is at fault.
    pub field: String,
    pub message: String,
}

impl ContentError {
    pub fn new(
        file: &Path,
        line: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ContentError {
        ContentError {
            file: file.to_path_buf(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, " line {}", self.line)?;
        }
        if !self.field.is_empty() {
            write!(f, ", field `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Loads every comparison in `dir`, sorted by publication time, or every error in every file.
/// Hidden files, non-`.md` files and `README.md` are ignored.
pub fn load_dir(dir: &Path, base_url: &BaseUrl) -> Result<Vec<Comparison>, Vec<ContentError>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            return Err(vec![ContentError::new(
                dir,
                0,
                "",
                format!("cannot read the content folder: {e}"),
            )]);
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| is_content_file(path))
        .collect();
    paths.sort();

    let mut comparisons = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for path in paths {
        match Comparison::from_file(&path, base_url) {
            Ok(comparison) => {
                if let Some(first) = seen.get(&comparison.slug) {
                    errors.push(ContentError::new(
                        &path,
                        0,
                        "",
                        format!(
                            "duplicate slug `{}`: {} has it already",
                            comparison.slug,
                            first.display()
                        ),
                    ));
                } else {
                    seen.insert(comparison.slug.clone(), path.clone());
                    comparisons.push(comparison);
                }
            }
            Err(mut file_errors) => errors.append(&mut file_errors),
        }
    }
    if errors.is_empty() {
        comparisons.sort_by_key(|c| (c.published_utc(), c.slug.clone()));
        Ok(comparisons)
    } else {
        Err(errors)
    }
}

/// [`load_dir`] for jobs with no terminal to print to: every problem in one error.
pub fn load_dir_or_error(dir: &Path, base_url: &BaseUrl) -> anyhow::Result<Vec<Comparison>> {
    load_dir(dir, base_url).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the content is invalid; nothing was sent:\n{}",
            lines.join("\n")
        )
    })
}

fn is_content_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    path.is_file()
        && !name.starts_with('.')
        && name.ends_with(".md")
        && !name.eq_ignore_ascii_case("README.md")
}

fn line_of_byte(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
