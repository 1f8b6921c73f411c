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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::PathBuf;

    use chrono::{DateTime, TimeZone, Utc};

    use super::{History, assemble, issue_key, latest_before, subject};
    use crate::config::Config;
    use crate::content::Comparison;

    /// A minimal valid comparison published at `published` (RFC 3339).
    fn comparison(slug: &str, published: &str) -> Comparison {
        let text = format!(
            "+++\ntitle = \"{slug} title\"\nquestion = \"Q?\"\npublished = {published}\ncategory = \"C\"\n\
             [[tools]]\nname = \"A\"\ntagline = \"t\"\npanel_ship = 50\nentry_price = \"Free\"\nsummary = \"s\"\n\
             [[tools]]\nname = \"B\"\ntagline = \"t\"\npanel_ship = 50\nentry_price = \"Free\"\nsummary = \"s\"\n\
             [[reviews]]\nlens = \"buyer\"\ntool = \"A\"\nverdict = \"ship\"\nquote = \"q\"\n+++\n"
        );
        let date = &published[..10];
        let path = PathBuf::from(format!("{date}-{slug}.md"));
        Comparison::parse(&path, &text, &Config::default().base_url).expect("valid")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn slugs(all: &[Comparison], history: &History, as_of: &str) -> Vec<String> {
        assemble(all, history, at(as_of), chrono_tz::UTC)
            .comparisons
            .iter()
            .map(|c| c.slug.clone())
            .collect()
    }

    #[test]
    fn first_issue_covers_the_seven_days_before_the_send_time() {
        let all = [
            comparison("too-old", "2026-11-15T09:00:00Z"),
            comparison("on-start", "2026-11-16T09:00:00Z"),
            comparison("inside", "2026-11-18T12:00:00Z"),
            comparison("on-end", "2026-11-23T09:00:00Z"),
        ];
        let got = slugs(&all, &History::default(), "2026-11-23T09:00:00Z");
        assert_eq!(
            got,
            ["on-end", "inside"],
            "newest first; start exclusive, end inclusive"
        );
    }

    #[test]
    fn window_starts_exactly_where_the_previous_issue_ended() {
        let all = [
            comparison("at-boundary", "2026-11-16T09:00:00Z"),
            comparison("just-after", "2026-11-16T09:00:01Z"),
        ];
        let history = History {
            previous_window_end: Some(at("2026-11-16T09:00:00Z")),
            sent_slugs: HashSet::new(),
        };
        assert_eq!(
            slugs(&all, &history, "2026-11-23T09:00:00Z"),
            ["just-after"]
        );
    }

    #[test]
    fn future_dated_comparison_waits_for_its_week() {
        let all = [
            comparison("now", "2026-11-22T09:00:00Z"),
            comparison("tomorrow", "2026-11-24T09:00:00Z"),
        ];
        assert_eq!(
            slugs(&all, &History::default(), "2026-11-23T09:00:00Z"),
            ["now"]
        );
    }

    #[test]
    fn comparison_already_sent_is_never_sent_again() {
        let all = [
            comparison("sent-before", "2026-11-20T09:00:00Z"),
            comparison("new", "2026-11-21T09:00:00Z"),
        ];
        let history = History {
            previous_window_end: Some(at("2026-11-16T09:00:00Z")),
            sent_slugs: HashSet::from(["sent-before".to_string()]),
        };
        assert_eq!(slugs(&all, &history, "2026-11-23T09:00:00Z"), ["new"]);
    }

    #[test]
    fn empty_week_selects_nothing_and_points_at_the_latest_content() {
        let all = [comparison("old", "2026-11-02T09:00:00Z")];
        let as_of = at("2026-11-23T09:00:00Z");
        let selection = assemble(&all, &History::default(), as_of, chrono_tz::UTC);
        assert!(selection.comparisons.is_empty());
        assert_eq!(latest_before(&all, as_of).unwrap().slug, "old");
        assert_eq!(subject(&selection.comparisons), "No new verdicts this week");
    }

    #[test]
    fn issue_key_is_the_iso_week_in_the_configured_zone() {
        let sunday_night_utc = Utc.with_ymd_and_hms(2026, 11, 22, 23, 30, 0).unwrap();
        assert_eq!(issue_key(sunday_night_utc, chrono_tz::UTC), "2026-W47");
        assert_eq!(
            issue_key(sunday_night_utc, chrono_tz::Europe::Berlin),
            "2026-W48",
            "already Monday 00:30 in Berlin"
        );
        assert_eq!(
            issue_key(sunday_night_utc, chrono_tz::America::New_York),
            "2026-W47"
        );
        let new_year = Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap();
        assert_eq!(issue_key(new_year, chrono_tz::UTC), "2026-W53");
    }

    #[test]
    fn subject_names_titles_and_stays_short() {
        let all: Vec<Comparison> = (1..=6)
            .map(|i| {
                comparison(
                    &format!("a-very-long-comparison-{i}"),
                    "2026-11-20T09:00:00Z",
                )
            })
            .collect();
        let refs: Vec<&Comparison> = all.iter().collect();
        let line = subject(&refs);
        assert!(
            line.starts_with("6 new verdicts: a-very-long-comparison-1 title"),
            "{line}"
        );
        assert!(line.ends_with("more"), "{line}");
        assert!(line.chars().count() <= 90, "{line}");
        assert_eq!(
            subject(&refs[..2]),
            "2 new verdicts: a-very-long-comparison-1 title and a-very-long-comparison-2 title"
        );
        assert_eq!(
            subject(&refs[..1]),
            "New verdict: a-very-long-comparison-1 title"
        );
    }
}
