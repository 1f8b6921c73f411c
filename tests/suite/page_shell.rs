//! One look everywhere: every HTML page the server answers with (the subscription pages, their errors, the
//! archive index and its 404) is rendered inside the one page shell, and the emails (the confirmation mail and the
//! issue as the archive shows it) use no colour outside the shared palette.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use serde_json::json;
use weekly_verdicts::content;
use weekly_verdicts::digest::{self, Digest, History, RenderedIssue};
use weekly_verdicts::look::palette;
use weekly_verdicts::look::shell::STYLESHEET;
use weekly_verdicts::store::{IssueComparison, IssueCreated, NewIssue};
use weekly_verdicts::tokens::Purpose;

use crate::support::app::{TestApp, decoded, spawn_app, spawn_app_with};
use crate::support::chromium::Browser;

const VIEWPORT: &str = "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots")
        .join(name)
}

/// Every `#rrggbb` in `html` that is not a palette colour.
fn stray_colours(html: &str) -> Vec<String> {
    let bytes = html.as_bytes();
    let mut stray = Vec::new();
    for (at, _) in html.match_indices('#') {
        let hex = &bytes[at + 1..];
        let digits = hex.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if digits == 6 {
            let colour = html[at..at + 7].to_ascii_lowercase();
            if !palette::ALL_COLOURS.contains(&colour.as_str()) {
                stray.push(colour);
            }
        }
    }
    stray
}

/// The head and stylesheet of the shell, one stylesheet only, no script, no colour of its own.
fn assert_shell_head(what: &str, html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"), "{what}: {html}");
    assert!(html.contains(VIEWPORT), "{what}: no viewport meta: {html}");
    assert!(
        html.contains(&format!("<style>{STYLESHEET}</style>")),
        "{what}: not the shell's stylesheet: {html}"
    );
    assert_eq!(html.matches("<style").count(), 1, "{what}: {html}");
    assert!(!html.contains("<script"), "{what}: {html}");
    assert!(
        html.contains("<main><div class=\"card\">"),
        "{what}: {html}"
    );
    let without_stylesheet = html.replace(STYLESHEET, "");
    assert_eq!(
        stray_colours(&without_stylesheet),
        Vec::<String>::new(),
        "{what}"
    );
}

/// The whole shell: head, the site's name on top of the card, the postal address in the footer.
fn assert_in_shell(app: &TestApp, what: &str, html: &str) {
    assert_shell_head(what, html);
    assert!(
        html.contains(&format!("<p class=\"brand\">{}</p>", app.config.site_name)),
        "{what}: no brand line: {html}"
    );
    assert!(
        html.contains(&format!("<footer>{}</footer>", app.config.postal_address)),
        "{what}: no footer: {html}"
    );
}

async fn page(app: &TestApp, response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status, "{}", app.address);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        response.headers()
    );
    response.text().await.unwrap()
}

/// The fixture week, rendered by the digest's own code, stored as `send` stores it.
fn store_fixture_issue(app: &TestApp) -> String {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/content");
    let comparisons = content::load_dir(&fixtures, &app.config.base_url).unwrap();
    let as_of = Utc.with_ymd_and_hms(2026, 11, 22, 22, 59, 0).unwrap();
    let selection = digest::assemble(
        &comparisons,
        &History::default(),
        as_of,
        app.config.timezone,
    );
    let rendered = RenderedIssue::render(&Digest::new(&selection, &app.config), &app.config);
    let new = NewIssue {
        key: rendered.key.clone(),
        window_start: as_of - chrono::Duration::days(7),
        window_end: as_of,
        subject: rendered.subject.clone(),
        preheader: rendered.preheader.clone(),
        html: rendered.html.clone(),
        text: rendered.text.clone(),
        comparisons: selection
            .comparisons
            .iter()
            .map(|c| IssueComparison {
                slug: c.slug.clone(),
                title: c.title.clone(),
            })
            .collect(),
    };
    let created = app.store().create_issue(&new, as_of).unwrap();
    assert!(
        matches!(created, IssueCreated::Created { .. }),
        "{created:?}"
    );
    rendered.key
}

