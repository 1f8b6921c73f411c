//! The subscribe flow in headless Chromium: a reader on a phone opens the page, types an address, taps the
//! button, sees "Check your inbox", then opens the mailed link and sees the confirmation. Screenshots of each page
//! (the subscribe page light and dark) go to `target/tmp/screenshots/` for a person to look at.

use std::path::PathBuf;

use serde_json::json;
use weekly_verdicts::store::Status;

use crate::support::app::spawn_app;
use crate::support::chromium::Browser;

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_subscribes_on_a_phone_in_chromium_and_confirms_with_the_button_the_mailed_link_shows()
 {
    let app = spawn_app().await;
    let mut browser = Browser::launch().await;
    browser.emulate_phone(375, 812).await;

    browser.emulate_color_scheme("dark").await;
    browser.navigate(&app.url("/")).await;
    browser
        .screenshot(&screenshot_path("subscribe-375-dark.png"))
        .await;
    browser.emulate_color_scheme("light").await;
    browser.navigate(&app.url("/")).await;
    browser
        .screenshot(&screenshot_path("subscribe-375.png"))
        .await;

    // The stylesheet is allowed by the Content-Security-Policy (its hash), and nothing is wider than the phone.
    let button_colour = browser
        .eval("getComputedStyle(document.querySelector('button[type=submit]')).backgroundColor")
        .await;
    assert_eq!(button_colour, json!("rgb(29, 78, 216)"));
    let page_width = browser.eval("document.documentElement.scrollWidth").await;
    assert!(
        page_width.as_u64().unwrap() <= 375,
        "the page is {page_width} px wide"
    );
    // The honeypot is out of sight.
    let trap_right = browser
        .eval("document.getElementById('website').getBoundingClientRect().right")
        .await;
    assert!(trap_right.as_f64().unwrap() < 0.0, "{trap_right}");

    browser.type_into("#email", "reader@example.org").await;
    browser.type_into("#name", "Zoë Reader").await;
    browser.click_and_wait_for_load("button[type=submit]").await;
    let heading = browser
        .eval("document.querySelector('h1').textContent")
        .await;
    assert_eq!(heading, json!("Check your inbox"));
    browser
        .screenshot(&screenshot_path("check-inbox-375.png"))
        .await;
    let reader = app.subscriber("reader@example.org").expect("stored");
    assert_eq!(reader.status, Status::Pending);
    assert_eq!(reader.name.as_deref(), Some("Zoë Reader"));

    let mail = app.mails(1).await.remove(0);
    // Opening the link (all a link scanner does) shows one button and confirms nothing.
    browser.navigate(&app.url(&app.confirm_path(&mail))).await;
    let heading = browser
        .eval("document.querySelector('h1').textContent")
        .await;
    assert_eq!(heading, json!("Confirm your subscription"));
    let buttons = browser
        .eval("document.querySelectorAll('button').length")
        .await;
    assert_eq!(buttons, json!(1));
    assert_eq!(
        app.subscriber("reader@example.org").unwrap().status,
        Status::Pending
    );
    browser
        .screenshot(&screenshot_path("confirm-button-375.png"))
        .await;
    // The button confirms.
    browser.click_and_wait_for_load("button[type=submit]").await;
    let heading = browser
        .eval("document.querySelector('h1').textContent")
        .await;
    assert_eq!(heading, json!("You're subscribed"));
    browser
        .screenshot(&screenshot_path("confirmed-375.png"))
        .await;
    assert_eq!(
        app.subscriber("reader@example.org").unwrap().status,
        Status::Confirmed
    );
}

