//! `verdicts store copy --to postgres://…`, the real binary from a real SQLite store into a fresh database on the
//! test cluster: every row of every table arrives unchanged, the id sequences move past every id ever given out,
//! a target with rows is refused, a failure part-way leaves the target empty; and on the copy, `status` agrees
//! and an unsubscribe link mailed before the move still works.

mod list;
mod rows;

use std::process::Command;

use crate::delivery::{AS_OF, Fixture, verdicts};
use crate::support::postgres::fresh_database;
use crate::support::served::Served;
use crate::support::smtp::{Script, SmtpServer};
use list::{sent_list, store_copy, text, unsubscribe_token};
use rows::{TABLES, on_pg, pg_counts, pg_rows, sqlite_rows};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_copy_moves_every_row_unchanged_moves_the_sequences_on_and_refuses_a_second_copy() {
    let Some(target) = fresh_database("store_copy_moves_every_row") else {
        return;
    };
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = sent_list(&server);
    // A password in the URL is used and never printed (the test cluster trusts local connections).
    let url = target
        .to_string()
        .replacen("://postgres@", "://postgres:hunter2-secret@", 1);
    assert!(url.contains("hunter2-secret"), "{url}");

    let copied = store_copy(&fixture, &url);
    let shown = text(&copied);
    assert_eq!(copied.status.code(), Some(0), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("every count matches"), "{shown}");
    for table in TABLES {
        let rows = sqlite_rows(&fixture, table);
        let expected = format!("{:<20} {:>12} {:>12}", table.0, rows.len(), rows.len());
        assert!(shown.contains(&expected), "{expected:?} in\n{shown}");
        assert!(
            !rows.is_empty() || table.0 == "confirmation_mails",
            "{}",
            table.0
        );
        assert_eq!(
            pg_rows(&target, table),
            rows,
            "{} copied unchanged",
            table.0
        );
    }
    let by_table = |name: &str| TABLES.iter().find(|t| t.0 == name).unwrap();
    let settings = sqlite_rows(&fixture, by_table("settings"));
    assert!(
        settings
            .iter()
            .any(|row| row[0].as_deref() == Some("token_key")),
        "{settings:?}"
    );
    assert_eq!(
        sqlite_rows(&fixture, by_table("confirmation_mails")).len(),
        1,
        "the pending reader's confirmation mail is still queued"
    );

    // The removed reader had the largest subscriber id; no new row may get it, nor any id before.
    let conn = rusqlite::Connection::open(fixture.db()).unwrap();
    let largest: i64 = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let kept: i64 = conn
        .query_row("SELECT max(id) FROM subscribers", [], |row| row.get(0))
        .unwrap();
    assert!(largest > kept, "the removed reader's id is the largest");
    let events: i64 = conn
        .query_row("SELECT max(id) FROM consent_events", [], |row| row.get(0))
        .unwrap();
    let next = on_pg(&target, |client| {
        let mut tx = client.transaction().unwrap();
        let ids: Vec<i64> = [
            "INSERT INTO subscribers (email, email_key, status, source, created_at, status_changed_at, \
             link_nonce, links_from) VALUES ('new@example.org', 'new@example.org', 'pending', 'form', now(), \
             now(), 1, now()) RETURNING id",
            "INSERT INTO consent_events (subscriber_id, email_hash, at, event, channel) \
             VALUES (0, 'x', now(), 'subscribe', 'form') RETURNING id",
            "INSERT INTO issues (key, window_start, window_end, subject, preheader, html, text, created_at) \
             VALUES ('new', now(), now(), '', '', '', '', now()) RETURNING id",
            "INSERT INTO issue_comparisons (issue_id, slug, title) VALUES (1, 'new', 'New') RETURNING seq",
        ]
        .iter()
        .map(|sql| tx.query_one(*sql, &[]).unwrap().get(0))
        .collect();
        tx.rollback().unwrap();
        ids
    });
    let comparisons: i64 = conn
        .query_row("SELECT max(rowid) FROM issue_comparisons", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(
        next,
        [largest + 1, events + 1, 2, comparisons + 1],
        "the next ids"
    );
    // The comparisons keep the email's order (SQLite's rowid, PostgreSQL's seq).
    let in_order: Vec<String> = conn
        .prepare("SELECT slug FROM issue_comparisons ORDER BY rowid")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let copied_order: Vec<String> = on_pg(&target, |client| {
        client
            .query("SELECT slug FROM issue_comparisons ORDER BY seq", &[])
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    });
    assert_eq!(copied_order, in_order);

    let before = pg_counts(&target);
    let again = store_copy(&fixture, &target.to_string());
    let shown = text(&again);
    assert_eq!(again.status.code(), Some(3), "{shown}");
    let readers = sqlite_rows(&fixture, by_table("subscribers")).len();
    assert!(
        shown.contains("is not empty") && shown.contains(&format!("subscribers ({readers})")),
        "{shown}"
    );
    assert_eq!(
        pg_counts(&target),
        before,
        "the refused copy changed nothing"
    );
}

#[test]
fn a_copy_that_fails_part_way_leaves_the_target_empty_and_names_the_bad_value() {
    let Some(target) = fresh_database("a_copy_that_fails_part_way") else {
        return;
    };
    let fixture = Fixture::new(None, &[]);
    fixture.seed(3);
    let sent = verdicts(&fixture, "")
        .env_remove("VERDICTS_SMTP_URL")
        .env("VERDICTS_OUTBOX_DIR", fixture.dir.path().join("outbox"))
        .args(["send", "--as-of", AS_OF])
        .output()
        .unwrap();
    assert_eq!(sent.status.code(), Some(0), "{}", text(&sent));
    // The ledger is copied last: by then every other table is in the target's transaction.
    rusqlite::Connection::open(fixture.db())
        .unwrap()
        .execute(
            "UPDATE deliveries SET sent_at = 'yesterday' WHERE subscriber_id = 2",
            [],
        )
        .unwrap();

    let failed = store_copy(&fixture, &target.to_string());
    let shown = text(&failed);
    assert_eq!(failed.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("deliveries")
            && shown.contains("sent_at")
            && shown.contains("\"yesterday\""),
        "{shown}"
    );
    assert_eq!(
        pg_counts(&target),
        vec![0; TABLES.len()],
        "nothing was kept"
    );
}

#[test]
fn store_copy_refuses_a_postgres_source_and_a_target_that_is_a_path() {
    let Some(database) = fresh_database("store_copy_refuses_a_postgres_source") else {
        return;
    };
    let fixture = Fixture::new(None, &[]);
    let from_postgres = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(["store", "copy", "--to", &database.to_string()])
        .current_dir(fixture.dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", database.to_string())
        .output()
        .unwrap();
    let shown = text(&from_postgres);
    assert_eq!(from_postgres.status.code(), Some(3), "{shown}");
    assert!(
        shown.contains("pg_dump") && shown.contains("pg_restore"),
        "{shown}"
    );

    let to_path = store_copy(&fixture, "elsewhere/verdicts.db");
    let shown = text(&to_path);
    assert_eq!(to_path.status.code(), Some(3), "{shown}");
    assert!(shown.contains("postgres://"), "{shown}");
    assert!(!fixture.dir.path().join("elsewhere").exists(), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_copy_status_agrees_and_an_unsubscribe_link_mailed_before_the_move_still_works() {
    let Some(target) = fresh_database("on_the_copy_status_agrees") else {
        return;
    };
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = sent_list(&server);
    let copied = store_copy(&fixture, &target.to_string());
    assert_eq!(copied.status.code(), Some(0), "{}", text(&copied));

    let status = |database: String| {
        let output = verdicts(&fixture, &server.url())
            .env("VERDICTS_DATABASE", database)
            .arg("status")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        String::from_utf8(output.stdout).unwrap()
    };
    let on_sqlite = status(fixture.db().display().to_string());
    assert!(on_sqlite.contains("2026-W47"), "{on_sqlite}");
    assert_eq!(status(target.to_string()), on_sqlite);

    let message = &server.messages()[0];
    let reader = message.rcpt_to[0].clone();
    let mut command = Command::new(env!("CARGO_BIN_EXE_verdicts"));
    command
        .args(["serve", "--no-schedule"])
        .current_dir(fixture.dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", target.to_string())
        .env("VERDICTS_SMTP_URL", server.url())
        .env("VERDICTS_CONTENT_DIR", crate::delivery::content_dir())
        .env("VERDICTS_LISTEN", "127.0.0.1:0")
        .env("VERDICTS_LOG", "info");
    let served = Served::start(&mut command);
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/unsubscribe/{}",
            served.base,
            unsubscribe_token(message)
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let status: String = on_pg(&target, |client| {
        client
            .query_one(
                "SELECT status FROM subscribers WHERE email = $1",
                &[&reader],
            )
            .unwrap()
            .get(0)
    });
    assert_eq!(
        status, "unsubscribed",
        "{reader} after following the old link"
    );
}
