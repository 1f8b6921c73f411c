//! Readers' editions delivered over real SMTP by the real `verdicts send`, on a SQLite file and on PostgreSQL
//! (where senders claim pages): each reader gets only their categories, with a subject, preheader and count
//! that describe them and a footer naming them; a reader whose categories have nothing new, or who paused, gets
//! nothing and a `skipped` row with the reason, which `status` counts; a reader with no choice gets the full
//! issue, byte for byte the stored one's parts; a choice changed after the issue was created waits for the next.

use std::collections::HashMap;
use std::process::Command;

use chrono::Duration;
use weekly_verdicts::config::Secrets;
use weekly_verdicts::content::Categories;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{Channel, Database, Origin, Source, Status, Store, TopicsChange};
use weekly_verdicts::tokens::{Purpose, Tokens};

use super::{AS_OF, KEY, content_dir};
use crate::support::mime::{Entity, decode_words};
use crate::support::postgres::backends;
use crate::support::smtp::{Received, Script, SmtpServer};

/// The sample week's comparisons, by category.
const SEARCH: &str = "Perplexity vs Kagi Assistant";
const VOICE: &str = "Deepgram vs AssemblyAI";
const DEV: &str = "SmolLM3 vs Code Llama 4";

/// One received message, decoded.
pub(super) struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub(super) fn read(message: &Received) -> Mail {
    fn walk(entity: &Entity, text: &mut String, html: &mut String) {
        let media = entity.media_type();
        if media.starts_with("multipart/") {
            for part in entity.parts() {
                walk(&part, text, html);
            }
        } else if media == "text/plain" {
            *text = entity.decoded_text();
        } else if media == "text/html" {
            *html = entity.decoded_text();
        }
    }
    let entity = Entity::parse(&message.data);
    let (mut text, mut html) = (String::new(), String::new());
    walk(&entity, &mut text, &mut html);
    Mail {
        subject: decode_words(entity.one("Subject")),
        text,
        html,
    }
}

fn email(address: &str) -> SubscriberEmail {
    SubscriberEmail::parse(address).unwrap()
}

/// A confirmed reader following `names` as stored (a name the content lacks is kept, as a stored choice would be).
fn reader(store: &mut Store, address: &str, names: &[&str]) -> u64 {
    store
        .add(
            &email(address),
            None,
            &Categories::from_names(names),
            Status::Confirmed,
            Source::Cli,
            super::as_of(),
        )
        .unwrap()
}

fn set_topics(store: &mut Store, address: &str, names: &[&str], paused_weeks: Option<i64>) {
    let now = weekly_verdicts::clock::now();
    let change = TopicsChange {
        categories: Categories::from_names(names),
        paused_until: paused_weeks.map(|w| now + Duration::weeks(w)),
    };
    store
        .set_topics_by_email(&email(address), &change, &Origin::new(Channel::Cli), now)
        .unwrap()
        .unwrap();
}

/// The real binary on `database`, in `folder`.
fn verdicts(database: &Database, smtp_url: &str, folder: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_verdicts"));
    command
        .current_dir(folder)
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", database.to_string())
        .env("VERDICTS_SMTP_URL", smtp_url)
        .env("VERDICTS_CONTENT_DIR", content_dir())
        .env("VERDICTS_CONCURRENCY", "4")
        .env("VERDICTS_LOG", "warn");
    command
}

