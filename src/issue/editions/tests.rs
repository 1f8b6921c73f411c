//! The editions cache: one render per distinct choice, nothing for an edition with nothing new, and messages
//! that hold only the edition's comparisons with the reader's own links.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{EditionMessages, Editions, EditionsOptions};
use crate::config::Config;
use crate::content::{Categories, Comparison, KnownCategories};
use crate::digest::{Digest, History, RenderedIssue, assemble};
use crate::issue::{Addressee, Edition};
use crate::tokens::{Purpose, Tokens};

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

fn as_of() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T23:59:59Z")
        .unwrap()
        .to_utc()
}

fn content() -> Vec<Comparison> {
    vec![
        comparison("kagi", "Search", 9),
        comparison("deepgram", "Voice", 10),
        comparison("smollm", "Developer Tools", 11),
        // Not in this week: Design has nothing new.
        Comparison {
            published: DateTime::parse_from_rfc3339("2026-11-01T09:00:00Z").unwrap(),
            ..comparison("old", "Design", 9)
        },
    ]
}

fn options() -> EditionsOptions {
    EditionsOptions {
        issue_id: 1,
        composed_at: as_of(),
        tokens: Tokens::new(vec![7; 32], Vec::new()),
        dkim: None,
        sender: "bounces@example.org".parse().unwrap(),
        return_paths: None,
    }
}

fn reader() -> Addressee<'static> {
    Addressee {
        subscriber_id: 42,
        email: "reader@example.org",
        name: Some("Ann Reader"),
    }
}

fn text_of(raw: &[u8]) -> String {
    let raw = String::from_utf8_lossy(raw).to_string();
    let decoded =
        quoted_printable::decode(raw.as_bytes(), quoted_printable::ParseMode::Robust).unwrap();
    String::from_utf8_lossy(&decoded).to_string()
}

#[test]
fn readers_with_equal_choices_share_one_rendered_edition() {
    let all = content();
    let config = Config::default();
    let selection = assemble(&all, &History::default(), as_of(), config.timezone);
    let editions = Editions::new(&selection, &config, options());
    let known = KnownCategories::of(&all);
    let a = editions.get(&Categories::parse("Search, Voice", &known).unwrap());
    let b = editions.get(&Categories::parse("voice;SEARCH", &known).unwrap());
    assert!(Arc::ptr_eq(&a, &b), "one render for one edition");
    editions.render_all(&[
        Categories::everything(),
        Categories::parse("Design", &known).unwrap(),
        Categories::parse("Search", &known).unwrap(),
        Categories::everything(),
    ]);
    assert_eq!(editions.rendered(), 4);
    assert!(
        editions
            .cached(&Categories::parse("search", &known).unwrap().edition())
            .is_some()
    );
}

#[test]
fn an_edition_with_nothing_new_is_nothing_and_its_readers_get_no_message() {
    let all = content();
    let config = Config::default();
    let selection = assemble(&all, &History::default(), as_of(), config.timezone);
    let editions = Editions::new(&selection, &config, options());
    let design = Categories::parse("design", &KnownCategories::of(&all)).unwrap();
    assert!(matches!(
        *editions.get(&design),
        EditionMessages::NothingNew
    ));
}

#[test]
fn an_edition_message_holds_only_its_comparisons_and_the_readers_preferences_link() {
    let all = content();
    let config = Config::default();
    let selection = assemble(&all, &History::default(), as_of(), config.timezone);
    let editions = Editions::new(&selection, &config, options());
    let voice = Categories::parse("voice", &KnownCategories::of(&all)).unwrap();
    let EditionMessages::Ready(edition) = &*editions.get(&voice) else {
        panic!("Voice has something new");
    };
    let built = edition.build(reader()).unwrap();
    let text = text_of(&built.raw);
    assert!(
        text.contains("Subject: New verdict: deepgram title"),
        "{text}"
    );
    assert!(text.contains("deepgram title") && !text.contains("kagi title"));
    let token = options().tokens.sign(Purpose::Preferences, 42, as_of());
    assert!(
        text.contains(&format!("/preferences/{token}")),
        "the reader's own preferences link: {text}"
    );
    assert_eq!(
        options()
            .tokens
            .verify(Purpose::Preferences, &token, as_of()),
        Ok(42)
    );
}

