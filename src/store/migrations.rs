//! The schema, as an append-only list of migrations tracked by `PRAGMA user_version`.
//!
//! Never edit a migration that has shipped: add a new one at the end. Each runs in the same IMMEDIATE transaction
//! as the version bump, so concurrent first opens of one file migrate it exactly once. Foreign keys are off while
//! migrating (SQLite's procedure for rebuilding a table that others reference) and checked before the commit.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

mod link_nonces;

/// One step of the schema.
enum Migration {
    Sql(&'static str),
    /// SQL plus work SQLite cannot do alone (random nonces, hashes).
    Code(fn(&Transaction<'_>) -> Result<()>),
}

/// Migration `i` (0-based) brings the schema from version `i` to version `i + 1`.
const MIGRATIONS: &[Migration] = &[
    // 1: the whole initial schema.
    Migration::Sql(
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
    ),
    // 2: ids never reused, link nonces, the consent history, the confirmation mail queue.
    Migration::Code(link_nonces::migrate),
    // 3: the `skipped` ledger state (a subscriber who left after the issue was created was recorded as
    // failed with no attempt), and why a run paused the issue. SQLite cannot change a CHECK, so the ledger
    // is copied into a new table; nothing references it.
    Migration::Sql(
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
    ),
];

/// Brings the database up to the latest schema version; a no-op when it is already there.
pub(super) fn apply(conn: &mut Connection) -> Result<()> {
    let foreign_keys: i64 = conn.query_row("PRAGMA foreign_keys", [], |row| row.get(0))?;
    // A no-op inside a transaction, so it goes first.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let applied = apply_unchecked(conn);
    conn.pragma_update(None, "foreign_keys", foreign_keys)?;
    applied
}

fn apply_unchecked(conn: &mut Connection) -> Result<()> {
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
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let target = index + 1;
        match migration {
            Migration::Sql(sql) => tx.execute_batch(sql).map_err(anyhow::Error::from),
            Migration::Code(migrate) => migrate(&tx),
        }
        .with_context(|| format!("applying store migration {target}"))?;
        tx.pragma_update(None, "user_version", target as i64)?;
    }
    let broken: Option<String> = tx
        .query_row("PRAGMA foreign_key_check", [], |row| row.get(0))
        .optional()?;
    anyhow::ensure!(
        broken.is_none(),
        "the migrated store has rows in {broken:?} that point at missing rows; nothing was changed"
    );
    tx.commit().context("committing store migrations")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{MIGRATIONS, Migration, apply};

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
        assert_eq!(tables, 9);
    }

    /// A store at schema version 1, as the previous release left it: Ann pending, Bob confirmed, and Cat, who got
    /// the id of a removed reader (ids were reused then).
    fn version_1_store(path: &std::path::Path) {
        let mut conn = Connection::open(path).unwrap();
        let tx = conn.transaction().unwrap();
        let Migration::Sql(sql) = &MIGRATIONS[0] else {
            panic!("migration 1 is SQL")
        };
        tx.execute_batch(sql).unwrap();
        tx.pragma_update(None, "user_version", 1).unwrap();
        tx.execute_batch(
            "INSERT INTO subscribers (id, email, email_key, name, status, source, created_at, status_changed_at,
                                      confirmed_at, confirmation_sent_at)
             VALUES (1, 'ann@example.org', 'ann@example.org', 'Ann', 'pending', 'form',
                     '2026-11-20T09:00:00.000000Z', '2026-11-20T09:00:00.000000Z', NULL, '2026-11-20T09:00:00.000000Z'),
                    (2, 'bob@example.org', 'bob@example.org', NULL, 'confirmed', 'cli',
                     '2026-11-01T09:00:00.000000Z', '2026-11-01T09:00:00.000000Z', '2026-11-01T09:00:00.000000Z', NULL),
                    (3, 'cat@example.org', 'cat@example.org', NULL, 'pending', 'import',
                     '2024-01-01T00:00:00.000000Z', '2026-11-21T09:00:00.000000Z', NULL, NULL);
             INSERT INTO issues (id, key, window_start, window_end, subject, preheader, html, text, created_at)
             VALUES (1, '2026-W45', 'a', 'b', 's', 'p', 'h', 't', 'c');
             INSERT INTO deliveries (issue_id, subscriber_id, email, state) VALUES (1, 2, 'bob@example.org', 'sent');",
        )
        .unwrap();
        tx.commit().unwrap();
    }

