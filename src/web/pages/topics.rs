//! The topic parts of the pages: the category checkboxes (on the subscribe form and the preferences page) and the
//! preferences page itself (`/preferences/{token}`: topics, a pause of 1–8 weeks, unsubscribe). Plain forms, no
//! JavaScript; nothing ticked means every category, those that appear later included.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};

use super::page;
use crate::config::Config;
use crate::content::categories::match_key;
use crate::content::{Categories, KnownCategories};
use crate::web::topics_form::{ACTION_FIELD, CATEGORY_FIELD, MAX_PAUSE_WEEKS, PAUSE_FIELD};

/// The checkboxes: every category offered, and which are ticked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicBoxes {
    /// As shown, sorted ignoring case.
    pub offered: Vec<String>,
    /// Match keys of the ticked ones.
    ticked: Vec<String>,
}

impl TopicBoxes {
    /// The content's categories, with `chosen` ticked. A chosen category the content no longer has is offered too
    /// (ticked), so the reader sees it and can untick it.
    pub fn new(known: &KnownCategories, chosen: &Categories) -> TopicBoxes {
        let mut offered: Vec<String> = known.iter().map(|(name, _)| name).collect();
        for name in chosen.names() {
            if !offered.iter().any(|o| match_key(o) == match_key(name)) {
                offered.push(name.to_string());
            }
        }
        offered.sort_by_key(|name| match_key(name));
        TopicBoxes {
            offered,
            ticked: chosen.names().map(match_key).collect(),
        }
    }

    /// The same boxes with these names ticked instead (a form shown again after a mistake).
    pub fn ticking<S: AsRef<str>>(mut self, names: &[S]) -> TopicBoxes {
        self.ticked = names.iter().map(|n| match_key(n.as_ref())).collect();
        self
    }

    fn is_ticked(&self, name: &str) -> bool {
        self.ticked.contains(&match_key(name))
    }
}

/// The fieldset of checkboxes; nothing when the content has no categories (the choice would be empty).
pub fn topic_fieldset(boxes: &TopicBoxes, legend: &str) -> Markup {
    html! {
        @if !boxes.offered.is_empty() {
            fieldset.topics {
                legend { (legend) }
                p.small { "Tick none to get every topic, new ones included." }
                @for (i, name) in boxes.offered.iter().enumerate() {
                    label.check for={ "topic-" (i) } {
                        input type="checkbox" id={ "topic-" (i) } name=(CATEGORY_FIELD) value=(name)
                            checked[boxes.is_ticked(name)];
                        (name)
                    }
                }
            }
        }
    }
}

/// What the preferences page shows of the reader.
#[derive(Debug, Clone)]
pub struct PreferencesView<'a> {
    pub token: &'a str,
    pub email: &'a str,
    pub boxes: TopicBoxes,
    /// The saved choice: what the notice after saving and the summary line name.
    pub chosen: &'a Categories,
    pub paused_until: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    /// Shown on top: what was just saved, or what was wrong with the form.
    pub notice: Option<Notice>,
}

/// The line above the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Saved,
    Error(String),
}

/// A day as readers read it, in the publication's time zone: "14 December 2026".
fn day(at: DateTime<Utc>, timezone: Tz) -> String {
    at.with_timezone(&timezone).format("%-d %B %Y").to_string()
}

/// "Search, Voice", or every topic.
pub fn describe(chosen: &Categories) -> String {
    if chosen.is_everything() {
        "every topic".to_string()
    } else {
        chosen.names().collect::<Vec<_>>().join(", ")
    }
}

