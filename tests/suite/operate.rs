//! Running it for real: two `verdicts send` processes at once share one ledger through the
//! lease, and `verdicts serve` sends the issue itself at the scheduled second, once, then shows
//! it in the archive (in Chromium) and in a feed an XML parser accepts as Atom.

use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Duration as Span, SecondsFormat, Timelike, Utc};

use crate::delivery::{AS_OF, Fixture, address};
use crate::support::chromium::Browser;
use crate::support::served::Served;
use crate::support::smtp::{Received, Rule, Script, SmtpServer, Stage};

/// How many messages went to each recipient.
fn per_recipient(messages: &[Received]) -> std::collections::HashMap<String, usize> {
    let mut counts = std::collections::HashMap::new();
    for message in messages {
        for to in &message.rcpt_to {
            *counts.entry(to.clone()).or_insert(0) += 1;
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_senders_at_once_deliver_one_copy_each_and_one_reports_the_lease_held() {
    const N: usize = 300;
    let slow = Script::accept_all().rule(Rule::at(Stage::DataEnd).stall(Duration::from_millis(15)));
    let server = SmtpServer::start(slow).await;
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(N);
    let start = || {
        crate::delivery::verdicts(&fixture, &server.url())
            .args(["send", "--as-of", AS_OF])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (start(), start());
    let outputs = [first, second].map(|child| child.wait_with_output().unwrap());

    let codes: Vec<i32> = outputs.iter().map(|o| o.status.code().unwrap()).collect();
    let held: Vec<_> = outputs
        .iter()
        .filter(|o| o.status.code() == Some(6))
        .collect();
    let sent: Vec<_> = outputs
        .iter()
        .filter(|o| o.status.code() == Some(0))
        .collect();
    assert_eq!((held.len(), sent.len()), (1, 1), "exit codes {codes:?}");
    let stderr = String::from_utf8_lossy(&held[0].stderr);
    assert!(stderr.contains("another sender"), "{stderr}");

    let counts = per_recipient(&server.messages());
    assert_eq!(counts.len(), N, "every subscriber got the issue");
    for i in 0..N {
        assert_eq!(counts.get(&address(i)), Some(&1), "{}", address(i));
    }
    let again = crate::delivery::verdicts(&fixture, &server.url())
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(server.messages().len(), N, "a third send sends nothing");
}

/// `verdicts serve` as a real process; killed when dropped.
/// A schedule firing once, 10 s from now (seconds-first form with a year), and a content folder
/// with one comparison published an hour ago, so that fire has something to send.
pub(crate) fn fire_soon_with_fresh_content() -> (DateTime<Utc>, String, tempfile::TempDir) {
    let now = weekly_verdicts::clock::now();
    let fire = (now + Span::seconds(10)).with_nanosecond(0).unwrap();
    let schedule = fire.format("%-S %-M %-H %-d %b * %Y").to_string();
    let published = now - Span::hours(1);
    let text = include_str!("../fixtures/content/2026-11-16-alpha-vs-beta.md").replace(
        "2026-11-16T09:00:00Z",
        &published.to_rfc3339_opts(SecondsFormat::Secs, true),
    );
    let content = tempfile::tempdir().unwrap();
    let name = format!("{}-alpha-vs-beta.md", published.format("%Y-%m-%d"));
    std::fs::write(content.path().join(name), text).unwrap();
    (fire, schedule, content)
}

/// Starts `verdicts serve` on port 0 with `schedule`, and waits until it says where it listens.
fn start_serve(
    fixture: &Fixture,
    smtp_url: &str,
    content: &std::path::Path,
    schedule: &str,
) -> Served {
    let mut command = Command::new(env!("CARGO_BIN_EXE_verdicts"));
    command
        .arg("serve")
        .current_dir(fixture.dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", fixture.db())
        .env("VERDICTS_SMTP_URL", smtp_url)
        .env("VERDICTS_CONTENT_DIR", content)
        .env("VERDICTS_LISTEN", "127.0.0.1:0")
        .env("VERDICTS_SCHEDULE", schedule)
        .env("VERDICTS_LOG", "info");
    Served::start(&mut command)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_sends_at_the_scheduled_second_once_and_the_archive_shows_it() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let (_fire, schedule, content) = fire_soon_with_fresh_content();
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(3);

    let served = start_serve(&fixture, &server.url(), content.path(), &schedule);

    let messages = server.wait_for_messages(3, Duration::from_secs(60)).await;
    assert_eq!(
        messages.len(),
        3,
        "the scheduled send reached every subscriber"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let counts = per_recipient(&server.messages());
    assert_eq!(
        counts.values().copied().collect::<Vec<_>>(),
        [1, 1, 1],
        "{counts:?}"
    );
    let key = messages[0].header("X-Verdicts-Issue").unwrap();

    let index = reqwest::get(format!("{}/archive", served.base))
        .await
        .unwrap();
    assert_eq!(index.status(), 200);
    let index = index.text().await.unwrap();
    assert!(
        index.contains(&key) || index.contains("Alpha vs Beta"),
        "{index}"
    );

    let mut browser = Browser::launch().await;
    browser
        .navigate(&format!("{}/archive/{key}", served.base))
        .await;
    let visible = browser
        .eval(
            "(() => { const hits = [...document.querySelectorAll('a, h2, div, td')]\
               .filter(e => e.textContent.trim() === 'Alpha vs Beta' || e.textContent.trim() === 'Alpha' || e.textContent.trim() === 'Beta');\
             return hits.filter(e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);\
               return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; })\
               .map(e => e.textContent.trim()); })()",
        )
        .await;
    let visible: Vec<String> = serde_json::from_value(visible).unwrap();
    for text in ["Alpha vs Beta", "Alpha", "Beta"] {
        assert!(
            visible.iter().any(|v| v == text),
            "{text} visible in {visible:?}"
        );
    }
    let page = browser.eval("document.documentElement.outerHTML").await;
    assert!(
        !page.as_str().unwrap().contains("/unsubscribe/"),
        "the archive copy carries nobody's personal unsubscribe link"
    );

    let feed = reqwest::get(format!("{}/archive/feed.xml", served.base))
        .await
        .unwrap();
    assert!(
        feed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let file = content.path().join("feed.xml");
    std::fs::write(&file, feed.bytes().await.unwrap()).unwrap();
    let parsed = crate::archive::parse_feed(&file);
    assert_eq!(parsed["root"], "{http://www.w3.org/2005/Atom}feed");
    assert_eq!(parsed["entries"].as_array().unwrap().len(), 1, "{parsed}");
    let link = parsed["entries"][0]["links"][0][2].as_str().unwrap();
    assert!(link.ends_with(&format!("/archive/{key}")), "{link}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_while_a_digest_is_being_sent_neither_blocks_nor_breaks_the_send() {
    const N: usize = 800;
    let slow = Script::accept_all().rule(Rule::at(Stage::DataEnd).stall(Duration::from_millis(15)));
    let relay = SmtpServer::start(slow).await;
    let fixture = Fixture::new(Some(&relay.url()), &[]);
    fixture.seed(N);
    let db = fixture.db();
    let app = crate::support::app::spawn_app_with(|config| {
        config.database = weekly_verdicts::store::Database::Sqlite(db)
    })
    .await;

    let mut send = crate::delivery::verdicts(&fixture, &relay.url())
        .args(["send", "--as-of", AS_OF])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    relay.wait_for_messages(50, Duration::from_secs(60)).await;
    for i in 0..20 {
        let response = app.subscribe(&format!("new{i}@example.org"), "New").await;
        assert_eq!(response.status(), 200, "subscribe {i} during the send");
    }
    assert!(
        send.try_wait().unwrap().is_none(),
        "the subscribes happened while the send was still running"
    );
    let status = send.wait().unwrap();
    assert_eq!(status.code(), Some(0), "the send finished cleanly");

    let counts = per_recipient(&relay.messages());
    assert_eq!(
        counts.len(),
        N,
        "every subscriber snapshotted got the issue"
    );
    assert!(counts.values().all(|&n| n == 1), "no duplicates");
    for i in 0..20 {
        let subscriber = app
            .subscriber(&format!("new{i}@example.org"))
            .expect("stored");
        assert_eq!(subscriber.status.as_str(), "pending");
        assert!(!counts.contains_key(&format!("new{i}@example.org")));
    }
    assert_eq!(
        app.mails(20).await.len(),
        20,
        "each got a confirmation mail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_serve_mid_send_records_the_messages_in_flight_and_send_resumes() {
    const N: usize = 400;
    let slow = Script::accept_all().rule(Rule::at(Stage::DataEnd).stall(Duration::from_millis(20)));
    let server = SmtpServer::start(slow).await;
    let (fire, schedule, content) = fire_soon_with_fresh_content();
    let fixture = Fixture::new(Some(&server.url()), &[]);
    fixture.seed(N);
    let mut served = start_serve(&fixture, &server.url(), content.path(), &schedule);

    server.wait_for_messages(20, Duration::from_secs(60)).await;
    let term = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = served.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "serve stops cleanly");

    let delivered = server.messages().len();
    assert!(delivered < N, "stopped part-way: {delivered} of {N}");
    let sent: i64 = rusqlite::Connection::open(fixture.db())
        .unwrap()
        .query_row(
            "SELECT count(*) FROM deliveries WHERE state = 'sent'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(
        sent as usize, delivered,
        "every message the relay took is recorded"
    );

    server.set_script(Script::accept_all());
    let resumed = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(["send", "--as-of", &fire.to_rfc3339()])
        .current_dir(fixture.dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", fixture.db())
        .env("VERDICTS_SMTP_URL", server.url())
        .env("VERDICTS_CONTENT_DIR", content.path())
        .output()
        .unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let counts = per_recipient(&server.messages());
    assert_eq!(counts.len(), N, "nobody skipped");
    assert!(counts.values().all(|&n| n == 1), "nobody twice");
}
