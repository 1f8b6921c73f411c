//! PostgreSQL for the tests: each test gets a fresh database of its own on the throw-away cluster that
//! `scripts/test` starts (`TEST_POSTGRES_URL` is that cluster's admin URL). Without one, a test that needs it says
//! that it was skipped; under `POSTGRES_TESTS_REQUIRED` (set by CI, which installs PostgreSQL) that is a failure.
//!
//! [`backends`] gives the same test both stores: a SQLite file and, when the cluster is there, a PostgreSQL
//! database; the store suite runs every case on each.

use std::sync::atomic::{AtomicU32, Ordering};

use tempfile::TempDir;
use weekly_verdicts::store::Database;

/// A store for one test, with what keeps it alive.
pub struct Backend {
    /// "SQLite" or "PostgreSQL", for assertion messages.
    pub name: &'static str,
    pub database: Database,
    /// The SQLite file's folder, kept until the backend is dropped; none for PostgreSQL.
    _dir: Option<TempDir>,
}

/// A fresh SQLite store and, when the test cluster runs, a fresh PostgreSQL database.
pub fn backends(test: &str) -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![Backend {
        name: "SQLite",
        database: Database::Sqlite(dir.path().join("verdicts.db")),
        _dir: Some(dir),
    }];
    if let Some(database) = fresh_database(test) {
        all.push(Backend {
            name: "PostgreSQL",
            database,
            _dir: None,
        });
    }
    all
}

/// A new, empty database on the test cluster, or `None` (after saying so) when there is no cluster.
pub fn fresh_database(test: &str) -> Option<Database> {
    let Some(admin) = admin_url() else {
        skipped(
            test,
            "TEST_POSTGRES_URL is not set (scripts/test starts a PostgreSQL cluster and sets it)",
        );
        return None;
    };
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let statement = format!("CREATE DATABASE {name}");
    let admin_for_thread = admin.clone();
    // The synchronous client may not block inside the test's async runtime: use a plain thread.
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin_for_thread, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to the test cluster {admin_for_thread}: {e}"));
        client.batch_execute(&statement).unwrap();
    })
    .join()
    .unwrap();
    let (base, _) = admin
        .rsplit_once('/')
        .expect("the admin URL names a database");
    Some(format!("{base}/{name}").parse().unwrap())
}

/// The test cluster's admin URL, if one runs.
pub fn admin_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Says why a PostgreSQL test does not run, or fails it when CI requires PostgreSQL.
fn skipped(test: &str, why: &str) {
    assert!(
        std::env::var_os("POSTGRES_TESTS_REQUIRED").is_none(),
        "POSTGRES_TESTS_REQUIRED is set, but {why}"
    );
    eprintln!("skipped the PostgreSQL half of {test}: {why}");
}