#[test]
fn the_full_edition_builds_the_same_message_as_the_issue_without_editions() {
    let all = content();
    let config = Config::default();
    let selection = assemble(&all, &History::default(), as_of(), config.timezone);
    let editions = Editions::new(&selection, &config, options());
    let EditionMessages::Ready(full) = &*editions.get(&Categories::everything()) else {
        panic!("the week has comparisons");
    };
    let o = options();
    let today = Edition::new(
        o.issue_id,
        RenderedIssue::render(&Digest::new(&selection, &config), &config),
        o.composed_at,
        o.tokens,
        o.dkim,
        o.sender,
    );
    assert_eq!(
        full.build(reader()).unwrap().raw,
        today.build(reader()).unwrap().raw
    );
    // Every issue carries the reader's own preferences link, the full one too.
    let text = text_of(&full.build(reader()).unwrap().raw);
    assert!(
        text.contains("Choose your topics") && text.contains("/preferences/"),
        "{text}"
    );
}

#[test]
fn the_full_issue_given_is_used_for_readers_of_everything_instead_of_a_new_render() {
    let all = content();
    let config = Config::default();
    let selection = assemble(&all, &History::default(), as_of(), config.timezone);
    let mut stored = RenderedIssue::render(&Digest::new(&selection, &config), &config);
    // The issue as it was stored when created: a later render of the content would differ.
    stored.subject = "As stored".into();
    let o = options();
    let full = Edition::new(
        o.issue_id,
        stored,
        o.composed_at,
        o.tokens,
        o.dkim,
        o.sender,
    );
    let editions = Editions::new(&selection, &config, options()).with_full(full);
    assert_eq!(editions.rendered(), 1);
    let EditionMessages::Ready(edition) = &*editions.get(&Categories::everything()) else {
        panic!("the full issue is ready");
    };
    let text = text_of(&edition.build(reader()).unwrap().raw);
    assert!(text.contains("Subject: As stored"), "{text}");
    assert_eq!(editions.rendered(), 1, "nothing rendered for it");

    let only = Editions::full_only(
        Edition::new(
            1,
            RenderedIssue::render(&Digest::new(&selection, &config), &config),
            as_of(),
            options().tokens,
            None,
            options().sender,
        ),
        &config,
    );
    let voice = Categories::parse("voice", &KnownCategories::of(&all)).unwrap();
    assert!(matches!(*only.get(&voice), EditionMessages::NothingNew));
    assert_eq!(only.issue_id(), 1);
}

#[test]
fn with_return_paths_each_editions_message_leaves_with_its_readers_own_envelope_sender() {
    let all = content();
    let config = Config::default();
    let selection = assemble(&all, &History::default(), as_of(), config.timezone);
    let mut with_paths = options();
    let bounces: lettre::Address = "bounces@news.example.org".parse().unwrap();
    with_paths.return_paths = Some(crate::tokens::verp::ReturnPaths::new(
        &bounces,
        &with_paths.tokens,
    ));
    let editions = Editions::new(&selection, &config, with_paths.clone());
    let EditionMessages::Ready(edition) = &*editions.get(&Categories::everything()) else {
        panic!("the full issue has comparisons")
    };
    let built = edition.build(reader()).unwrap();
    assert!(
        built.sender.user().starts_with("bounces+"),
        "{}",
        built.sender
    );
    let target = with_paths
        .tokens
        .read_return_path(built.sender.as_ref(), &bounces)
        .unwrap();
    assert_eq!((target.subscriber_id, target.issue_id), (42, 1));

    let plain = Editions::new(&selection, &config, options());
    let EditionMessages::Ready(edition) = &*plain.get(&Categories::everything()) else {
        panic!("the full issue has comparisons")
    };
    assert_eq!(
        edition.build(reader()).unwrap().sender.to_string(),
        "bounces@example.org"
    );
}
