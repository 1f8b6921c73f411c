//! SQLite: The consent history: every opt-in, confirmation, opt-out, bounce, import, addition and removal, with when, how
//! (the channel) and the client address where known. It is the proof of consent that GDPR and CAN-SPAM disputes ask
//! for, so it outlives the subscriber row: `subscribers remove` deletes the address and name but keeps these
//! events. They name the address only by the SHA-256 of its lower-cased form, which is enough to answer "show me
//! the record for this address" (`verdicts subscribers history EMAIL`) without keeping a list of removed
//! addresses in the clear.

use anyhow::Result;
use rusqlite::{Connection, params};

use crate::email_address::SubscriberEmail;
use crate::store::ConsentRecord;
use crate::store::consent::{Entry, email_hash};
use crate::store::sqlite::{SqliteStore, ts, ts_column};

impl SqliteStore {
    pub fn consent_history(&self, email: &SubscriberEmail) -> Result<Vec<ConsentRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT subscriber_id, at, event, channel, client, detail FROM consent_events
             WHERE email_hash = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([email_hash(&email.key())], |row| {
            Ok(ConsentRecord {
                subscriber_id: row.get::<_, i64>(0)? as u64,
                at: ts_column(row, 1)?,
                event: row.get(2)?,
                channel: row.get(3)?,
                client: row.get(4)?,
                detail: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Appends a consent history entry; call it inside the transaction that makes the change it records.
pub(crate) fn record_consent(conn: &Connection, entry: &Entry<'_>) -> Result<()> {
    conn.execute(
        "INSERT INTO consent_events (subscriber_id, email_hash, at, event, channel, client, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            entry.subscriber_id,
            email_hash(entry.email_key),
            ts(entry.at),
            entry.event.as_str(),
            entry.origin.channel.as_str(),
            entry.origin.client,
            entry.detail,
        ],
    )?;
    Ok(())
}
