use chrono::{Duration, TimeZone, Utc};

use super::{Pause, PreferencesRequest, parse_categories, parse_preferences};
use crate::content::{Categories, KnownCategories};
use crate::web::categories::known_of;

fn known() -> KnownCategories {
    known_of(&["Search", "Voice", "Developer Tools"])
}

fn save(body: &str) -> (Vec<String>, Pause) {
    match parse_preferences(body.as_bytes(), &known(), &Categories::everything()).unwrap() {
        PreferencesRequest::Save { categories, pause } => {
            (categories.names().map(str::to_string).collect(), pause)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ticked_boxes_become_the_choice_in_the_contents_spelling_and_repeats_count_once() {
    assert_eq!(
        save("action=save&category=voice&category=Search&category=VOICE&pause="),
        (vec!["Search".into(), "Voice".into()], Pause::None)
    );
    assert_eq!(
        save("action=save&category=developer+tools&pause=3"),
        (vec!["Developer Tools".into()], Pause::Weeks(3))
    );
    assert_eq!(save("action=save&pause=keep"), (vec![], Pause::Keep));
    assert_eq!(save("action=save"), (vec![], Pause::None));
    assert_eq!(
        parse_preferences(
            b"action=unsubscribe&category=Nope",
            &known(),
            &Categories::everything()
        ),
        Ok(PreferencesRequest::Unsubscribe)
    );
}

#[test]
fn bad_values_are_refused_naming_the_field_and_the_value() {
    for (body, expected) in [
        (
            "action=save&category=Serch",
            "category: unknown category \"Serch\": the content has Developer Tools, Search, Voice",
        ),
        (
            "category=Sea%00rch",
            "category: \"Sea\\0rch\" has a control character",
        ),
        (
            "category=Search%0D%0ABcc:x",
            "category: \"Search\\r\\nBcc:x\" has a control character",
        ),
        (
            "category=Search,Voice",
            "category: \"Search,Voice\" is one category per value, without commas or semicolons",
        ),
        (
            "pause=9",
            "pause: \"9\" is not a number of weeks from 1 to 8",
        ),
        (
            "pause=-1",
            "pause: \"-1\" is not a number of weeks from 1 to 8",
        ),
        ("action=save&pause=1&pause=2", "pause: sent more than once"),
        (
            "action=delete",
            "action: \"delete\" is not save or unsubscribe",
        ),
        (
            "action=save&action=unsubscribe",
            "action: sent more than once",
        ),
        ("pause=1&laction=x", "action: missing (save or unsubscribe)"),
        (
            "category=%FF",
            "category: unknown category \"\u{fffd}\": the content has Developer Tools, Search, Voice",
        ),
    ] {
        // The page's forms always send their action.
        let body = if body.contains("action=") {
            body.to_string()
        } else {
            format!("action=save&{body}")
        };
        let problem =
            parse_preferences(body.as_bytes(), &known(), &Categories::everything()).unwrap_err();
        assert_eq!(problem.to_string(), expected, "{body}");
    }
    let long = format!("action=save&category={}", "x".repeat(5000));
    let problem =
        parse_preferences(long.as_bytes(), &known(), &Categories::everything()).unwrap_err();
    assert!(problem.to_string().len() < 120, "{problem}");
    let many: Vec<&str> = vec!["Search"; 201];
    assert!(parse_categories("category", &many, &known()).is_err());
}

#[test]
fn a_kept_category_the_content_no_longer_has_can_stay_ticked_but_not_be_added() {
    let kept = Categories::from_names(["Retired Topic", "Search"]);
    let body = b"action=save&category=retired+topic&category=Voice";
    let PreferencesRequest::Save { categories, .. } =
        parse_preferences(body, &known(), &kept).unwrap()
    else {
        panic!("a save")
    };
    assert_eq!(
        categories.names().collect::<Vec<_>>(),
        ["Retired Topic", "Voice"]
    );
    let refused = parse_preferences(
        b"action=save&category=Retired",
        &known(),
        &Categories::everything(),
    );
    assert!(refused.is_err());
}

#[test]
fn a_pause_ends_weeks_from_now_and_keep_keeps_only_a_pause_still_running() {
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    let later = now + Duration::days(3);
    assert_eq!(
        Pause::Weeks(2).until(None, now),
        Some(now + Duration::days(14))
    );
    assert_eq!(Pause::Keep.until(Some(later), now), Some(later));
    assert_eq!(Pause::Keep.until(Some(now - Duration::days(1)), now), None);
    assert_eq!(Pause::None.until(Some(later), now), None);
}