/// The values of the ticked category boxes on the page.
async fn ticked(browser: &mut Browser) -> serde_json::Value {
    browser
        .eval("Array.from(document.querySelectorAll('input[name=category]:checked')).map(e => e.value)")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_ticks_topics_then_changes_them_pauses_and_unsubscribes_from_a_delivered_issues_link_in_chromium()
 {
    let app = spawn_app().await;
    let mut browser = Browser::launch().await;
    browser.emulate_phone(375, 812).await;

    // Subscribing, with two boxes ticked by tapping them.
    browser.navigate(&app.url("/")).await;
    browser.type_into("#email", "reader@example.org").await;
    browser.click("input[value='Search']").await;
    browser.click("input[value='Voice']").await;
    assert_eq!(ticked(&mut browser).await, json!(["Search", "Voice"]));
    browser.click_and_wait_for_load("button[type=submit]").await;
    let mail = app.mails(1).await.remove(0);
    browser.navigate(&app.url(&app.confirm_path(&mail))).await;
    browser.click_and_wait_for_load("button[type=submit]").await;
    let link = browser
        .eval("document.querySelector('a[href^=\"/preferences/\"]').textContent")
        .await;
    assert_eq!(link, json!("Choose your topics"));
    let reader = app.subscriber("reader@example.org").unwrap();
    let names: Vec<&str> = reader.categories.names().collect();
    assert_eq!(names, ["Search", "Voice"]);

    // The link in the issue the sender delivered.
    let digest = crate::web_topics::send_sample_week(&app, "reader@example.org").await;
    let path = crate::web_topics::preferences_path(&app, &digest);
    browser.navigate(&app.url(&path)).await;
    assert_eq!(ticked(&mut browser).await, json!(["Search", "Voice"]));
    let page_width = browser.eval("document.documentElement.scrollWidth").await;
    assert!(page_width.as_u64().unwrap() <= 375, "{page_width} px wide");
    browser
        .screenshot(&screenshot_path("preferences-375.png"))
        .await;
    browser.emulate_color_scheme("dark").await;
    browser.navigate(&app.url(&path)).await;
    browser
        .screenshot(&screenshot_path("preferences-375-dark.png"))
        .await;
    browser.emulate_color_scheme("light").await;
    browser.navigate(&app.url(&path)).await;

    // Voice off, Developer Tools on, a pause of three weeks, saved.
    browser.click("input[value='Voice']").await;
    browser.click("input[value='Developer Tools']").await;
    // The test's probe picks the option, as a reader's tap on the list would.
    browser
        .eval("document.querySelector('#pause').value = '3'")
        .await;
    browser
        .click_and_wait_for_load("input[value=save] ~ button[type=submit]")
        .await;
    let notice = browser
        .eval("document.querySelector('.notice.ok').textContent")
        .await;
    assert_eq!(
        notice,
        json!("Saved. You get Developer Tools, Search, from 14 December 2026.")
    );
    browser
        .screenshot(&screenshot_path("preferences-saved-375.png"))
        .await;

    // A reload shows the saved choice; the store has it, and the consent history says so.
    browser.navigate(&app.url(&path)).await;
    assert_eq!(
        ticked(&mut browser).await,
        json!(["Developer Tools", "Search"])
    );
    assert_eq!(
        browser.eval("document.querySelector('#pause').value").await,
        json!("keep")
    );
    let reader = app.subscriber("reader@example.org").unwrap();
    let names: Vec<&str> = reader.categories.names().collect();
    assert_eq!(names, ["Developer Tools", "Search"]);
    assert_eq!(
        reader.paused_until,
        Some(app.clock.now() + chrono::Duration::weeks(3))
    );
    let last = app
        .store()
        .consent_history(&"reader@example.org".parse().unwrap())
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(last.event, "topics");
    assert_eq!(
        last.detail.as_deref(),
        Some("topics: Developer Tools, Search; paused until 2026-12-14 09:00 UTC")
    );

    // The other button unsubscribes.
    browser.click_and_wait_for_load("button.secondary").await;
    let heading = browser
        .eval("document.querySelector('h1').textContent")
        .await;
    assert_eq!(heading, json!("You're unsubscribed"));
    assert_eq!(
        app.subscriber("reader@example.org").unwrap().status,
        Status::Unsubscribed
    );
}
