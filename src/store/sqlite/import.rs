//! SQLite: Bulk import of a parsed subscriber list: all rows in one transaction, addresses already present left alone.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::store::consent::Entry;
use crate::store::sqlite::SqliteStore;
use crate::store::sqlite::consent::record_consent;
use crate::store::sqlite::subscribers::insert_new;
use crate::store::subscribers::NewSubscriber;
use crate::store::{Channel, ConsentEvent, ImportRow, ImportSummary, Origin, Source, Status};

impl SqliteStore {
    pub fn import(&mut self, rows: &[ImportRow], now: DateTime<Utc>) -> Result<ImportSummary> {
        let tx = self.write_transaction()?;
        let mut summary = ImportSummary::default();
        for row in rows {
            let new = NewSubscriber {
                email: &row.email,
                name: row.name.as_ref(),
                categories: &row.categories,
                status: row.status,
                source: Source::Import,
                created_at: row.created_at.unwrap_or(now),
                confirmed_at: match row.status {
                    Status::Confirmed => Some(row.confirmed_at.unwrap_or(now)),
                    _ => row.confirmed_at,
                },
                now,
            };
            let inserted = insert_new(&tx, &new)
                .with_context(|| format!("importing {}; nothing was imported", row.email))?;
            match inserted {
                Some(id) => {
                    summary.added += 1;
                    let detail = format!("imported as {}", row.status);
                    record_consent(
                        &tx,
                        &Entry {
                            subscriber_id: id,
                            email_key: &row.email.key(),
                            event: ConsentEvent::Import,
                            origin: &Origin::new(Channel::Import),
                            detail: Some(&detail),
                            at: now,
                        },
                    )?;
                }
                None => summary.skipped_existing += 1,
            }
        }
        tx.commit()
            .context("committing the import; nothing was imported")?;
        Ok(summary)
    }
}
