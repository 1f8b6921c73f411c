//! The HTML part in a real browser: headless Chromium lays the digest out at desktop and phone
//! widths, light and dark, and a script measures that every comparison's title and each tool's
//! panel and community numbers are visible (size, display, visibility, opacity, not covered,
//! inside the page, readable contrast). Screenshots land in `target/tmp/screenshots/` to look at.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Duration as Days, Utc};
use serde_json::{Value, json};
use weekly_verdicts::config::Config;

use crate::support::http::StaticServer;
use crate::support::preview::{
    Rendered, SAMPLE_AS_OF, render, render_with, sample_content, write_busy_week,
};
use crate::support::tools::{chromium_command, run_with_timeout};

/// One way of looking at the email.
#[derive(Clone, Copy)]
struct View {
    width: u32,
    dark: bool,
}

const DESKTOP: View = View {
    width: 700,
    dark: false,
};
const PHONE: View = View {
    width: 375,
    dark: false,
};
const DESKTOP_DARK: View = View {
    width: 700,
    dark: true,
};
const PHONE_DARK: View = View {
    width: 375,
    dark: true,
};

impl View {
    fn name(self) -> String {
        format!("{}{}", self.width, if self.dark { "-dark" } else { "" })
    }
}

/// What must be visible: each comparison's title and, per tool, its name, panel ship value and
/// community value, as the content files say (read independently of the renderer).
fn expectations(content: &Path) -> Value {
    expectations_where(content, |_| true)
}

/// [`expectations`] for the comparisons `keep` keeps (an edition's).
fn expectations_where(
    content: &Path,
    keep: impl Fn(&weekly_verdicts::content::Comparison) -> bool,
) -> Value {
    let as_of: DateTime<Utc> = format!("{SAMPLE_AS_OF}T23:59:59Z").parse().unwrap();
    let config = Config::default();
    let all = weekly_verdicts::content::load_dir(content, &config.base_url).expect("valid content");
    let week: Vec<Value> = all
        .iter()
        .filter(|c| c.published_utc() <= as_of && c.published_utc() > as_of - Days::days(7))
        .filter(|c| keep(c))
        .map(|c| {
            let tools: Vec<Value> = c
                .tools
                .iter()
                .map(|t| {
                    let community = match t.community {
                        Some(v) => format!("{}% of {}", v.ship, weekly_verdicts::digest::thousands(v.votes)),
                        None => "No votes yet".to_string(),
                    };
                    json!({"name": t.name, "panel": format!("{}%", t.panel_ship), "community": community})
                })
                .collect();
            json!({"title": c.title, "tools": tools})
        })
        .collect();
    assert!(!week.is_empty(), "the week has comparisons");
    Value::Array(week)
}

