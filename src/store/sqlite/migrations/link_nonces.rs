//! Migration 2: subscriber ids are never reused, every subscription carries a link nonce, and the store keeps the
//! consent history and a queue of confirmation mails still to send.
//!
//! SQLite cannot add AUTOINCREMENT to a table, so `subscribers` is rebuilt (the documented create-copy-drop-rename
//! procedure; `apply` has turned foreign keys off and checks them before committing). AUTOINCREMENT makes SQLite
//! remember the largest id ever given out, so the id of a removed reader never goes to someone else.
//!
//! Links sent before this migration are id-only (no nonce). They keep working for the subscriptions they were sent
//! for, and only those: `links_from` is set to the row's `status_changed_at`, and the store refuses an id-only link
//! issued before `links_from` (see `Store::confirm`). Why that is enough:
//! - Before this migration a removed reader's id could be given to a new row. That row was created after every
//!   link the removed reader got, and its `status_changed_at` is no earlier than its creation, so those links are
//!   older than `links_from` and refused. (`created_at` would not do: an import may backdate it.)
//! - A live subscription's own links were issued at or after its latest state change (a confirm link with the
//!   change that made it pending, unsubscribe links to a confirmed reader after the confirmation), so they pass.
//!   Links from before that change (an unsubscribe link from an earlier period of the same reader) are refused,
//!   which is what a link issued before the latest state change should get anyway.
//! - After this migration ids are never reused, so no id-only link can reach a row other than its own; new rows
//!   get `links_from` = the time they were inserted.

use anyhow::Result;
use rusqlite::{Transaction, params};

use crate::store::consent::email_hash;

const SCHEMA: &str = "
CREATE TABLE subscribers_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL,
  email_key TEXT NOT NULL UNIQUE,
  name TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending','confirmed','unsubscribed','bounced')),
  source TEXT NOT NULL CHECK (source IN ('form','cli','import')),
  created_at TEXT NOT NULL,
  status_changed_at TEXT NOT NULL,
  confirmed_at TEXT,
  unsubscribed_at TEXT,
  confirmation_sent_at TEXT,
  -- Random; replaced at every state change and with every confirmation mail. Bound links carry it.
  link_nonce INTEGER NOT NULL,
  -- Id-only links issued before this time do nothing.
  links_from TEXT NOT NULL,
  -- The name asked for with the latest confirmation mail: it becomes the name when that mail's link is followed.
  pending_name TEXT
);
INSERT INTO subscribers_new
  (id, email, email_key, name, status, source, created_at, status_changed_at, confirmed_at, unsubscribed_at,
   confirmation_sent_at, link_nonce, links_from, pending_name)
SELECT id, email, email_key, name, status, source, created_at, status_changed_at, confirmed_at, unsubscribed_at,
   confirmation_sent_at, random(), status_changed_at, name
FROM subscribers;
DROP TABLE subscribers;
ALTER TABLE subscribers_new RENAME TO subscribers;
CREATE INDEX subscribers_by_status ON subscribers(status, id);

-- The proof of consent: every opt-in, confirmation, opt-out, bounce, import, addition and removal. Kept when a
-- subscriber is removed; the address is kept only as its SHA-256 (see consent.rs).
CREATE TABLE consent_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subscriber_id INTEGER NOT NULL,
  email_hash TEXT NOT NULL,
  at TEXT NOT NULL,
  event TEXT NOT NULL,
  channel TEXT NOT NULL,
  client TEXT,
  detail TEXT
);
CREATE INDEX consent_events_by_email ON consent_events(email_hash, id);

-- Confirmation mails to send, written in the same transaction as the request: sent after the answer, and after a
-- restart if the process died first. One per subscriber: a newer request replaces it.
CREATE TABLE confirmation_mails (
  subscriber_id INTEGER PRIMARY KEY REFERENCES subscribers(id) ON DELETE CASCADE,
  nonce INTEGER NOT NULL,
  name TEXT,
  queued_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error TEXT
);
";

/// id, email_key, source, created_at, confirmed_at, unsubscribed_at
type OldRow = (i64, String, String, String, Option<String>, Option<String>);

pub(super) fn migrate(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(SCHEMA)?;
    // What the rows already say, as the first entries of their history.
    let rows: Vec<OldRow> = tx
        .prepare(
            "SELECT id, email_key, source, created_at, confirmed_at, unsubscribed_at FROM subscribers ORDER BY id",
        )?
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut insert = tx.prepare(
        "INSERT INTO consent_events (subscriber_id, email_hash, at, event, channel, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, 'recorded before the consent history existed')",
    )?;
    for (id, key, source, created_at, confirmed_at, unsubscribed_at) in rows {
        let hash = email_hash(&key);
        let first = match source.as_str() {
            "form" => "opt-in",
            "cli" => "add",
            _ => "import",
        };
        insert.execute(params![id, hash, created_at, first, source])?;
        if let Some(at) = confirmed_at {
            insert.execute(params![id, hash, at, "confirm", source])?;
        }
        if let Some(at) = unsubscribed_at {
            insert.execute(params![id, hash, at, "opt-out", "unknown"])?;
        }
    }
    Ok(())
}
