//! Archive pages from hand-made issues: order, escaping of hostile text, no personal links, the static export's
//! folder rules.

use chrono::{DateTime, TimeZone, Utc};

use super::{Links, export, feed, issue_page, views};
use crate::config::Config;
use crate::digest::UNSUBSCRIBE_PLACEHOLDER;
use crate::store::{ArchivedComparison, ArchivedIssue};

const HOSTILE: &str = "</title><script>alert(1)</script> & \"Tom's\" <b>tools</b>\u{1}";

fn config() -> Config {
    Config::parse(
        "timezone = \"Europe/Berlin\"\nbase_url = \"https://news.example.com\"",
        &[],
    )
    .unwrap()
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 8, 0, 0).unwrap()
}

fn issue(key: &str, day: u32, subject: &str, titles: &[&str]) -> ArchivedIssue {
    ArchivedIssue {
        key: key.to_string(),
        subject: subject.to_string(),
        preheader: format!("preheader of {key}"),
        window_start: at(day - 7),
        window_end: at(day),
        created_at: at(day),
        completed_at: Some(at(day) + chrono::Duration::minutes(3)),
        comparisons: titles
            .iter()
            .map(|title| ArchivedComparison {
                slug: title.to_lowercase().replace(' ', "-"),
                title: title.to_string(),
            })
            .collect(),
        html: format!(
            "<!DOCTYPE html><html><body><h1>{key}</h1>\
             <a href=\"{UNSUBSCRIBE_PLACEHOLDER}\">Unsubscribe</a></body></html>"
        ),
    }
}

fn two_issues() -> Vec<ArchivedIssue> {
    vec![
        issue(
            "2026-W48",
            23,
            "SmolLM3 vs Code Llama 4",
            &["SmolLM3 vs Code Llama 4"],
        ),
        issue(
            "2026-W47",
            16,
            "Two new verdicts",
            &["Alpha vs Beta", "Gamma vs Delta"],
        ),
    ]
}

#[test]
fn the_index_lists_issues_newest_first_with_date_subject_and_comparisons() {
    let page = views::index_page(&two_issues(), &config(), Links::Served).into_string();
    let newer = page.find("2026-W48").unwrap();
    let older = page.find("2026-W47").unwrap();
    assert!(newer < older, "newest first");
    assert!(page.contains("23 November 2026"), "{page}");
    assert!(page.contains(r#"href="/archive/2026-W48""#), "{page}");
    assert!(page.contains("<li>Gamma vs Delta</li>"), "{page}");
    assert!(page.contains(r#"href="/archive/feed.xml""#));
    let static_page = views::index_page(&two_issues(), &config(), Links::Static).into_string();
    assert!(static_page.contains(r#"href="2026-W48/""#), "{static_page}");
}

#[test]
fn the_index_escapes_a_hostile_subject_and_title() {
    let issues = vec![issue("2026-W48", 23, HOSTILE, &[HOSTILE])];
    let page = views::index_page(&issues, &config(), Links::Served).into_string();
    assert!(!page.contains("<script>"), "{page}");
    assert!(!page.contains("<b>tools"), "{page}");
    assert!(
        page.contains(
            "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Tom's&quot;"
        )
    );
}

#[test]
fn an_empty_archive_says_so() {
    let page = views::index_page(&[], &config(), Links::Served).into_string();
    assert!(page.contains("No issue has been sent yet."));
}

#[test]
fn the_issue_page_is_the_sent_html_without_a_personal_unsubscribe_link() {
    let page = issue_page(&two_issues()[0], &config());
    assert!(page.contains("<h1>2026-W48</h1>"));
    assert!(!page.contains(UNSUBSCRIBE_PLACEHOLDER), "{page}");
    assert!(
        page.contains(r#"href="https://news.example.com/unsubscribe""#),
        "{page}"
    );
    assert!(!page.contains("/unsubscribe/"), "no token path: {page}");
}

#[test]
fn the_feed_escapes_hostile_text_once_and_drops_characters_xml_cannot_carry() {
    let issues = vec![issue("2026-W48", 23, HOSTILE, &[HOSTILE])];
    let xml = feed::atom(&issues, &config(), at(30));
    assert!(!xml.contains('\u{1}'));
    assert!(!xml.contains("<script>"), "{xml}");
    assert!(xml.contains(
        "<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Tom's&quot; &lt;b&gt;tools&lt;/b&gt;</title>"
    ), "{xml}");
    // The summary is HTML carried as text: the title is escaped twice.
    assert!(
        xml.contains("&lt;li&gt;&amp;lt;/title&amp;gt;&amp;lt;script&amp;gt;"),
        "{xml}"
    );
}

#[test]
fn the_feed_is_updated_with_its_newest_issue_and_links_absolutely() {
    let xml = feed::atom(&two_issues(), &config(), at(30));
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
    ));
    assert!(
        xml.contains("<updated>2026-11-23T08:00:00Z</updated>"),
        "{xml}"
    );
    assert!(xml.contains(
        r#"<link rel="self" type="application/atom+xml" href="https://news.example.com/archive/feed.xml"></link>"#
    ));
    assert!(xml.contains("<id>https://news.example.com/archive/2026-W47</id>"));
    let empty = feed::atom(&[], &config(), at(30));
    assert!(
        empty.contains("<updated>2026-11-30T08:00:00Z</updated>"),
        "{empty}"
    );
}

#[test]
fn the_export_writes_every_page_and_replaces_an_earlier_export() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site").join("archive");
    let summary = export(&two_issues()[1..], &config(), &out, at(30)).unwrap();
    assert_eq!(summary.keys, ["2026-W47"]);
    assert!(out.join("2026-W47/index.html").exists());
    let summary = export(&two_issues(), &config(), &out, at(30)).unwrap();
    assert_eq!(
        summary.line(),
        format!(
            "wrote {}/: index.html, feed.xml and 2 issue pages (2026-W47 to 2026-W48)",
            out.display()
        )
    );
    for file in [
        "index.html",
        "feed.xml",
        "2026-W48/index.html",
        "2026-W47/index.html",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["archive"], "no staging folders left behind");
}

#[test]
fn the_export_refuses_a_folder_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let error = export(&two_issues(), &config(), dir.path(), at(30)).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("not written by `verdicts archive`"),
        "{error}"
    );
    assert!(dir.path().join("notes.txt").exists());
    let error = export(&two_issues(), &config(), std::path::Path::new("."), at(30)).unwrap_err();
    assert!(error.to_string().contains("must name a folder"), "{error}");
}

#[test]
fn the_export_refuses_an_issue_key_that_is_not_a_plain_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("archive");
    let issues = vec![issue("../escape", 23, "x", &[])];
    let error = export(&issues, &config(), &out, at(30)).unwrap_err();
    assert!(error.to_string().contains("../escape"), "{error}");
    assert!(!out.exists() && !dir.path().join("escape").exists());
}