fn run(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_reader_gets_the_edition_of_their_categories_and_empty_or_paused_ones_are_skipped_and_counted()
 {
    for backend in backends("each_reader_gets_the_edition_of_their_categories") {
        let name = backend.name;
        let server = SmtpServer::start(Script::accept_all()).await;
        let folder = tempfile::tempdir().unwrap();
        let mut store = Store::open(&backend.database).unwrap();
        let all = reader(&mut store, "all@example.org", &[]);
        let search = reader(&mut store, "search@example.org", &["Search"]);
        reader(&mut store, "both@example.org", &["Voice", "Search"]);
        reader(&mut store, "design@example.org", &["Design"]);
        reader(&mut store, "paused@example.org", &["Voice"]);
        set_topics(&mut store, "paused@example.org", &["Voice"], Some(2));
        // Categories the content no longer has: nothing matches them.
        reader(&mut store, "gone@example.org", &["Gardening"]);
        reader(
            &mut store,
            "partly@example.org",
            &["Gardening", "Developer Tools"],
        );
        // Removed and added again: a new subscription, with its new choice.
        reader(&mut store, "again@example.org", &["Design"]);
        assert!(
            store
                .remove(&email("again@example.org"), super::as_of())
                .unwrap()
        );
        reader(&mut store, "again@example.org", &["Voice"]);

        // The dry run foretells the send's counts, and creates nothing.
        let foretold = run(
            verdicts(&backend.database, &server.url(), folder.path()).args([
                "send",
                "--as-of",
                AS_OF,
                "--dry-run",
            ]),
        );
        assert!(
            foretold.contains(
                "5 recipient(s) due; 3 skipped (1 paused, 2 nothing new in their topics)"
            ),
            "{name}: {foretold}"
        );
        assert!(store.issue_by_key(KEY).unwrap().is_none(), "{name}");

        let said = run(verdicts(&backend.database, &server.url(), folder.path())
            .args(["send", "--as-of", AS_OF]));
        assert!(
            said.contains("3 skipped (1 paused, 2 nothing new in their topics)"),
            "{name}: {said}"
        );

        let messages = server.messages();
        let by: HashMap<String, Mail> = messages
            .iter()
            .map(|m| (m.rcpt_to[0].clone(), read(m)))
            .collect();
        assert_eq!(
            messages.len(),
            5,
            "{name}: {:?}",
            by.keys().collect::<Vec<_>>()
        );
        for absent in [
            "design@example.org",
            "paused@example.org",
            "gone@example.org",
        ] {
            assert!(!by.contains_key(absent), "{name}: {absent} got mail");
        }

        let searcher = &by["search@example.org"];
        assert_eq!(searcher.subject, format!("New verdict: {SEARCH}"), "{name}");
        for part in [&searcher.text, &searcher.html] {
            assert!(part.contains(SEARCH), "{name}");
            assert!(
                !part.contains(VOICE) && !part.contains(DEV),
                "{name}: {part}"
            );
            assert!(part.contains("1 new verdict this week"), "{name}");
        }
        assert!(
            searcher.text.contains("You get: Search · Change:"),
            "{name}: {}",
            searcher.text
        );
        assert!(
            searcher.html.contains("You get: Search · <a href="),
            "{name}"
        );
        // The preheader (hidden at the top of the HTML) opens with the edition's one comparison, not the week's.
        let preheader = "Which AI search engine deserves to be your default? Panel ship rates";
        assert!(
            searcher.html.contains(preheader),
            "{name}: {}",
            searcher.html
        );
        assert!(
            !searcher.html.contains("Which speech-to-text API"),
            "{name}"
        );
        // The "Change" link is the reader's own preferences link.
        let tokens = Tokens::load(&Secrets::default(), &mut store).unwrap();
        let token = searcher
            .text
            .split("/preferences/")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("a preferences link in the text part");
        assert_eq!(
            tokens.verify(Purpose::Preferences, token, super::as_of()),
            Ok(search),
            "{name}"
        );

        let both = &by["both@example.org"];
        assert!(
            both.subject.starts_with("2 new verdicts: "),
            "{name}: {}",
            both.subject
        );
        assert!(
            both.text.contains(SEARCH) && both.text.contains(VOICE) && !both.text.contains(DEV)
        );
        assert!(
            both.text.contains("You get: Search, Voice · Change:"),
            "{name}"
        );
        let partly = &by["partly@example.org"];
        assert!(
            partly.text.contains(DEV) && !partly.text.contains(SEARCH),
            "{name}"
        );
        let again = &by["again@example.org"];
        assert!(
            again.text.contains(VOICE) && !again.text.contains(SEARCH),
            "{name}"
        );

        let full = &by["all@example.org"];
        let issue = store.issue_by_key(KEY).unwrap().unwrap();
        assert_eq!(full.subject, issue.issue.subject, "{name}: the full issue");
        assert!(full.text.contains(SEARCH) && full.text.contains(VOICE) && full.text.contains(DEV));
        // No topics line, but every issue links the reader's own preferences page ("Choose your topics").
        assert!(
            !full.text.contains("You get:")
                && full.text.contains("Choose your topics")
                && full.html.contains("/preferences/"),
            "{name}"
        );
        let _ = all;

        let reasons: HashMap<String, (String, Option<String>)> = ledger_rows(&backend.database);
        assert_eq!(
            reasons["design@example.org"],
            (
                "skipped".into(),
                Some("nothing new in Design this week".into())
            ),
            "{name}"
        );
        assert_eq!(
            reasons["gone@example.org"],
            (
                "skipped".into(),
                Some("nothing new in Gardening this week".into())
            ),
            "{name}"
        );
        let (state, reason) = &reasons["paused@example.org"];
        assert_eq!(state, "skipped", "{name}");
        assert!(
            reason.as_deref().unwrap().starts_with("paused until "),
            "{name}: {reason:?}"
        );

        let status = run(verdicts(&backend.database, &server.url(), folder.path()).arg("status"));
        assert!(
            status.contains("skipped: 1 paused, 2 nothing new in their topics"),
            "{name}: {status}"
        );
        let json =
            run(verdicts(&backend.database, &server.url(), folder.path())
                .args(["status", "--json"]));
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        let ledger = &json["issues"][0]["ledger"];
        assert_eq!(ledger["skipped"], 3, "{name}: {ledger}");
        assert_eq!(ledger["skipped_by"]["nothing_new"], 2, "{name}");
        assert_eq!(ledger["skipped_by"]["paused"], 1, "{name}");
        assert_eq!(ledger["sent"], 5, "{name}");
    }
}

/// Every ledger row of the week's issue: address → (state, reason). Call it from a multi-threaded runtime.
pub(super) fn ledger_rows(database: &Database) -> HashMap<String, (String, Option<String>)> {
    let sql =
        "SELECT d.email, d.state, d.last_error FROM deliveries d JOIN issues i ON i.id = d.issue_id
               WHERE i.key = '2026-W47'";
    match database {
        Database::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            let mut stmt = conn.prepare(sql).unwrap();
            stmt.query_map([], |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        }
        // The blocking client starts a runtime of its own: off this test's.
        Database::Postgres(url) => tokio::task::block_in_place(|| {
            url.config()
                .connect(postgres::NoTls)
                .unwrap()
                .query(sql, &[])
                .unwrap()
                .iter()
                .map(|row| (row.get(0), (row.get(1), row.get(2))))
                .collect()
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edition_email_as_sent_stays_clean_with_spamassassin_and_the_nu_checker() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let folder = tempfile::tempdir().unwrap();
    let database = Database::Sqlite(folder.path().join("verdicts.db"));
    let mut store = Store::open(&database).unwrap();
    reader(&mut store, "both@example.org", &["Search", "Voice"]);
    drop(store);
    run(verdicts(&database, &server.url(), folder.path()).args(["send", "--as-of", AS_OF]));

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let mail = read(&messages[0]);
    assert!(mail.html.contains("You get: Search, Voice"), "an edition");
    let eml = folder.path().join("edition.eml");
    std::fs::write(&eml, &messages[0].data).unwrap();
    let verdict = crate::support::tools::spamassassin(&eml);
    assert!(
        verdict.score < 1.0,
        "SpamAssassin scored the sent edition {} (tests: {})",
        verdict.score,
        verdict.tests
    );
    let html = folder.path().join("edition.html");
    std::fs::write(&html, &mail.html).unwrap();
    let unexpected = crate::support::newsletter::unexpected_nu_findings(&html);
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}