/// Loads the wrapper page (which iframes `digest.html` from the same origin and runs the
/// measuring script) and returns the script's report.
fn measure(rendered: &Rendered, expected: &Value, view: View) -> Value {
    let page = include_str!("../fixtures/browser_check.html")
        .replace("/*EXPECTED*/null", &expected.to_string())
        .replace("/*WIDTH*/700", &view.width.to_string());
    std::fs::write(rendered.path("check.html"), page).unwrap();
    let server = StaticServer::start(rendered.dir.path());
    let profile = tempfile::tempdir().unwrap();
    let mut command = chromium_command(profile.path());
    command
        .arg(format!("--window-size={},1200", view.width))
        .args(["--virtual-time-budget=10000", "--dump-dom"])
        .arg(server.url("check.html"));
    if view.dark {
        command.arg("--force-dark-mode");
    }
    let output = run_with_timeout(&mut command, Duration::from_secs(90));
    let dom = String::from_utf8_lossy(&output.stdout);
    let encoded = dom
        .split_once("<pre id=\"result\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(result, _)| result.trim())
        .unwrap_or_else(|| {
            panic!(
                "no result from Chromium ({:?}):\n{dom}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let json = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap_or_else(|_| panic!("the page reported: {encoded}"));
    serde_json::from_slice(&json).unwrap()
}

/// Full-page screenshot of `digest.html` into `target/tmp/screenshots/NAME-VIEW.png`.
fn screenshot(rendered: &Rendered, view: View, height: u64, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}-{}.png", view.name()));
    let _ = std::fs::remove_file(&file);
    let profile = tempfile::tempdir().unwrap();
    let mut command = chromium_command(profile.path());
    command
        .arg(format!(
            "--window-size={},{}",
            view.width,
            height.clamp(600, 32_000)
        ))
        .arg(format!("--screenshot={}", file.display()))
        .arg(format!("file://{}", rendered.path("digest.html").display()));
    if view.dark {
        command.arg("--force-dark-mode");
    }
    let output = run_with_timeout(&mut command, Duration::from_secs(90));
    assert!(
        file.is_file(),
        "no screenshot {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    file
}

/// Measures `view` and asserts that everything expected was found and visible.
fn assert_all_visible(rendered: &Rendered, expected: &Value, view: View, name: &str) -> Value {
    let report = measure(rendered, expected, view);
    let problems = report["problems"].as_array().expect("a problems list");
    assert!(
        problems.is_empty(),
        "{name} at {}: {} problem(s):\n{}",
        view.name(),
        problems.len(),
        problems
            .iter()
            .map(|p| p.as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let tools: usize = expected
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tools"].as_array().unwrap().len())
        .sum();
    let comparisons = expected.as_array().unwrap().len();
    assert_eq!(
        report["checkedTools"].as_u64(),
        Some(tools as u64),
        "every tool was checked: {report}"
    );
    assert_eq!(
        report["checkedComparisons"].as_u64(),
        Some(comparisons as u64),
        "{report}"
    );
    assert_eq!(
        report["dark"].as_bool(),
        Some(view.dark),
        "the page follows the colour scheme: {report}"
    );
    report
}

fn check_week(rendered: &Rendered, content: &Path, name: &str, views: &[View]) {
    let expected = expectations(content);
    for &view in views {
        let report = assert_all_visible(rendered, &expected, view, name);
        let height = report["height"].as_u64().unwrap_or(4000);
        let file = screenshot(rendered, view, height, name);
        println!("screenshot: {}", file.display());
    }
}

#[test]
fn sample_week_is_readable_on_desktop_phone_and_in_dark_mode() {
    let rendered = render(&sample_content(), SAMPLE_AS_OF);
    check_week(
        &rendered,
        &sample_content(),
        "sample",
        &[DESKTOP, PHONE, DESKTOP_DARK, PHONE_DARK],
    );
}

#[test]
fn busy_week_with_compact_entries_is_readable_on_desktop_and_dark_phone() {
    let content = tempfile::tempdir().unwrap();
    write_busy_week(content.path(), 12);
    let rendered = render(content.path(), SAMPLE_AS_OF);
    check_week(&rendered, content.path(), "busy", &[DESKTOP, PHONE_DARK]);
}

/// The edition for Search and Voice: its two comparisons readable at both widths, and its footer naming the topics
/// with the "Change" link. The screenshots (`edition-topics-700.png`, `edition-topics-375.png`) show the footer.
#[test]
fn an_edition_is_readable_with_its_topics_footer_on_desktop_and_phone() {
    let rendered = render_with(
        &sample_content(),
        SAMPLE_AS_OF,
        &["--categories", "Search,Voice"],
    );
    assert!(
        rendered.html.contains(
            "You get: Search, Voice · <a href=\"https://verdicts.example.org/preferences/"
        ),
        "{}",
        rendered.html
    );
    let expected = expectations_where(&sample_content(), |c| {
        c.category == "Search" || c.category == "Voice"
    });
    assert_eq!(expected.as_array().unwrap().len(), 2);
    for view in [DESKTOP, PHONE] {
        let report = assert_all_visible(&rendered, &expected, view, "edition");
        let height = report["height"].as_u64().unwrap_or(4000);
        let file = screenshot(&rendered, view, height, "edition-topics");
        println!("screenshot: {}", file.display());
    }
}
