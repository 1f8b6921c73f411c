//! `verdicts subscribers …` run as a real process on a fresh store: add, remove, list, count, import, export,
//! with their messages and exit codes.

use std::path::Path;
use std::process::Command;

use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{Source, Status, Store};

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn verdicts(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .args(args)
        .current_dir(dir)
        .env_remove("VERDICTS_CONFIG")
        .env_remove("VERDICTS_SMTP_URL")
        .env("VERDICTS_DATABASE", dir.join("verdicts.db"))
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

pub(crate) fn store(dir: &Path) -> Store {
    Store::open_sqlite(&dir.join("verdicts.db")).unwrap()
}

fn status_of(dir: &Path, email: &str) -> Option<Status> {
    store(dir)
        .find_by_email(&SubscriberEmail::parse(email).unwrap())
        .unwrap()
        .map(|s| s.status)
}

#[test]
fn subscribers_add_list_count_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let added = verdicts(
        d,
        &[
            "subscribers",
            "add",
            "ann@example.org",
            "--name",
            "Ann",
            "--confirmed",
        ],
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(added.stderr.contains("added ann@example.org (confirmed)"));
    let ann = store(d)
        .find_by_email(&SubscriberEmail::parse("ann@example.org").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        (ann.status, ann.source, ann.name.as_deref()),
        (Status::Confirmed, Source::Cli, Some("Ann"))
    );

    let pending = verdicts(d, &["subscribers", "add", "bob@example.org"]);
    assert_eq!(pending.code, 0, "{}", pending.stderr);
    assert_eq!(status_of(d, "bob@example.org"), Some(Status::Pending));
    // Pending means a confirmation email went out, into the outbox by default.
    let outbox: Vec<_> = std::fs::read_dir(d.join("outbox")).unwrap().collect();
    assert_eq!(outbox.len(), 1);
    let eml = std::fs::read_to_string(outbox[0].as_ref().unwrap().path()).unwrap();
    assert!(eml.contains("To: bob@example.org"), "{eml}");
    assert!(eml.contains("/confirm/"));

    let list = verdicts(d, &["subscribers", "list"]);
    assert_eq!(list.code, 0);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", list.stdout);
    assert!(lines[1].contains("ann@example.org") && lines[1].contains("confirmed"));
    assert!(lines[2].contains("bob@example.org") && lines[2].contains("pending"));
    let confirmed = verdicts(d, &["subscribers", "list", "--status", "confirmed"]);
    assert_eq!(confirmed.stdout.lines().count(), 2);

    let count = verdicts(d, &["subscribers", "count"]);
    assert!(count.stdout.contains("confirmed    1"), "{}", count.stdout);
    assert!(count.stdout.contains("pending      1"), "{}", count.stdout);
    assert!(count.stdout.contains("total        2"), "{}", count.stdout);

    let duplicate = verdicts(d, &["subscribers", "add", "ANN@example.org"]);
    assert_eq!(duplicate.code, 1);
    assert!(
        duplicate.stderr.contains("already on the list"),
        "{}",
        duplicate.stderr
    );

    let removed = verdicts(d, &["subscribers", "remove", "ann@example.org"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert_eq!(status_of(d, "ann@example.org"), None);
    let again = verdicts(d, &["subscribers", "remove", "ann@example.org"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("not on the list"), "{}", again.stderr);
}

#[test]
fn bad_input_on_the_command_line_exits_3_or_2_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = verdicts(d, &["subscribers", "add", "not-an-address"]);
    assert_eq!(bad.code, 3);
    assert!(bad.stderr.contains("has no @"), "{}", bad.stderr);
    let bad_name = verdicts(
        d,
        &[
            "subscribers",
            "add",
            "a@example.org",
            "--name",
            "A\r\nBcc: x@example.org",
        ],
    );
    assert_eq!(bad_name.code, 3);
    assert_eq!(verdicts(d, &["subscribers", "remove", "@@"]).code, 3);
    let status = verdicts(d, &["subscribers", "list", "--status", "active"]);
    assert_eq!(status.code, 2);
    assert!(
        status
            .stderr
            .contains("pending, confirmed, unsubscribed, bounced"),
        "{}",
        status.stderr
    );
    assert!(store(d).list(None).unwrap().is_empty());
}

#[test]
fn an_import_with_bad_rows_names_their_lines_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = "email,name,status\n\
               good@example.org,Good,confirmed\n\
               not-an-address,Bad,confirmed\n\
               \n\
               other@example.org,Other,maybe\n\
               fine@example.org,,\n";
    std::fs::write(d.join("list.csv"), csv).unwrap();
    let run = verdicts(d, &["subscribers", "import", "list.csv"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("list.csv: line 3, column \"email\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("list.csv: line 5, column \"status\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("nothing was imported: 2 problem(s)"),
        "{}",
        run.stderr
    );
    assert!(store(d).list(None).unwrap().is_empty());

    let skipping = verdicts(d, &["subscribers", "import", "list.csv", "--skip-invalid"]);
    assert_eq!(skipping.code, 0, "{}", skipping.stderr);
    assert!(
        skipping.stderr.contains("skipped: list.csv: line 3"),
        "{}",
        skipping.stderr
    );
    assert!(
        skipping.stderr.contains("imported 2 new subscriber(s)"),
        "{}",
        skipping.stderr
    );
    assert_eq!(status_of(d, "good@example.org"), Some(Status::Confirmed));
    assert_eq!(status_of(d, "fine@example.org"), Some(Status::Confirmed));

    let missing = verdicts(d, &["subscribers", "import", "nope.csv"]);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("nope.csv"), "{}", missing.stderr);
}

#[test]
fn an_export_goes_to_stdout_or_a_private_file_and_imports_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    verdicts(
        d,
        &[
            "subscribers",
            "add",
            "ann@example.org",
            "--name",
            "Ann, \"A\"",
            "--confirmed",
        ],
    );
    verdicts(d, &["subscribers", "add", "bob@example.org"]);
    let stdout = verdicts(d, &["subscribers", "export"]);
    assert_eq!(stdout.code, 0);
    let lines: Vec<&str> = stdout.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "email,name,status,source,created_at,confirmed_at,categories,paused_until,status_reason"
    );
    assert!(
        lines[1].starts_with("ann@example.org,\"Ann, \"\"A\"\"\",confirmed,cli,"),
        "{}",
        lines[1]
    );
    assert_eq!(lines.len(), 3);

    let file = verdicts(
        d,
        &[
            "subscribers",
            "export",
            "--status",
            "confirmed",
            "--out",
            "confirmed.csv",
        ],
    );
    assert_eq!(file.code, 0, "{}", file.stderr);
    assert!(
        file.stderr
            .contains("wrote 1 subscriber(s) to confirmed.csv")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("confirmed.csv"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the export is readable by its owner only");
    }

    let other = tempfile::tempdir().unwrap();
    std::fs::copy(d.join("confirmed.csv"), other.path().join("in.csv")).unwrap();
    let import = verdicts(other.path(), &["subscribers", "import", "in.csv"]);
    assert_eq!(import.code, 0, "{}", import.stderr);
    let ann = store(other.path()).list(None).unwrap().remove(0);
    assert_eq!(
        (ann.email.as_str(), ann.name.as_deref(), ann.status),
        ("ann@example.org", Some("Ann, \"A\""), Status::Confirmed)
    );
}

#[test]
fn read_only_commands_in_a_folder_without_a_store_say_so_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("site").display().to_string();
    for args in [
        &["status"][..],
        &["archive", "--out", &out],
        &["subscribers", "list"],
        &["subscribers", "count"],
        &["subscribers", "export"],
        &["subscribers", "remove", "ann@example.org"],
        &["send", "--dry-run"],
    ] {
        let run = verdicts(d, args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("there is no store at")
                && run.stderr.contains("verdicts.db")
                && run.stderr.contains("VERDICTS_DATABASE"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert_eq!(
            std::fs::read_dir(d).unwrap().count(),
            0,
            "{args:?} created something"
        );
    }
}
