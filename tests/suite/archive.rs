//! The archive from a store holding issues as the send path keeps them (the fixture week rendered for real, and a
//! hand-made issue with a hostile subject): `verdicts archive --out` as a real process, the feed read by an
//! independent XML parser, and the bodies the web routes serve.

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, params};
use serde_json::Value;
use weekly_verdicts::archive;
use weekly_verdicts::config::Config;
use weekly_verdicts::content;
use weekly_verdicts::digest::{self, Digest, History, RenderedIssue, UNSUBSCRIBE_PLACEHOLDER};
use weekly_verdicts::store::Store;

const BASE_URL: &str = "https://news.example.com";
const HOSTILE: &str = "</title><script>alert('x')</script> & \"friends\" ]]>";

fn config(db: &Path) -> Config {
    let env = [
        ("VERDICTS_BASE_URL".to_string(), BASE_URL.to_string()),
        ("VERDICTS_TIMEZONE".to_string(), "Europe/Berlin".to_string()),
        ("VERDICTS_DATABASE".to_string(), db.display().to_string()),
    ];
    Config::parse("", &env).unwrap()
}

/// One `issues` row and its comparisons, written as the send path writes them.
struct IssueRow<'a> {
    key: &'a str,
    subject: &'a str,
    preheader: &'a str,
    html: &'a str,
    sent: DateTime<Utc>,
    comparisons: &'a [(&'a str, &'a str)],
}

fn insert_issue(db: &Path, row: &IssueRow) {
    Store::open_sqlite(db).unwrap();
    let conn = Connection::open(db).unwrap();
    let ts = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    conn.execute(
        "INSERT INTO issues (key, window_start, window_end, subject, preheader, html, text, created_at, completed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'text part', ?3, ?3)",
        params![
            row.key,
            ts(row.sent - chrono::Duration::days(7)),
            ts(row.sent),
            row.subject,
            row.preheader,
            row.html
        ],
    )
    .unwrap();
    let id = conn.last_insert_rowid();
    for (slug, title) in row.comparisons {
        conn.execute(
            "INSERT INTO issue_comparisons (issue_id, slug, title) VALUES (?1, ?2, ?3)",
            params![id, slug, title],
        )
        .unwrap();
    }
}

/// A store with the fixture week's real issue (2026-W47) and an older hand-made one with a hostile subject.
fn store_with_issues(dir: &Path) -> (Config, RenderedIssue) {
    let db = dir.join("verdicts.db");
    let config = config(&db);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/content");
    let comparisons = content::load_dir(&fixtures, &config.base_url).unwrap();
    let as_of = Utc.with_ymd_and_hms(2026, 11, 22, 22, 59, 0).unwrap();
    let selection = digest::assemble(&comparisons, &History::default(), as_of, config.timezone);
    let rendered = RenderedIssue::render(&Digest::new(&selection, &config), &config);
    assert!(rendered.html.contains(UNSUBSCRIBE_PLACEHOLDER));
    insert_issue(
        &db,
        &IssueRow {
            key: "2026-W40",
            subject: HOSTILE,
            preheader: "an older issue",
            html: "<html><body><a href=\"%%UNSUBSCRIBE_URL%%\">Unsubscribe</a></body></html>",
            sent: Utc.with_ymd_and_hms(2026, 10, 2, 7, 0, 0).unwrap(),
            comparisons: &[("evil", HOSTILE)],
        },
    );
    let slugs: Vec<(&str, &str)> = selection
        .comparisons
        .iter()
        .map(|c| (c.slug.as_str(), c.title.as_str()))
        .collect();
    insert_issue(
        &db,
        &IssueRow {
            key: &rendered.key,
            subject: &rendered.subject,
            preheader: &rendered.preheader,
            html: &rendered.html,
            sent: as_of,
            comparisons: &slugs,
        },
    );
    (config, rendered)
}

