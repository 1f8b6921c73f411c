//! The schema, as an append-only list of migrations tracked by `PRAGMA user_version`.
//!
//! Never edit a migration that has shipped: add a new one at the end. Each runs in the same IMMEDIATE transaction
//! as the version bump, so concurrent first opens of one file migrate it exactly once. Foreign keys are off while
//! migrating (SQLite's procedure for rebuilding a table that others reference) and checked before the commit.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

mod bounce_reports;
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
    // 4: the process that took a queued confirmation mail to send it, so several `serve` instances never send the
    // same one and a dead one's claims are given back at once (see confirmation_mails.rs).
    Migration::Sql("ALTER TABLE confirmation_mails ADD COLUMN claimed_by TEXT;"),
    // 5: readers' topics (store/topics.rs). `categories` are the names a reader follows as shown, joined by `;`
    // (empty: everything); `pending_categories` wait, like `pending_name`, for the link mailed with them; a
    // ledger row keeps the categories its reader had at the snapshot: the edition it is sent.
    Migration::Sql(
        "
    ALTER TABLE subscribers ADD COLUMN categories TEXT NOT NULL DEFAULT '';
    ALTER TABLE subscribers ADD COLUMN pending_categories TEXT;
    ALTER TABLE subscribers ADD COLUMN paused_until TEXT;
    ALTER TABLE deliveries ADD COLUMN categories TEXT NOT NULL DEFAULT '';
    ",
    ),
    // 6: the `complained` status, soft-bounce counts and the reports of bounces and complaints that came back
    // after the send (see store/bounces.rs).
    Migration::Code(bounce_reports::migrate),
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
    // Only after a migration ran: the check reads every row (about 0.6 s per million ledger rows), and a store
    // already current was checked when it was migrated.
    if version < known {
        let broken: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |row| row.get(0))
            .optional()?;
        anyhow::ensure!(
            broken.is_none(),
            "the migrated store has rows in {broken:?} that point at missing rows; nothing was changed"
        );
    }
    tx.commit().context("committing store migrations")?;
    Ok(())
}

#[cfg(test)]
mod tests;
