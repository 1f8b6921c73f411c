//! The schema, as an append-only list of migrations tracked by `PRAGMA user_version`.
//!
//! Never edit a migration that has shipped: add a new one at the end. Each runs in the same IMMEDIATE transaction
//! as the version bump, so concurrent first opens of one file migrate it exactly once.

use anyhow::{Context, Result};
use rusqlite::{Connection, TransactionBehavior};

/// Migration `i` (0-based) brings the schema from version `i` to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the whole initial schema.
    "
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE subscribers (
      id INTEGER PRIMARY KEY,
      email TEXT NOT NULL,
      email_key TEXT NOT NULL UNIQUE,
      name TEXT,
      status TEXT NOT NULL CHECK (status IN ('pending','confirmed','unsubscribed','bounced')),
      source TEXT NOT NULL CHECK (source IN ('form','cli','import')),
      created_at TEXT NOT NULL,
      status_changed_at TEXT NOT NULL,
      confirmed_at TEXT,
      unsubscribed_at TEXT,
      confirmation_sent_at TEXT
    );
    CREATE INDEX subscribers_by_status ON subscribers(status, id);

    CREATE TABLE issues (
      id INTEGER PRIMARY KEY,
      key TEXT NOT NULL UNIQUE,
      window_start TEXT NOT NULL,
      window_end TEXT NOT NULL,
      subject TEXT NOT NULL,
      preheader TEXT NOT NULL,
      html TEXT NOT NULL,
      text TEXT NOT NULL,
      created_at TEXT NOT NULL,
      completed_at TEXT
    );

    CREATE TABLE issue_comparisons (
      issue_id INTEGER NOT NULL REFERENCES issues(id),
      slug TEXT NOT NULL,
      title TEXT NOT NULL,
      PRIMARY KEY (issue_id, slug)
    );

    CREATE TABLE deliveries (
      issue_id INTEGER NOT NULL REFERENCES issues(id),
      subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),
      email TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending','sent','deferred','failed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TEXT,
      last_error TEXT,
      relay_reply TEXT,
      sent_at TEXT,
      PRIMARY KEY (issue_id, subscriber_id)
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_by_state ON deliveries(issue_id, state, subscriber_id);
    -- remove() deletes a subscriber's deliveries; without this it would scan every issue's ledger.
    CREATE INDEX deliveries_by_subscriber ON deliveries(subscriber_id);

    CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at TEXT NOT NULL);
    ",
    // 3 (issue 9; written to follow the web/records branch's migration 2, and second in this list until that
    // merges): the `skipped` ledger state (a subscriber who left after the issue was created was recorded as
    // failed with no attempt), and why a run paused the issue. SQLite cannot change a CHECK, so the ledger
    // is copied into a new table; nothing references it.
    "
    ALTER TABLE issues ADD COLUMN paused_at TEXT;
    ALTER TABLE issues ADD COLUMN paused_reason TEXT;

    CREATE TABLE deliveries_v3 (
      issue_id INTEGER NOT NULL REFERENCES issues(id),
      subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),
      email TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending','sent','deferred','failed','skipped')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at TEXT,
      last_error TEXT,
      relay_reply TEXT,
      sent_at TEXT,
      PRIMARY KEY (issue_id, subscriber_id)
    ) WITHOUT ROWID;
    INSERT INTO deliveries_v3
      SELECT issue_id, subscriber_id, email,
             CASE WHEN state = 'failed' AND attempts = 0 AND last_error LIKE 'not sent: %' THEN 'skipped'
                  ELSE state END,
             attempts, next_attempt_at, last_error, relay_reply, sent_at
      FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_v3 RENAME TO deliveries;
    CREATE INDEX deliveries_by_state ON deliveries(issue_id, state, subscriber_id);
    CREATE INDEX deliveries_by_subscriber ON deliveries(subscriber_id);
    ",
];

/// Brings the database up to the latest schema version; a no-op when it is already there.
pub(super) fn apply(conn: &mut Connection) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("locking the store to check its schema version")?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let known = MIGRATIONS.len() as i64;
    anyhow::ensure!(
        (0..=known).contains(&version),
        "the store has schema version {version} but this build of verdicts knows only up to {known}; \
         use a newer verdicts"
    );
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let target = index + 1;
        tx.execute_batch(sql)
            .with_context(|| format!("applying store migration {target}"))?;
        tx.pragma_update(None, "user_version", target as i64)?;
    }
    tx.commit().context("committing store migrations")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{MIGRATIONS, apply};

    fn user_version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn applying_twice_leaves_the_schema_at_the_latest_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        apply(&mut conn).unwrap();
        assert_eq!(user_version(&conn), MIGRATIONS.len() as i64);
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(tables, 6);
    }

    #[test]
    fn a_ledger_from_before_the_skipped_state_keeps_its_rows_and_calls_the_unattempted_ones_skipped()
     {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("{}PRAGMA user_version = 1;", MIGRATIONS[0]))
            .unwrap();
        conn.execute_batch(
            "INSERT INTO subscribers VALUES (1, 'a@x.org', 'a@x.org', NULL, 'unsubscribed', 'cli', 't', 't', NULL, NULL, NULL);
             INSERT INTO subscribers VALUES (2, 'b@x.org', 'b@x.org', NULL, 'bounced', 'cli', 't', 't', NULL, NULL, NULL);
             INSERT INTO issues (id, key, window_start, window_end, subject, preheader, html, text, created_at)
               VALUES (1, '2026-W47', 't', 't', 's', 'p', 'h', 't', 't');
             INSERT INTO deliveries (issue_id, subscriber_id, email, state, attempts, last_error) VALUES
               (1, 1, 'a@x.org', 'failed', 0, 'not sent: the subscriber is unsubscribed since the issue was created'),
               (1, 2, 'b@x.org', 'failed', 1, '550 5.1.1 no such user');",
        )
        .unwrap();
        apply(&mut conn).unwrap();
        let states: Vec<String> = conn
            .prepare("SELECT state FROM deliveries ORDER BY subscriber_id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(states, ["skipped", "failed"]);
    }

    #[test]
    fn a_store_from_a_newer_build_is_refused_with_advice() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = apply(&mut conn).unwrap_err();
        assert!(err.to_string().contains("newer verdicts"), "{err}");
    }

    #[test]
    fn a_store_is_opened_twice_on_one_file_without_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("verdicts.db");
        drop(crate::store::Store::open(&path).unwrap());
        let store = crate::store::Store::open(&path).unwrap();
        assert_eq!(user_version(&store.conn), MIGRATIONS.len() as i64);
    }
}