/// The feed as Python's XML parser reads it, as JSON.
pub fn parse_feed(path: &Path) -> Value {
    const SCRIPT: &str = r#"
import json, sys, xml.etree.ElementTree as ET
from datetime import datetime
A = '{http://www.w3.org/2005/Atom}'
root = ET.parse(sys.argv[1]).getroot()
def links(e):
    return [[l.get('rel'), l.get('type'), l.get('href')] for l in e.findall(A + 'link')]
def when(e, name):
    text = e.findtext(A + name)
    datetime.fromisoformat(text.replace('Z', '+00:00'))
    return text
print(json.dumps({
    'root': root.tag, 'id': root.findtext(A + 'id'), 'title': root.findtext(A + 'title'),
    'updated': when(root, 'updated'), 'links': links(root), 'author': root.findtext(A + 'author/' + A + 'name'),
    'entries': [{
        'id': e.findtext(A + 'id'), 'title': e.findtext(A + 'title'), 'updated': when(e, 'updated'),
        'links': links(e), 'summary_type': e.find(A + 'summary').get('type'),
        'content_type': e.find(A + 'content').get('type'), 'content': e.findtext(A + 'content'),
    } for e in root.findall(A + 'entry')],
}))
"#;
    let output = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the feed does not parse as XML: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn archive_command_writes_index_issue_pages_and_a_feed_an_xml_parser_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let (config, rendered) = store_with_issues(dir.path());
    let out = dir.path().join("public");
    let output = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(["archive", "--out"])
        .arg(&out)
        .current_dir(dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", config.database.to_string())
        .env("VERDICTS_BASE_URL", BASE_URL)
        .env("VERDICTS_TIMEZONE", "Europe/Berlin")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout.trim(),
        format!(
            "wrote {}/: index.html, feed.xml and 2 issue pages (2026-W40 to {})",
            out.display(),
            rendered.key
        )
    );

    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.find(&rendered.key).unwrap() < index.find("2026-W40").unwrap());
    assert!(index.contains("Alpha vs Beta") && index.contains("Gamma vs Delta"));
    assert!(!index.contains("<script>alert"), "hostile subject escaped");

    let page = std::fs::read_to_string(out.join(&rendered.key).join("index.html")).unwrap();
    assert!(page.contains("Alpha vs Beta"));
    assert!(!page.contains(UNSUBSCRIBE_PLACEHOLDER));
    assert!(
        !page.contains("/unsubscribe/"),
        "no personal unsubscribe token"
    );
    assert!(page.contains(&format!("{BASE_URL}/unsubscribe")));

    let feed = parse_feed(&out.join("feed.xml"));
    assert_eq!(feed["root"], "{http://www.w3.org/2005/Atom}feed");
    assert_eq!(feed["id"], format!("{BASE_URL}/archive"));
    assert_eq!(feed["title"], config.site_name);
    assert_eq!(feed["author"], config.site_name);
    assert_eq!(feed["updated"], "2026-11-22T22:59:00Z");
    let links = feed["links"].to_string();
    assert!(
        links.contains(&format!(
            r#"["self","application/atom+xml","{BASE_URL}/archive/feed.xml"]"#
        )),
        "{links}"
    );
    assert!(
        links.contains(&format!(
            r#"["alternate","text/html","{BASE_URL}/archive"]"#
        )),
        "{links}"
    );
    let entries = feed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let url = format!("{BASE_URL}/archive/{}", rendered.key);
    assert_eq!(entries[0]["id"], url.as_str());
    assert_eq!(entries[0]["title"], rendered.subject.as_str());
    assert_eq!(entries[0]["links"][0][2], url.as_str());
    assert_eq!(entries[0]["content_type"], "html");
    assert_eq!(entries[0]["summary_type"], "html");
    let content = entries[0]["content"].as_str().unwrap();
    assert!(content.contains("Alpha vs Beta") && !content.contains(UNSUBSCRIBE_PLACEHOLDER));
    assert_eq!(
        entries[1]["title"], HOSTILE,
        "the hostile subject survives escaping exactly"
    );
}

#[test]
fn the_web_bodies_serve_the_same_archive_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (config, rendered) = store_with_issues(dir.path());
    let store = Store::open(&config.database).unwrap();

    let issues = store.archived_issues().unwrap();
    let keys: Vec<&str> = issues.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, [rendered.key.as_str(), "2026-W40"]);
    let titles: Vec<&str> = issues[0]
        .comparisons
        .iter()
        .map(|c| c.title.as_str())
        .collect();
    assert_eq!(
        titles,
        ["Gamma vs Delta", "Alpha vs Beta"],
        "in the email's order"
    );

    let index = archive::index_body(&store, &config).unwrap();
    assert!(
        index.contains(&format!(r#"href="/archive/{}""#, rendered.key)),
        "{index}"
    );
    let page = archive::issue_body(&store, &config, &rendered.key)
        .unwrap()
        .unwrap();
    assert_eq!(page, rendered.archive_html());
    assert_eq!(
        archive::issue_body(&store, &config, "2026-W01").unwrap(),
        None
    );
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let feed = archive::feed_body(&store, &config, now).unwrap();
    assert!(feed.contains(&format!("<id>{BASE_URL}/archive/{}</id>", rendered.key)));
}

#[test]
fn archive_of_an_empty_store_writes_an_index_that_says_so_and_an_empty_feed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    // An empty store, not a missing one: in a folder without a store, `archive` says so and writes nothing.
    weekly_verdicts::store::Store::open_sqlite(&dir.path().join("verdicts.db")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(["archive", "--out"])
        .arg(&out)
        .current_dir(dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", dir.path().join("verdicts.db"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("No issue has been sent yet."));
    let feed = parse_feed(&out.join("feed.xml"));
    assert_eq!(feed["entries"].as_array().unwrap().len(), 0);
}
