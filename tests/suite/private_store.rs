//! The store and the outbox are private to their owner (0600 files, 0700 folders), `verdicts check` warns when
//! they are not, and `/healthz` reports a store that can be read but not written.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use weekly_verdicts::store::Store;

use crate::support::app::spawn_app;
use crate::support::serve_process::{ServeProcess, healthz_on_a_fresh_connection};

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn a_fresh_store_its_wal_files_and_the_outbox_are_private_to_their_owner() {
    let server = ServeProcess::start(&[], None);
    // A write, so the WAL files are in use.
    assert_eq!(healthz_on_a_fresh_connection(server.addr, 1), Some(200));
    let db = server.database();
    let wal = db.with_file_name("verdicts.db-wal");
    let shm = db.with_file_name("verdicts.db-shm");
    assert_eq!(mode(db.parent().unwrap()), 0o700);
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&wal), 0o600);
    assert_eq!(mode(&shm), 0o600);
    assert_eq!(mode(&server.outbox()), 0o700);
    assert!(
        !server.log().contains("other users can read"),
        "{}",
        server.log()
    );
}

fn check(dir: &Path) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .arg("check")
        .current_dir(dir)
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_DATABASE", dir.join("verdicts.db"))
        .env("VERDICTS_OUTBOX_DIR", dir.join("outbox"))
        .env(
            "VERDICTS_CONTENT_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
        )
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_warns_when_others_can_read_the_store_and_is_quiet_once_it_is_private() {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
    let db = dir.path().join("verdicts.db");
    drop(Store::open_sqlite(&db).unwrap());
    fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).unwrap();

    let (code, stderr) = check(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("warning: {} has mode 644", db.display())),
        "{stderr}"
    );
    assert!(stderr.contains("chmod 600"), "{stderr}");

    fs::set_permissions(&db, fs::Permissions::from_mode(0o600)).unwrap();
    let (code, stderr) = check(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    // Other warnings (about the sample content's categories) may stand; none is about the store.
    assert!(
        !stderr
            .lines()
            .any(|l| l.starts_with("warning") && l.contains(&db.display().to_string())),
        "{stderr}"
    );
    assert!(!stderr.contains("chmod"), "{stderr}");
}

#[tokio::test]
async fn healthz_answers_503_while_the_store_can_be_read_but_not_written() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    // Another process holds the write lock (a stuck writer): reads still work in WAL mode, writes cannot.
    let holder = rusqlite::Connection::open(app.config.database.sqlite_path().unwrap()).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let blocked = app.get("/healthz").await;
    assert_eq!(blocked.status(), 503);
    assert_eq!(
        blocked.text().await.unwrap(),
        "the store cannot be written\n"
    );
    holder.execute_batch("ROLLBACK").unwrap();
    assert_eq!(app.get("/healthz").await.status(), 200);
}
