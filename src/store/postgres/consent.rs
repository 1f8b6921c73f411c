//! PostgreSQL: the consent history (see [`crate::store::consent`]): read by address hash, and appended by every
//! change inside the transaction that makes it.

use anyhow::Result;
use postgres::GenericClient;

use crate::email_address::SubscriberEmail;
use crate::store::consent::{Entry, email_hash};
use crate::store::{ConsentRecord, PgStore};

impl PgStore {
    pub fn consent_history(&self, email: &SubscriberEmail) -> Result<Vec<ConsentRecord>> {
        let hash = email_hash(&email.key());
        self.with(|client| {
            let rows = client.query(
                "SELECT subscriber_id, at, event, channel, client, detail FROM consent_events
                 WHERE email_hash = $1 ORDER BY id",
                &[&hash],
            )?;
            Ok(rows
                .iter()
                .map(|row| ConsentRecord {
                    subscriber_id: row.get::<_, i64>(0) as u64,
                    at: row.get(1),
                    event: row.get(2),
                    channel: row.get(3),
                    client: row.get(4),
                    detail: row.get(5),
                })
                .collect())
        })
    }
}

/// Appends a consent history entry; call it inside the transaction that makes the change it records.
pub(crate) fn record_consent(client: &mut impl GenericClient, entry: &Entry<'_>) -> Result<()> {
    client.execute(
        "INSERT INTO consent_events (subscriber_id, email_hash, at, event, channel, client, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &entry.subscriber_id,
            &email_hash(entry.email_key),
            &entry.at,
            &entry.event.as_str(),
            &entry.origin.channel.as_str(),
            &entry.origin.client,
            &entry.detail,
        ],
    )?;
    Ok(())
}
