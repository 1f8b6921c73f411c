//! PostgreSQL: undoing bounces recorded by mistake (a relay fault read as a dead mailbox): bounced subscribers
//! become confirmed again, by address or by when they bounced. Rows are locked before they are judged, so a
//! concurrent change (an unsubscribe, a second restore) is either seen or waits.

use anyhow::Result;
use chrono::{DateTime, Utc};
use postgres::GenericClient;

use crate::email_address::SubscriberEmail;
use crate::store::consent::Entry;
use crate::store::postgres::consent::record_consent;
use crate::store::postgres::subscriber_queries::enum_column;
use crate::store::restore::restore_detail;
use crate::store::{Channel, ConsentEvent, Origin, PgStore, Restore, Status};

impl PgStore {
    pub fn restore_bounced(
        &mut self,
        emails: &[SubscriberEmail],
        now: DateTime<Utc>,
    ) -> Result<Vec<Restore>> {
        self.with(|client| {
            let mut tx = client.transaction()?;
            let find = tx.prepare(
                "SELECT id, email, status, status_changed_at FROM subscribers WHERE email_key = $1 FOR UPDATE",
            )?;
            let mut done = Vec::with_capacity(emails.len());
            for email in emails {
                let key = email.key();
                let Some(found) = tx.query_opt(&find, &[&key])? else {
                    done.push(Restore::NotFound {
                        email: email.to_string(),
                    });
                    continue;
                };
                let (id, stored): (i64, String) = (found.get(0), found.get(1));
                done.push(match enum_column(&found, 2)? {
                    Status::Bounced => {
                        let bounced_at: DateTime<Utc> = found.get(3);
                        restore_row(&mut tx, id, &key, bounced_at, now)?;
                        Restore::Restored {
                            email: stored,
                            bounced_at,
                        }
                    }
                    status => Restore::NotBounced {
                        email: stored,
                        status,
                    },
                });
            }
            tx.commit()?;
            Ok(done)
        })
    }

    pub fn restore_bounced_since(
        &mut self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Restore>> {
        self.with(|client| {
            let mut tx = client.transaction()?;
            let bounced = tx.query(
                "SELECT id, email, status_changed_at, email_key FROM subscribers
                 WHERE status = 'bounced' AND status_changed_at >= $1
                 ORDER BY status_changed_at, id
                 FOR UPDATE",
                &[&since],
            )?;
            let mut restored = Vec::with_capacity(bounced.len());
            for row in bounced {
                let (id, email, bounced_at, key): (i64, String, DateTime<Utc>, String) =
                    (row.get(0), row.get(1), row.get(2), row.get(3));
                restore_row(&mut tx, id, &key, bounced_at, now)?;
                restored.push(Restore::Restored { email, bounced_at });
            }
            tx.commit()?;
            Ok(restored)
        })
    }
}

/// Confirms a bounced subscriber again and keeps the undoing in the consent history beside the bounce.
fn restore_row(
    tx: &mut impl GenericClient,
    id: i64,
    email_key: &str,
    bounced_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE subscribers SET status = 'confirmed', status_changed_at = $2, status_reason = NULL, soft_bounces = 0
         WHERE id = $1",
        &[&id, &now],
    )?;
    record_consent(
        tx,
        &Entry {
            subscriber_id: id,
            email_key,
            event: ConsentEvent::Restore,
            origin: &Origin::new(Channel::Cli),
            detail: Some(&restore_detail(bounced_at)),
            at: now,
        },
    )
}
