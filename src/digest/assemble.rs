//! Which comparisons go into the issue sent at time T. Pure: the clock and the record of
//! earlier issues are parameters, so the store slots in as the source of [`History`].

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;

use crate::content::Comparison;

/// What earlier issues covered: the end of the latest window and every slug already sent.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub previous_window_end: Option<DateTime<Utc>>,
    pub sent_slugs: HashSet<String>,
}

/// The issue that would go out at `window_end`.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    /// ISO week of the send time in the configured zone, e.g. `2026-W48`: the issue's identity.
    pub key: String,
    /// Exclusive start of the window.
    pub window_start: DateTime<Utc>,
    /// Inclusive end of the window: the send time.
    pub window_end: DateTime<Utc>,
    /// Newest first.
    pub comparisons: Vec<&'a Comparison>,
}

/// How far back the first issue looks.
pub const FIRST_WINDOW: Duration = Duration::days(7);

/// The ISO week of `at` in `tz`, as `YYYY-Www`.
pub fn issue_key(at: DateTime<Utc>, tz: Tz) -> String {
    let week = at.with_timezone(&tz).iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// Comparisons published after the previous issue's window and at or before `as_of`,
/// never one already sent. The first issue covers the 7 days before `as_of`.
pub fn assemble<'a>(
    all: &'a [Comparison],
    history: &History,
    as_of: DateTime<Utc>,
    tz: Tz,
) -> Selection<'a> {
    let window_start = history.previous_window_end.unwrap_or(as_of - FIRST_WINDOW);
    let mut comparisons: Vec<&Comparison> = all
        .iter()
        .filter(|c| {
            let published = c.published_utc();
            published > window_start && published <= as_of && !history.sent_slugs.contains(&c.slug)
        })
        .collect();
    comparisons.sort_by_key(|c| std::cmp::Reverse((c.published_utc(), c.slug.clone())));
    Selection {
        key: issue_key(as_of, tz),
        window_start,
        window_end: as_of,
        comparisons,
    }
}

/// The latest comparison published at or before `as_of`: where an editor looking at an empty
/// window should look instead.
pub fn latest_before(all: &[Comparison], as_of: DateTime<Utc>) -> Option<&Comparison> {
    all.iter()
        .filter(|c| c.published_utc() <= as_of)
        .max_by_key(|c| c.published_utc())
}

/// Subject line: "3 new verdicts: A vs B, C vs D and 1 more", kept short enough for inbox lists.
pub fn subject(comparisons: &[&Comparison]) -> String {
    const MAX: usize = 90;
    match comparisons {
        [] => "No new verdicts this week".to_string(),
        [only] => format!("New verdict: {}", only.title),
        all => {
            let head = format!("{} new verdicts: ", all.len());
            let mut shown = all.len();
            loop {
                let titles: Vec<&str> = all[..shown].iter().map(|c| c.title.as_str()).collect();
                let rest = all.len() - shown;
                let line = match rest {
                    0 => format!("{head}{}", join_and(&titles)),
                    n => format!("{head}{} and {n} more", titles.join(", ")),
                };
                if line.chars().count() <= MAX || shown == 1 {
                    return line;
                }
                shown -= 1;
            }
        }
    }
}

/// The hidden one-line summary that inbox lists show after the subject.
pub fn preheader(comparisons: &[&Comparison]) -> String {
    match comparisons {
        [] => String::new(),
        [first, rest @ ..] => {
            let ships: usize = comparisons.iter().map(|c| c.tools.len()).sum();
            let lead = format!(
                "{} Panel ship rates, community votes and pricing",
                first.question
            );
            if rest.is_empty() {
                format!("{lead} for {} tools.", first.tools.len())
            } else {
                format!(
                    "{lead} for {ships} tools across {} comparisons.",
                    comparisons.len()
                )
            }
        }
    }
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
