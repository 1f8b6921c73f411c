//! Parsing a reader's list, matching categories and the edition keys equal choices share.

use std::path::PathBuf;

use super::{Categories, EditionKey, KnownCategories, match_key};
use crate::config::Config;
use crate::content::Comparison;

/// A minimal valid comparison in `category`.
fn in_category(slug: &str, category: &str) -> Comparison {
    let text = format!(
        "+++\ntitle = \"{slug}\"\nquestion = \"Q?\"\npublished = 2026-11-20T09:00:00Z\ncategory = \"{category}\"\n\
         [[tools]]\nname = \"A\"\ntagline = \"t\"\npanel_ship = 50\nentry_price = \"Free\"\nsummary = \"s\"\n\
         [[tools]]\nname = \"B\"\ntagline = \"t\"\npanel_ship = 50\nentry_price = \"Free\"\nsummary = \"s\"\n\
         [[reviews]]\nlens = \"buyer\"\ntool = \"A\"\nverdict = \"ship\"\nquote = \"q\"\n+++\n"
    );
    let path = PathBuf::from(format!("2026-11-20-{slug}.md"));
    Comparison::parse(&path, &text, &Config::default().base_url).expect("valid")
}

fn known() -> KnownCategories {
    KnownCategories::of(&[
        in_category("a", "Search"),
        in_category("b", "Voice"),
        in_category("c", "Developer Tools"),
        in_category("d", "Developer Tools"),
        in_category("e", "Developer tools"),
        in_category("f", "Data & Analytics"),
    ])
}

#[test]
fn a_list_is_split_on_commas_and_semicolons_and_matched_ignoring_case_and_spacing() {
    let categories = Categories::parse(" search ;VOICE,  developer   TOOLS ,", &known()).unwrap();
    assert_eq!(
        categories.names().collect::<Vec<_>>(),
        ["Developer Tools", "Search", "Voice"],
        "shown in the content's most common spelling, in key order"
    );
    assert!(categories.includes("Developer tools"));
    assert!(categories.includes("search"));
    assert!(!categories.includes("Data & Analytics"));
}

#[test]
fn unknown_names_are_all_named_beside_the_categories_the_content_has() {
    let error = Categories::parse("Search, Serch, Vioce, serch", &known()).unwrap_err();
    assert_eq!(error.unknown, ["Serch", "Vioce"]);
    assert_eq!(
        error.to_string(),
        "unknown categories \"Serch\", \"Vioce\": the content has Data & Analytics, Developer Tools, Search, Voice"
    );
    let one = Categories::parse("Sport", &known()).unwrap_err();
    assert!(
        one.to_string().starts_with("unknown category \"Sport\":"),
        "{one}"
    );
}

#[test]
fn a_blank_list_is_everything_and_everything_includes_any_category() {
    let categories = Categories::parse(" , ;", &known()).unwrap();
    assert!(categories.is_everything());
    assert!(categories.includes("A category from next year"));
    assert!(categories.edition().is_full());
    assert_eq!(Categories::everything().edition(), EditionKey::full());
    assert_eq!(EditionKey::full().to_string(), "full issue");
}

#[test]
fn equal_choices_written_differently_share_one_edition_key() {
    let a = Categories::parse("Voice, Search", &known()).unwrap();
    let b = Categories::parse("search;voice;SEARCH", &known()).unwrap();
    let c = Categories::from_names(["  Voice", "search "]);
    assert_eq!(a.edition(), b.edition());
    assert_eq!(a.edition(), c.edition());
    assert_eq!(a.edition().as_str(), "search;voice");
    assert_eq!(
        Categories::parse("Data & Analytics,Developer tools", &known())
            .unwrap()
            .edition()
            .as_str(),
        "data & analytics;developer tools"
    );
}

#[test]
fn stored_names_are_kept_even_when_the_content_no_longer_has_them() {
    let categories = Categories::from_names(["Retired Topic", "", "Voice"]);
    assert_eq!(
        categories.names().collect::<Vec<_>>(),
        ["Retired Topic", "Voice"]
    );
    assert!(!categories.includes("Search"));
}

#[test]
fn known_categories_are_counted_and_near_duplicates_grouped() {
    let mut all = vec![in_category("g", "DeveloperTools")];
    all.extend([
        in_category("c", "Developer Tools"),
        in_category("d", "Developer Tools"),
        in_category("e", "Developer tools"),
        in_category("a", "Search"),
    ]);
    let known = KnownCategories::of(&all);
    assert_eq!(
        known.iter().collect::<Vec<_>>(),
        [
            ("Developer Tools".to_string(), 3),
            ("DeveloperTools".to_string(), 1),
            ("Search".to_string(), 1)
        ]
    );
    assert_eq!(
        known.near_duplicates(),
        [[
            ("Developer Tools".to_string(), 2),
            ("Developer tools".to_string(), 1),
            ("DeveloperTools".to_string(), 1)
        ]]
    );
    assert!(KnownCategories::of(&all[3..]).near_duplicates().is_empty());
}

#[test]
fn match_key_lowers_case_and_collapses_whitespace() {
    assert_eq!(match_key("  Developer \t Tools "), "developer tools");
    assert_eq!(match_key("Data & Analytics"), "data & analytics");
}