/// `GET /preferences/{token}`, and the answer to its form.
pub fn preferences(config: &Config, view: &PreferencesView<'_>) -> Markup {
    let action = format!("/preferences/{}", view.token);
    let paused = view.paused_until.filter(|until| *until > view.now);
    let pause_day = |weeks: i64| day(view.now + Duration::weeks(weeks), config.timezone);
    page(
        config,
        "Choose your topics",
        html! {
            h1 { "Choose your topics" }
            @match &view.notice {
                Some(Notice::Saved) => p.notice.ok role="status" {
                    "Saved. You get " (describe(view.chosen))
                    @if let Some(until) = paused { ", from " (day(until, config.timezone)) }
                    "."
                },
                Some(Notice::Error(message)) => p.notice.error id="form-error" role="alert" { (message) },
                None => {},
            }
            p.lead {
                "Issues to " strong { (view.email) } " hold the comparisons in the topics you tick."
            }
            @if let Some(until) = paused.filter(|_| view.notice != Some(Notice::Saved)) {
                p.notice.ok { "Paused: no issue until " (day(until, config.timezone)) "." }
            }
            form method="post" action=(action) {
                input type="hidden" name=(ACTION_FIELD) value="save";
                (topic_fieldset(&view.boxes, "Topics"))
                label for="pause" { "Pause" }
                select id="pause" name=(PAUSE_FIELD) {
                    option value="" selected[paused.is_none()] { "Don't pause: send every week" }
                    @if let Some(until) = paused {
                        option value="keep" selected { "Stay paused until " (day(until, config.timezone)) }
                    }
                    @for weeks in 1..=MAX_PAUSE_WEEKS {
                        option value=(weeks) {
                            "Pause for " (weeks) @if weeks == 1 { " week" } @else { " weeks" }
                            " (until " (pause_day(i64::from(weeks))) ")"
                        }
                    }
                }
                button type="submit" { "Save my choice" }
            }
            form method="post" action=(action) {
                input type="hidden" name=(ACTION_FIELD) value="unsubscribe";
                button.secondary type="submit" { "Unsubscribe from all issues" }
            }
        },
    )
}

/// A preferences link whose subscription no longer receives issues (unsubscribed, or the address bounced).
pub fn not_subscribed(config: &Config) -> Markup {
    page(
        config,
        "Not subscribed",
        html! {
            h1 { "This address is not subscribed" }
            p { "It receives no issues, so there are no topics to choose. Nothing was changed." }
            p.small { "Changed your mind? " a href="/" { "Subscribe again" } "." }
        },
    )
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::{Notice, PreferencesView, TopicBoxes, preferences, topic_fieldset};
    use crate::config::Config;
    use crate::content::{Categories, KnownCategories};

    fn known() -> KnownCategories {
        crate::web::categories::known_of(&["Voice", "Search", "Developer Tools"])
    }

    #[test]
    fn the_boxes_offer_the_contents_categories_and_a_chosen_one_it_no_longer_has() {
        let chosen = Categories::from_names(["search", "Retired"]);
        let boxes = TopicBoxes::new(&known(), &chosen);
        assert_eq!(
            boxes.offered,
            ["Developer Tools", "Retired", "Search", "Voice"]
        );
        let html = topic_fieldset(&boxes, "Topics").into_string();
        assert!(html.contains("value=\"Search\" checked"), "{html}");
        assert!(html.contains("value=\"Retired\" checked"), "{html}");
        assert!(!html.contains("value=\"Voice\" checked"), "{html}");
    }

    #[test]
    fn everything_ticks_nothing_and_no_categories_shows_no_fieldset() {
        let boxes = TopicBoxes::new(&known(), &Categories::everything());
        assert!(
            !topic_fieldset(&boxes, "Topics")
                .into_string()
                .contains("checked")
        );
        let none = TopicBoxes::new(&KnownCategories::default(), &Categories::everything());
        assert_eq!(topic_fieldset(&none, "Topics").into_string(), "");
    }

    #[test]
    fn the_page_shows_the_pause_and_escapes_what_it_echoes() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let chosen = Categories::from_names(["Voice"]);
        let html = preferences(
            &Config::default(),
            &PreferencesView {
                token: "TOKEN",
                email: "ann@example.org",
                boxes: TopicBoxes::new(&known(), &chosen),
                chosen: &chosen,
                paused_until: Some(now + chrono::Duration::weeks(3)),
                now,
                notice: Some(Notice::Error("category: \"<b>\" is unknown".into())),
            },
        )
        .into_string();
        assert!(html.contains("action=\"/preferences/TOKEN\""), "{html}");
        assert!(html.contains("no issue until 14 December 2026"), "{html}");
        assert!(
            html.contains("Pause for 8 weeks (until 18 January 2027)"),
            "{html}"
        );
        assert!(
            html.contains("&lt;b&gt;") && !html.contains("<b>"),
            "{html}"
        );
        assert!(!html.contains("<script"));
    }
}
