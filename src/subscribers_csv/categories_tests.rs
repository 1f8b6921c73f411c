//! The `categories` column of an import (and a Mailchimp group's column): names checked against the content,
//! bad ones refused by line, column and value, whatever they hold.

use std::path::PathBuf;

use crate::config::Config;
use crate::content::{Categories, Comparison, KnownCategories};
use crate::subscribers_csv::{ImportOptions, OnInvalid, ParsedImport, RowError, parse_import_with};

fn comparison(slug: &str, category: &str) -> Comparison {
    let text = format!(
        "+++\ntitle = \"{slug}\"\nquestion = \"Which?\"\npublished = 2026-11-20T09:00:00Z\n\
         category = \"{category}\"\n\
         [[tools]]\nname = \"A\"\ntagline = \"t\"\npanel_ship = 50\nentry_price = \"Free\"\nsummary = \"s\"\n\
         [[tools]]\nname = \"B\"\ntagline = \"t\"\npanel_ship = 50\nentry_price = \"Free\"\nsummary = \"s\"\n\
         [[reviews]]\nlens = \"buyer\"\ntool = \"A\"\nverdict = \"ship\"\nquote = \"q\"\n+++\n"
    );
    let path = PathBuf::from(format!("2026-11-20-{slug}.md"));
    Comparison::parse(&path, &text, &Config::default().base_url).expect("valid")
}

fn known() -> KnownCategories {
    KnownCategories::of(&[
        comparison("a", "Search"),
        comparison("b", "Voice"),
        comparison("c", "Developer Tools"),
    ])
}

fn import(csv: &str, column: Option<&str>) -> Result<ParsedImport, Vec<RowError>> {
    let known = known();
    parse_import_with(
        csv.as_bytes(),
        &ImportOptions {
            on_invalid: OnInvalid::Reject,
            known: &known,
            categories_column: column,
        },
    )
}

#[test]
fn a_categories_column_is_read_in_the_contents_spelling_and_empty_means_everything() {
    let parsed = import(
        "email,categories\nann@example.org,search;developer  tools\nbob@example.org,\nkim@example.org,Voice\n",
        None,
    )
    .unwrap();
    let got: Vec<Vec<&str>> = parsed
        .rows
        .iter()
        .map(|row| row.categories.names().collect())
        .collect();
    assert_eq!(
        got,
        vec![vec!["Developer Tools", "Search"], vec![], vec!["Voice"]]
    );
}

#[test]
fn a_mailchimp_group_column_named_by_the_operator_is_read_like_categories() {
    let parsed = import(
        "Email Address,First Name,Topics\nann@example.org,Ann,\"Search, Voice\"\n",
        Some("topics"),
    )
    .unwrap();
    assert_eq!(
        parsed.rows[0].categories,
        Categories::from_names(["Search", "Voice"])
    );
    let missing = import(
        "Email Address,Interests\nann@example.org,Search\n",
        Some("Topics"),
    )
    .unwrap_err();
    assert_eq!(missing[0].line, 1);
    assert!(
        missing[0]
            .message
            .contains("--categories-column \"Topics\"")
            && missing[0].message.contains("\"Interests\""),
        "{}",
        missing[0].message
    );
}

#[test]
fn an_unknown_category_is_refused_naming_line_column_value_and_the_known_ones() {
    let errors = import(
        "email,categories\nann@example.org,Search\nbob@example.org,Serch;Voice\n",
        None,
    )
    .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 3);
    assert_eq!(errors[0].column.as_deref(), Some("categories"));
    assert_eq!(errors[0].value, "Serch;Voice");
    assert_eq!(
        errors[0].to_string(),
        "line 3, column \"categories\": unknown category \"Serch\": the content has Developer Tools, Search, Voice"
    );
}

#[test]
fn formulas_and_control_characters_in_a_category_are_refused_and_shown_escaped() {
    let errors = import(
        "email,categories\n\
         ann@example.org,\"=HYPERLINK(\"\"http://evil.example\"\")\"\n\
         bob@example.org,\"Search\u{7}\u{1b}[31m\"\n\
         kim@example.org,'+Voice\n",
        None,
    )
    .unwrap_err();
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages[0].contains("unknown category \"=HYPERLINK(\\\"http://evil.example\\\")\""),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].contains("\"Search\\u{7}\\u{1b}[31m\"") && !messages[1].contains('\u{1b}'),
        "{}",
        messages[1]
    );
    assert!(
        messages[2].contains("unknown category \"+Voice\""),
        "{}",
        messages[2]
    );
}