#[tokio::test]
async fn every_html_page_the_server_answers_with_is_rendered_inside_the_one_page_shell() {
    let app = spawn_app().await;
    let mut pages = vec![
        ("GET /", page(&app, app.get("/").await, 200).await),
        (
            "GET /subscribe",
            page(&app, app.get("/subscribe").await, 200).await,
        ),
        (
            "GET /unsubscribe",
            page(&app, app.get("/unsubscribe").await, 200).await,
        ),
        ("404", page(&app, app.get("/no/such/page").await, 404).await),
        (
            "empty archive",
            page(&app, app.get("/archive").await, 200).await,
        ),
        (
            "bad confirm token",
            page(&app, app.get("/confirm/not-a-token").await, 400).await,
        ),
        (
            "bad unsubscribe token",
            page(&app, app.get("/unsubscribe/not-a-token").await, 400).await,
        ),
        (
            "form error",
            page(&app, app.subscribe("not an address", "").await, 400).await,
        ),
        (
            "check inbox",
            page(&app, app.subscribe("ann@example.org", "Ann").await, 200).await,
        ),
    ];

    let mail = app.mails(1).await.remove(0);
    let confirm = app.confirm_path(&mail);
    pages.push((
        "confirm page",
        page(&app, app.get(&confirm).await, 200).await,
    ));
    pages.push((
        "confirmed",
        page(&app, app.post_form(&confirm, &[]).await, 200).await,
    ));
    let ann = app.subscriber("ann@example.org").unwrap();
    let token = app
        .tokens
        .sign(Purpose::Unsubscribe, ann.id, app.clock.now());
    let unsubscribe = format!("/unsubscribe/{token}");
    pages.push((
        "unsubscribe page",
        page(&app, app.get(&unsubscribe).await, 200).await,
    ));

    let preferences = format!(
        "/preferences/{}",
        app.tokens
            .sign(Purpose::Preferences, ann.id, app.clock.now())
    );
    pages.push((
        "preferences page",
        page(&app, app.get(&preferences).await, 200).await,
    ));
    let fields = [("action", "save"), ("category", "Search"), ("pause", "3")];
    pages.push((
        "preferences saved",
        page(&app, app.post_form(&preferences, &fields).await, 200).await,
    ));
    let fields = [("action", "save"), ("pause", "99")];
    pages.push((
        "preferences form error",
        page(&app, app.post_form(&preferences, &fields).await, 400).await,
    ));
    pages.push((
        "bad preferences token",
        page(&app, app.get("/preferences/not-a-token").await, 400).await,
    ));

    let key = store_fixture_issue(&app);
    let index = page(&app, app.get("/archive").await, 200).await;
    assert!(
        index.contains(&format!("href=\"/archive/{key}\"")),
        "{index}"
    );
    pages.push(("archive index", index));
    pages.push((
        "missing issue",
        page(&app, app.get("/archive/2026-W01").await, 404).await,
    ));
    let fields = [("List-Unsubscribe", "One-Click")];
    pages.push((
        "unsubscribed",
        page(&app, app.post_form(&unsubscribe, &fields).await, 200).await,
    ));
    pages.push((
        "preferences of an unsubscribed reader",
        page(&app, app.get(&preferences).await, 200).await,
    ));

    for (what, html) in &pages {
        assert_in_shell(&app, what, html);
    }
}

#[tokio::test]
async fn answers_given_before_a_handler_runs_still_carry_the_shells_head_and_stylesheet() {
    let app = spawn_app_with(|config| config.post_rate_limit_per_minute = 1).await;
    app.subscribe("first@example.org", "").await;
    let limited = page(&app, app.subscribe("second@example.org", "").await, 429).await;
    assert_shell_head("rate limited", &limited);
}

#[tokio::test]
async fn the_confirmation_mail_and_the_archived_issue_use_only_the_palettes_colours() {
    let app = spawn_app().await;
    app.subscribe("ann@example.org", "").await;
    let mail = app.mails(1).await.remove(0);
    let body = decoded(&mail);
    let html = &body[body.find("<!DOCTYPE html>").expect("an HTML part")..];
    for colour in [
        palette::PAGE_BG,
        palette::SURFACE,
        palette::ACCENT,
        palette::TEXT,
    ] {
        assert!(html.contains(colour), "{colour} in {html}");
    }
    assert!(html.contains(palette::FONT_STACK), "{html}");
    assert_eq!(stray_colours(html), Vec::<String>::new(), "{html}");

    app.confirm(&app.confirm_path(&mail)).await;
    let key = store_fixture_issue(&app);
    let issue = page(&app, app.get(&format!("/archive/{key}")).await, 200).await;
    assert!(issue.contains(VIEWPORT), "{issue}");
    for colour in [
        palette::PAGE_BG,
        palette::ACCENT,
        palette::DARK_PAGE_BG,
        palette::SHIP,
    ] {
        assert!(issue.contains(colour), "{colour} in the archived issue");
    }
    assert_eq!(stray_colours(&issue), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_index_is_styled_by_the_shell_in_chromium_under_the_shells_policy() {
    let app = spawn_app().await;
    app.subscribe("ann@example.org", "").await;
    let mail = app.mails(1).await.remove(0);
    app.confirm(&app.confirm_path(&mail)).await;
    store_fixture_issue(&app);
    let mut browser = Browser::launch().await;
    browser.emulate_phone(375, 812).await;
    browser.emulate_color_scheme("dark").await;
    browser.navigate(&app.url("/archive")).await;
    browser
        .screenshot(&screenshot_path("archive-375-dark.png"))
        .await;
    browser.emulate_color_scheme("light").await;
    browser.navigate(&app.url("/archive")).await;
    browser
        .screenshot(&screenshot_path("archive-375.png"))
        .await;

    // Only applied if the policy's hash lets the stylesheet in.
    let brand = browser
        .eval("getComputedStyle(document.querySelector('.brand')).color")
        .await;
    assert_eq!(brand, json!("rgb(29, 78, 216)"), "the palette's accent");
    let page_width = browser.eval("document.documentElement.scrollWidth").await;
    assert!(page_width.as_u64().unwrap() <= 375, "{page_width} px wide");
}
