//! `verdicts subscribers …` run as a real process on a PostgreSQL database (`VERDICTS_DATABASE=postgres://…`):
//! add, list, count, import, history, restore and remove work there as on SQLite. Skipped, saying so, without the
//! test cluster.

use std::path::Path;
use std::process::Command;

use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{Database, Status, Store};

use crate::support::postgres::fresh_database;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn verdicts(dir: &Path, database: &Database, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(args)
        .current_dir(dir)
        .env_remove("VERDICTS_CONFIG")
        .env_remove("VERDICTS_SMTP_URL")
        .env("VERDICTS_DATABASE", database.to_string())
        .env("VERDICTS_OUTBOX_DIR", dir.join("outbox"))
        .env(
            "VERDICTS_CONTENT_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/content"),
        )
        .output()
        .expect("verdicts runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn email(s: &str) -> SubscriberEmail {
    SubscriberEmail::parse(s).unwrap()
}

#[test]
fn on_postgresql_the_subscribers_commands_add_list_count_import_restore_and_remove() {
    let Some(database) = fresh_database("on_postgresql_the_subscribers_commands") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| {
        let run = verdicts(d, &database, args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run
    };

    run(&[
        "subscribers",
        "add",
        "ann@example.org",
        "--name",
        "Ann",
        "--confirmed",
    ]);
    run(&["subscribers", "add", "bob@example.org"]);
    // Pending means a confirmation email went out, into the outbox by default, and left the queue.
    let outbox: Vec<_> = std::fs::read_dir(d.join("outbox")).unwrap().collect();
    assert_eq!(outbox.len(), 1);
    let mut store = Store::open(&database).unwrap();
    assert_eq!(store.next_confirmation_mail_at().unwrap(), None);

    std::fs::write(
        d.join("list.csv"),
        "email,name,status\ncarl@example.org,Carl,confirmed\nANN@example.org,,confirmed\ndora@example.org,,unsubscribed\n",
    )
    .unwrap();
    let import = run(&["subscribers", "import", "list.csv"]);
    assert!(
        import.stderr.contains("imported 2 new subscriber(s)")
            || import.stdout.contains("imported 2 new subscriber(s)"),
        "{}{}",
        import.stdout,
        import.stderr
    );

    let list = run(&["subscribers", "list"]);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", list.stdout);
    assert!(lines[1].contains("ann@example.org") && lines[1].contains("confirmed"));
    assert!(lines[3].contains("carl@example.org"), "{}", list.stdout);
    let count = run(&["subscribers", "count"]);
    assert!(count.stdout.contains("confirmed    2"), "{}", count.stdout);
    assert!(count.stdout.contains("total        4"), "{}", count.stdout);

    let carl = store
        .find_by_email(&email("carl@example.org"))
        .unwrap()
        .unwrap();
    assert!(
        store
            .mark_bounced(carl.id, weekly_verdicts::clock::now())
            .unwrap()
    );
    run(&["subscribers", "restore", "carl@example.org"]);
    assert_eq!(
        store
            .find_by_email(&email("carl@example.org"))
            .unwrap()
            .unwrap()
            .status,
        Status::Confirmed
    );

    run(&["subscribers", "remove", "ann@example.org"]);
    assert_eq!(
        store.find_by_email(&email("ann@example.org")).unwrap(),
        None
    );
    let history = run(&["subscribers", "history", "ann@example.org"]);
    for event in ["add", "remove"] {
        assert!(history.stdout.contains(event), "{}", history.stdout);
    }
    let again = verdicts(d, &database, &["subscribers", "remove", "ann@example.org"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("not on the list"), "{}", again.stderr);
}
