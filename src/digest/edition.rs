//! One edition of the week's issue: what readers who follow some categories get. Rendered like the full issue
//! from a [`Digest`] holding only their comparisons, with a footer naming their topics and a "Change" link
//! ([`super::PREFERENCES_PLACEHOLDER`], stamped per reader like the unsubscribe link).

use super::{Digest, RenderedIssue, Selection};
use crate::config::Config;
use crate::content::Categories;

/// An edition, rendered; or nothing, when its categories have nothing new this week (the sender skips its
/// readers rather than mail them an empty digest).
#[derive(Debug, Clone)]
pub enum EditionRender {
    Issue(Box<RenderedIssue>),
    NothingNew,
}

/// The edition of `selection` for readers of `categories`. Everything renders the full issue, byte for byte
/// what [`RenderedIssue::render`] of [`Digest::new`] gives.
pub fn render_edition(
    selection: &Selection,
    categories: &Categories,
    config: &Config,
) -> EditionRender {
    match Digest::edition(selection, categories, config) {
        Some(digest) => EditionRender::Issue(Box::new(RenderedIssue::render(&digest, config))),
        None => EditionRender::NothingNew,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use chrono::DateTime;

    use super::{EditionRender, render_edition};
    use crate::config::Config;
    use crate::content::{Categories, Comparison, KnownCategories};
    use crate::digest::{
        Digest, History, PREFERENCES_PLACEHOLDER, RenderedIssue, UNSUBSCRIBE_PLACEHOLDER, assemble,
    };

    fn comparison(slug: &str, category: &str, hour: u32) -> Comparison {
        let text = format!(
            "+++\ntitle = \"{slug} title\"\nquestion = \"Which {slug}?\"\npublished = 2026-11-20T{hour:02}:00:00Z\n\
             category = \"{category}\"\n\
             [[tools]]\nname = \"A\"\ntagline = \"t\"\npanel_ship = 50\nentry_price = \"Free\"\nsummary = \"s\"\n\
             [[tools]]\nname = \"B\"\ntagline = \"t\"\npanel_ship = 50\nentry_price = \"Free\"\nsummary = \"s\"\n\
             [[reviews]]\nlens = \"buyer\"\ntool = \"A\"\nverdict = \"ship\"\nquote = \"q\"\n+++\n"
        );
        let path = PathBuf::from(format!("2026-11-20-{slug}.md"));
        Comparison::parse(&path, &text, &Config::default().base_url).expect("valid")
    }

    fn week() -> Vec<Comparison> {
        vec![
            comparison("kagi", "Search", 9),
            comparison("deepgram", "Voice", 10),
            comparison("smollm", "Developer Tools", 11),
            comparison("perplexity", "search", 12),
        ]
    }

    fn issue(all: &[Comparison], list: &str) -> EditionRender {
        let config = Config::default();
        let as_of = DateTime::parse_from_rfc3339("2026-11-22T23:59:59Z")
            .unwrap()
            .to_utc();
        let selection = assemble(all, &History::default(), as_of, config.timezone);
        let categories = Categories::parse(list, &KnownCategories::of(all)).unwrap();
        render_edition(&selection, &categories, &config)
    }

    fn rendered(render: EditionRender) -> RenderedIssue {
        match render {
            EditionRender::Issue(issue) => *issue,
            EditionRender::NothingNew => panic!("nothing rendered"),
        }
    }

    #[test]
    fn the_full_issue_is_byte_for_byte_the_digest_without_editions_with_a_choose_your_topics_link()
    {
        let all = week();
        let config = Config::default();
        let as_of = DateTime::parse_from_rfc3339("2026-11-22T23:59:59Z")
            .unwrap()
            .to_utc();
        let selection = assemble(&all, &History::default(), as_of, config.timezone);
        let today = RenderedIssue::render(&Digest::new(&selection, &config), &config);
        let full = rendered(issue(&all, ""));
        assert_eq!(full.html, today.html);
        assert_eq!(full.text, today.text);
        assert_eq!(full.subject, today.subject);
        assert_eq!(full.preheader, today.preheader);
        // The full issue has no topics line, but links the reader's preferences all the same.
        assert!(!full.html.contains("You get:") && !full.text.contains("You get:"));
        assert!(
            full.html.contains("Choose your topics</a>"),
            "{}",
            full.html
        );
        assert!(
            full.text.contains(&format!(
                "You get every topic · Choose your topics:\n{PREFERENCES_PLACEHOLDER}\n"
            )),
            "{}",
            full.text
        );
        assert!(full.has_preferences_link());
    }

    #[test]
    fn an_edition_holds_only_its_categories_and_its_subject_and_count_say_so() {
        let edition = rendered(issue(&week(), "search"));
        for part in [&edition.html, &edition.text] {
            assert!(part.contains("kagi title") && part.contains("perplexity title"));
            assert!(!part.contains("deepgram title") && !part.contains("smollm title"));
            assert!(part.contains("2 new verdicts this week"), "{part}");
        }
        assert_eq!(
            edition.subject,
            "2 new verdicts: perplexity title and kagi title"
        );
        assert!(
            edition.preheader.starts_with("Which perplexity?")
                && edition
                    .preheader
                    .ends_with("for 4 tools across 2 comparisons."),
            "{}",
            edition.preheader
        );
        let one = rendered(issue(&week(), "Voice"));
        assert_eq!(one.subject, "New verdict: deepgram title");
        assert!(one.text.contains("1 new verdict this week"));
    }

    #[test]
    fn an_edition_footer_names_its_topics_and_links_change_to_the_preferences_placeholder() {
        let edition = rendered(issue(&week(), "Voice;search"));
        assert!(
            edition.text.contains(&format!(
                "You get: Search, Voice · Change:\n{PREFERENCES_PLACEHOLDER}\n"
            )),
            "{}",
            edition.text
        );
        assert!(
            edition
                .html
                .contains("You get: Search, Voice · <a href=\"%%PREFERENCES_URL%%\""),
            "{}",
            edition.html
        );
        assert!(edition.html.contains(">Change</a>"));
        assert!(
            edition.html.contains(UNSUBSCRIBE_PLACEHOLDER)
                && edition.text.contains(UNSUBSCRIBE_PLACEHOLDER)
        );
        assert!(edition.has_preferences_link());
    }

    #[test]
    fn an_edition_whose_categories_have_nothing_new_renders_nothing() {
        let mut all = week();
        all.push(Comparison {
            published: DateTime::parse_from_rfc3339("2026-11-02T09:00:00Z").unwrap(),
            ..comparison("old", "Design", 9)
        });
        assert!(matches!(issue(&all, "Design"), EditionRender::NothingNew));
        assert!(matches!(issue(&[], ""), EditionRender::NothingNew));
    }
}