    #[test]
    fn migrating_a_version_1_store_keeps_rows_and_ledger_and_never_reuses_an_id_again() {
        use crate::email_address::SubscriberEmail;
        use crate::store::{Channel, Origin, Source, Status, Store};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("verdicts.db");
        version_1_store(&path);
        let mut store = Store::open(&path).unwrap();
        assert_eq!(user_version(&store.conn), MIGRATIONS.len() as i64);
        let rows = store.list(None).unwrap();
        assert_eq!(
            rows.iter()
                .map(|s| (s.id, s.email.as_str(), s.status))
                .collect::<Vec<_>>(),
            [
                (1, "ann@example.org", Status::Pending),
                (2, "bob@example.org", Status::Confirmed),
                (3, "cat@example.org", Status::Pending)
            ]
        );
        assert_eq!(rows[0].name.as_deref(), Some("Ann"));
        let ledger: i64 = store
            .conn
            .query_row(
                "SELECT count(*) FROM deliveries WHERE subscriber_id = 2",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(ledger, 1);
        let bob = SubscriberEmail::parse("bob@example.org").unwrap();
        let history = store.consent_history(&bob).unwrap();
        assert_eq!(
            history.iter().map(|r| r.event.as_str()).collect::<Vec<_>>(),
            ["add", "confirm"]
        );

        let now = crate::store::parse_ts("2026-11-23T09:00:00Z").unwrap();
        let cat = SubscriberEmail::parse("cat@example.org").unwrap();
        assert!(store.remove(&cat, now).unwrap());
        let dan = SubscriberEmail::parse("dan@example.org").unwrap();
        let origin = Origin::new(Channel::Form);
        let dan_id = store
            .subscribe(&dan, None, Source::Form, &origin, now)
            .unwrap()
            .subscriber_id;
        assert_eq!(
            dan_id, 4,
            "the removed reader's id 3 is not given out again"
        );
    }

    #[test]
    fn links_sent_before_the_migration_work_for_their_own_subscription_only() {
        use crate::store::{Channel, ConfirmOutcome, Origin, Store, UnsubscribeOutcome};
        use crate::tokens::Link;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("verdicts.db");
        version_1_store(&path);
        let mut store = Store::open(&path).unwrap();
        let at = |s: &str| crate::store::parse_ts(s).unwrap();
        let now = at("2026-11-23T09:00:00Z");
        let link = |id, issued: &str| Link {
            subscriber_id: id,
            nonce: None,
            issued_at: at(issued),
        };
        let origin = Origin::new(Channel::Link);
        // Cat's row (id 3) reused the id of someone who got a confirm link before Cat's row existed.
        assert_eq!(
            store
                .confirm(&link(3, "2026-11-19T09:00:00Z"), &origin, now)
                .unwrap(),
            ConfirmOutcome::Superseded
        );
        assert_eq!(
            store
                .unsubscribe(&link(3, "2026-11-10T09:00:00Z"), &origin, now)
                .unwrap(),
            UnsubscribeOutcome::Stale
        );
        // Ann's own confirm link and Bob's own unsubscribe link still work.
        assert_eq!(
            store
                .confirm(&link(1, "2026-11-20T09:00:00Z"), &origin, now)
                .unwrap(),
            ConfirmOutcome::Confirmed
        );
        assert_eq!(
            store
                .unsubscribe(&link(2, "2026-11-16T09:00:00Z"), &origin, now)
                .unwrap(),
            UnsubscribeOutcome::Unsubscribed
        );
    }

    #[test]
    fn a_ledger_from_before_the_skipped_state_keeps_its_rows_and_calls_the_unattempted_ones_skipped()
     {
        let mut conn = Connection::open_in_memory().unwrap();
        let Migration::Sql(sql) = &MIGRATIONS[0] else {
            panic!("migration 1 is SQL")
        };
        conn.execute_batch(&format!("{sql}PRAGMA user_version = 1;"))
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
