//! PostgreSQL: bulk import of a parsed subscriber list: all rows in one transaction, addresses already present left
//! alone. The two statements are prepared once and reused for every row.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::store::consent::Entry;
use crate::store::postgres::consent::{INSERT_CONSENT, record_consent_with};
use crate::store::postgres::subscribers::{INSERT_NEW, insert_new};
use crate::store::subscribers::NewSubscriber;
use crate::store::{
    Channel, ConsentEvent, ImportRow, ImportSummary, Origin, PgStore, Source, Status,
};

impl PgStore {
    pub fn import(&mut self, rows: &[ImportRow], now: DateTime<Utc>) -> Result<ImportSummary> {
        self.with(|client| {
            let mut tx = client.transaction()?;
            let insert = tx.prepare(INSERT_NEW)?;
            let consent = tx.prepare(INSERT_CONSENT)?;
            let origin = Origin::new(Channel::Import);
            let mut summary = ImportSummary::default();
            for row in rows {
                let new = NewSubscriber {
                    email: &row.email,
                    name: row.name.as_ref(),
                    status: row.status,
                    source: Source::Import,
                    created_at: row.created_at.unwrap_or(now),
                    confirmed_at: match row.status {
                        Status::Confirmed => Some(row.confirmed_at.unwrap_or(now)),
                        _ => row.confirmed_at,
                    },
                    now,
                };
                let inserted = insert_new(&mut tx, &insert, &new)
                    .with_context(|| format!("importing {}; nothing was imported", row.email))?;
                let Some(id) = inserted else {
                    summary.skipped_existing += 1;
                    continue;
                };
                summary.added += 1;
                let detail = format!("imported as {}", row.status);
                record_consent_with(
                    &mut tx,
                    &consent,
                    &Entry {
                        subscriber_id: id,
                        email_key: &row.email.key(),
                        event: ConsentEvent::Import,
                        origin: &origin,
                        detail: Some(&detail),
                        at: now,
                    },
                )
                .with_context(|| format!("importing {}; nothing was imported", row.email))?;
            }
            tx.commit()
                .context("committing the import; nothing was imported")?;
            Ok(summary)
        })
    }
}
