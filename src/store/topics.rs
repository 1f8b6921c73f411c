//! A reader's topics: the categories they follow (empty: everything) and a pause, read and changed through their
//! preferences link (or by the operator), each change recorded in the consent history. The ledger keeps the
//! categories each recipient had when an issue was created (`deliveries.categories`): the edition they are sent,
//! however they change their choice afterwards.
//!
//! Stored as the names shown to readers joined by `;` ("Search;Voice"), so a ledger row can say "You get:
//! Search, Voice" without the content at hand; matching a name to the content ignores case and spacing
//! ([`crate::content::categories::match_key`]).

use chrono::{DateTime, Utc};

use crate::content::Categories;
use crate::store::Status;

/// How many confirmed readers follow one choice of categories, and how many of them are paused at the time
/// asked: what an issue created then would hold per edition (`send --dry-run` counts from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceCount {
    pub categories: Categories,
    pub readers: u64,
    pub paused: u64,
}

/// What a preferences page shows: the subscription and its current choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderTopics {
    pub subscriber_id: u64,
    pub email: String,
    pub status: Status,
    pub categories: Categories,
    /// Issues created before this time skip the reader; `None` when not paused (or the pause is over).
    pub paused_until: Option<DateTime<Utc>>,
}

/// A reader's new choice, replacing the old one whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicsChange {
    pub categories: Categories,
    /// `None` ends a pause.
    pub paused_until: Option<DateTime<Utc>>,
}

/// The stored form of a choice: the names as shown, `;`-joined; empty for everything.
pub(crate) fn stored(categories: &Categories) -> String {
    categories.names().collect::<Vec<_>>().join(";")
}

/// Reads a stored choice back. A category the content no longer has stays in it and simply matches nothing.
pub(crate) fn from_stored(text: &str) -> Categories {
    Categories::from_names(text.split(';'))
}

/// A pause that is over is no pause.
pub(crate) fn current_pause(
    paused_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    paused_until.filter(|until| *until > now)
}

/// The consent history's words for a change: what was chosen, and the pause.
pub(crate) fn change_detail(change: &TopicsChange) -> String {
    let chosen = if change.categories.is_everything() {
        "everything".to_string()
    } else {
        change.categories.names().collect::<Vec<_>>().join(", ")
    };
    match change.paused_until {
        Some(until) => format!(
            "topics: {chosen}; paused until {}",
            until.format("%Y-%m-%d %H:%M UTC")
        ),
        None => format!("topics: {chosen}; not paused"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::{TopicsChange, change_detail, current_pause, from_stored, stored};
    use crate::content::Categories;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn a_choice_reads_back_as_stored_and_everything_is_the_empty_text() {
        let chosen = Categories::from_names(["Voice", "Developer Tools", "search"]);
        let text = stored(&chosen);
        assert_eq!(text, "Developer Tools;search;Voice");
        assert_eq!(from_stored(&text), chosen);
        assert_eq!(stored(&Categories::everything()), "");
        assert!(from_stored("").is_everything());
    }

    #[test]
    fn the_history_says_what_was_chosen_and_until_when_paused() {
        let change = TopicsChange {
            categories: Categories::from_names(["Search", "Voice"]),
            paused_until: Some(at("2026-12-20T00:00:00Z")),
        };
        assert_eq!(
            change_detail(&change),
            "topics: Search, Voice; paused until 2026-12-20 00:00 UTC"
        );
        let everything = TopicsChange {
            categories: Categories::everything(),
            paused_until: None,
        };
        assert_eq!(change_detail(&everything), "topics: everything; not paused");
    }

    #[test]
    fn a_pause_that_ended_is_no_pause() {
        let now = at("2026-12-01T00:00:00Z");
        assert_eq!(current_pause(Some(at("2026-11-30T00:00:00Z")), now), None);
        assert_eq!(current_pause(Some(now), now), None);
        let later = at("2026-12-08T00:00:00Z");
        assert_eq!(current_pause(Some(later), now), Some(later));
    }
}
