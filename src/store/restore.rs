//! Undoing bounces recorded by mistake (a relay fault read as a dead mailbox): bounced subscribers become
//! confirmed again, by address or by when they bounced.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::email_address::SubscriberEmail;
use crate::store::subscriber_queries::enum_column;
use crate::store::{Status, Store, parse_ts, ts};

/// What restoring one address did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restore {
    /// Was bounced (since `bounced_at`); confirmed again.
    Restored {
        email: String,
        bounced_at: DateTime<Utc>,
    },
    /// Not bounced: left as it was.
    NotBounced {
        email: String,
        status: Status,
    },
    NotFound {
        email: String,
    },
}

impl Store {
    /// Confirms again each of `emails` that is bounced; says what it did with each.
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
                    "SELECT email, status, status_changed_at FROM subscribers WHERE email_key = ?1",
                    [&key],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            enum_column::<Status>(row, 1)?,
                            row.get::<_, String>(2)?,
                        ))
                    },
                )
                .optional()?;
            done.push(match found {
                None => Restore::NotFound {
                    email: email.to_string(),
                },
                Some((email, Status::Bounced, changed)) => {
                    tx.execute(
                        "UPDATE subscribers SET status = 'confirmed', status_changed_at = ?2
                         WHERE email_key = ?1 AND status = 'bounced'",
                        params![key, ts(now)],
                    )?;
                    Restore::Restored {
                        email,
                        bounced_at: parse_ts(&changed)?,
                    }
                }
                Some((email, status, _)) => Restore::NotBounced { email, status },
            });
        }
        tx.commit()?;
        Ok(done)
    }

    /// Confirms again every subscriber who bounced at or after `since`; returns them, oldest bounce first.
    pub fn restore_bounced_since(
        &mut self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Restore>> {
        let tx = self.write_transaction()?;
        // Stored times share one fixed-width format (`ts`), so comparing the text compares the times.
        let bounced: Vec<(i64, String, String)> = tx
            .prepare(
                "SELECT id, email, status_changed_at FROM subscribers
                 WHERE status = 'bounced' AND status_changed_at >= ?1
                 ORDER BY status_changed_at, id",
            )?
            .query_map([ts(since)], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut restored = Vec::with_capacity(bounced.len());
        for (id, email, changed) in bounced {
            tx.execute(
                "UPDATE subscribers SET status = 'confirmed', status_changed_at = ?2 WHERE id = ?1",
                params![id, ts(now)],
            )?;
            restored.push(Restore::Restored {
                email,
                bounced_at: parse_ts(&changed)?,
            });
        }
        tx.commit()?;
        Ok(restored)
    }
}
