//! SQLite: Undoing bounces recorded by mistake (a relay fault read as a dead mailbox): bounced subscribers become
//! confirmed again, by address or by when they bounced.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::email_address::SubscriberEmail;
use crate::store::consent::Entry;
use crate::store::restore::restore_detail;
use crate::store::sqlite::consent::record_consent;
use crate::store::sqlite::subscriber_queries::enum_column;
use crate::store::sqlite::{SqliteStore, parse_ts, ts};
use crate::store::{Channel, ConsentEvent, Origin, Restore, Status};

impl SqliteStore {
    pub fn restore_bounced(
        &mut self,
        emails: &[SubscriberEmail],
        now: DateTime<Utc>,
    ) -> Result<Vec<Restore>> {
        let tx = self.write_transaction()?;
        let mut done = Vec::with_capacity(emails.len());
        for email in emails {
            let key = email.key();
            let found = tx
                .query_row(
                    "SELECT id, email, status, status_changed_at FROM subscribers WHERE email_key = ?1",
                    [&key],
                    |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, String>(1)?,
                            enum_column::<Status>(row, 2)?,
                            row.get::<_, String>(3)?,
                        ))
                    },
                )
                .optional()?;
            done.push(match found {
                None => Restore::NotFound {
                    email: email.to_string(),
                },
                Some((id, email, Status::Bounced, changed)) => {
                    tx.execute(
                        "UPDATE subscribers SET status = 'confirmed', status_changed_at = ?2, status_reason = NULL,
                           soft_bounces = 0
                         WHERE email_key = ?1 AND status = 'bounced'",
                        params![key, ts(now)],
                    )?;
                    record_restore(&tx, id, &key, &changed, now)?;
                    Restore::Restored {
                        email,
                        bounced_at: parse_ts(&changed)?,
                    }
                }
                Some((_, email, status, _)) => Restore::NotBounced { email, status },
            });
        }
        tx.commit()?;
        Ok(done)
    }

    pub fn restore_bounced_since(
        &mut self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Restore>> {
        let tx = self.write_transaction()?;
        // Stored times share one fixed-width format (`ts`), so comparing the text compares the times.
        let bounced: Vec<(i64, String, String, String)> = tx
            .prepare(
                "SELECT id, email, status_changed_at, email_key FROM subscribers
                 WHERE status = 'bounced' AND status_changed_at >= ?1
                 ORDER BY status_changed_at, id",
            )?
            .query_map([ts(since)], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut restored = Vec::with_capacity(bounced.len());
        for (id, email, changed, key) in bounced {
            tx.execute(
                "UPDATE subscribers SET status = 'confirmed', status_changed_at = ?2, status_reason = NULL,
                   soft_bounces = 0
                 WHERE id = ?1",
                params![id, ts(now)],
            )?;
            record_restore(&tx, id, &key, &changed, now)?;
            restored.push(Restore::Restored {
                email,
                bounced_at: parse_ts(&changed)?,
            });
        }
        tx.commit()?;
        Ok(restored)
    }
}

/// The consent history keeps the undoing beside the bounce it undoes.
fn record_restore(
    conn: &rusqlite::Connection,
    id: i64,
    email_key: &str,
    bounced_at: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    record_consent(
        conn,
        &Entry {
            subscriber_id: id,
            email_key,
            event: ConsentEvent::Restore,
            origin: &Origin::new(Channel::Cli),
            detail: Some(&restore_detail(parse_ts(bounced_at)?)),
            at: now,
        },
    )
}
