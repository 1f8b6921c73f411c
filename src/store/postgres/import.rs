//! PostgreSQL: bulk import of a parsed subscriber list: all rows in one transaction, addresses already present left
//! alone. Rows go in chunks, each one `INSERT … SELECT FROM unnest(…)` for the subscribers and one for their
//! consent entries, so a list of 100,000 costs a few hundred round trips to the server rather than 200,000; within
//! a chunk rows are inserted in file order, so ids and history entries follow the file as they do on SQLite.

use std::collections::HashMap;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use postgres::Transaction;

use crate::email_address::SubscriberName;
use crate::store::consent::email_hash;
use crate::store::subscribers::nonce;
use crate::store::topics::stored;
use crate::store::{Channel, ConsentEvent, ImportRow, ImportSummary, PgStore, Source, Status};

/// Rows per round trip: big enough that the round trips stop mattering, small enough to keep each statement's
/// arrays modest.
const CHUNK: usize = 1000;

/// Inserts the chunk's new addresses in file order; a repeat within the chunk, or an address already stored, is
/// left out (`DO NOTHING`). `$9` is the import time, `$11` the rows' stored categories.
const INSERT_CHUNK: &str = "INSERT INTO subscribers
        (email, email_key, name, status, source, created_at, status_changed_at, confirmed_at, unsubscribed_at,
         link_nonce, links_from, pending_name, categories, pending_categories)
     SELECT email, email_key, name, status, $10, created_at, $9, confirmed_at, unsubscribed_at, link_nonce, $9, name,
            categories, categories
     FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TIMESTAMPTZ[], $6::TIMESTAMPTZ[],
                 $7::TIMESTAMPTZ[], $8::BIGINT[], $11::TEXT[])
          WITH ORDINALITY AS row (email, email_key, name, status, created_at, confirmed_at, unsubscribed_at,
                                  link_nonce, categories, position)
     ORDER BY position
     ON CONFLICT (email_key) DO NOTHING
     RETURNING id, email_key";

/// The consent entries of the subscribers a chunk added, in their order.
const INSERT_CHUNK_CONSENT: &str = "INSERT INTO consent_events
        (subscriber_id, email_hash, at, event, channel, client, detail)
     SELECT subscriber_id, email_hash, $4, $5, $6, NULL, detail
     FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[]) WITH ORDINALITY AS entry (subscriber_id, email_hash, detail, position)
     ORDER BY position";

impl PgStore {
    pub fn import(&mut self, rows: &[ImportRow], now: DateTime<Utc>) -> Result<ImportSummary> {
        self.with(|client| {
            let mut tx = client.transaction()?;
            let mut summary = ImportSummary::default();
            for chunk in rows.chunks(CHUNK) {
                import_chunk(&mut tx, chunk, now, &mut summary).with_context(|| {
                    let (first, last) = (&chunk[0].email, &chunk[chunk.len() - 1].email);
                    format!("importing the rows from {first} to {last}; nothing was imported")
                })?;
            }
            tx.commit()
                .context("committing the import; nothing was imported")?;
            Ok(summary)
        })
    }
}

fn import_chunk(
    tx: &mut Transaction<'_>,
    chunk: &[ImportRow],
    now: DateTime<Utc>,
    summary: &mut ImportSummary,
) -> Result<()> {
    let emails: Vec<&str> = chunk.iter().map(|row| row.email.as_str()).collect();
    let keys: Vec<String> = chunk.iter().map(|row| row.email.key()).collect();
    let names: Vec<Option<&str>> = chunk
        .iter()
        .map(|row| row.name.as_ref().map(SubscriberName::as_str))
        .collect();
    let statuses: Vec<&str> = chunk.iter().map(|row| row.status.as_str()).collect();
    let created: Vec<DateTime<Utc>> = chunk
        .iter()
        .map(|row| row.created_at.unwrap_or(now))
        .collect();
    let confirmed: Vec<Option<DateTime<Utc>>> = chunk
        .iter()
        .map(|row| match row.status {
            Status::Confirmed => Some(row.confirmed_at.unwrap_or(now)),
            _ => row.confirmed_at,
        })
        .collect();
    let unsubscribed: Vec<Option<DateTime<Utc>>> = chunk
        .iter()
        .map(|row| matches!(row.status, Status::Unsubscribed | Status::Complained).then_some(now))
        .collect();
    let nonces: Vec<i64> = chunk.iter().map(|_| nonce()).collect();
    let categories: Vec<String> = chunk.iter().map(|row| stored(&row.categories)).collect();
    let inserted = tx.query(
        INSERT_CHUNK,
        &[
            &emails,
            &keys,
            &names,
            &statuses,
            &created,
            &confirmed,
            &unsubscribed,
            &nonces,
            &now,
            &Source::Import.as_str(),
            &categories,
        ],
    )?;
    let mut ids: HashMap<String, i64> = inserted
        .iter()
        .map(|row| (row.get(1), row.get(0)))
        .collect();
    let (mut entry_ids, mut hashes, mut details) = (Vec::new(), Vec::new(), Vec::new());
    for (row, key) in chunk.iter().zip(&keys) {
        // The first row with an address is the one inserted; a repeat was skipped like a stored address.
        match ids.remove(key) {
            Some(id) => {
                summary.added += 1;
                entry_ids.push(id);
                hashes.push(email_hash(key));
                details.push(format!("imported as {}", row.status));
            }
            None => summary.skipped_existing += 1,
        }
    }
    if !entry_ids.is_empty() {
        tx.execute(
            INSERT_CHUNK_CONSENT,
            &[
                &entry_ids,
                &hashes,
                &details,
                &now,
                &ConsentEvent::Import.as_str(),
                &Channel::Import.as_str(),
            ],
        )?;
    }
    Ok(())
}
