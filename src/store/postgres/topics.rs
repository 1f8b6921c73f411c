//! PostgreSQL: a reader's topics (see [`crate::store::topics`]): read and changed through a preferences link, which
//! may act when an unsubscribe link for the same subscription may, or by address for the operator. The row is
//! locked before the link is judged, like a confirm or unsubscribe; a change never replaces the link nonce, so the
//! links in mails already sent keep working.

use anyhow::Result;
use chrono::{DateTime, Utc};
use postgres::GenericClient;

use crate::email_address::SubscriberEmail;
use crate::store::consent::Entry;
use crate::store::postgres::consent::record_consent;
use crate::store::postgres::subscriber_links::locked_link_state;
use crate::store::postgres::subscriber_queries::enum_column;
use crate::store::topics::{change_detail, current_pause, from_stored, stored};
use crate::store::{ConsentEvent, Origin, PgStore, ReaderTopics, TopicsChange};
use crate::tokens::Link;

impl PgStore {
    pub fn reader_topics(&self, link: &Link, now: DateTime<Utc>) -> Result<Option<ReaderTopics>> {
        let Ok(id) = i64::try_from(link.subscriber_id) else {
            return Ok(None);
        };
        self.with(|client| {
            let mut tx = client.transaction()?;
            let accepted = locked_link_state(&mut tx, id)?.is_some_and(|s| s.accepts(link, false));
            let topics = if accepted {
                topics_of(&mut tx, id, now)?
            } else {
                None
            };
            tx.commit()?;
            Ok(topics)
        })
    }

    pub fn set_topics(
        &mut self,
        link: &Link,
        change: &TopicsChange,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<Option<ReaderTopics>> {
        let Ok(id) = i64::try_from(link.subscriber_id) else {
            return Ok(None);
        };
        self.with(|client| {
            let mut tx = client.transaction()?;
            if !locked_link_state(&mut tx, id)?.is_some_and(|s| s.accepts(link, false)) {
                return Ok(None);
            }
            let topics = save(&mut tx, id, change, origin, now)?;
            tx.commit()?;
            Ok(topics)
        })
    }

    pub fn set_topics_by_email(
        &mut self,
        email: &SubscriberEmail,
        change: &TopicsChange,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<Option<ReaderTopics>> {
        self.with(|client| {
            let mut tx = client.transaction()?;
            let Some(row) = tx.query_opt(
                "SELECT id FROM subscribers WHERE email_key = $1 FOR UPDATE",
                &[&email.key()],
            )?
            else {
                return Ok(None);
            };
            let topics = save(&mut tx, row.get(0), change, origin, now)?;
            tx.commit()?;
            Ok(topics)
        })
    }
}

/// Writes the change and its consent entry; returns the new state.
fn save(
    client: &mut impl GenericClient,
    id: i64,
    change: &TopicsChange,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Option<ReaderTopics>> {
    let Some(row) = client.query_opt(
        "UPDATE subscribers SET categories = $2, paused_until = $3 WHERE id = $1 RETURNING email_key",
        &[&id, &stored(&change.categories), &change.paused_until],
    )?
    else {
        return Ok(None);
    };
    let email_key: String = row.get(0);
    let detail = change_detail(change);
    record_consent(
        client,
        &Entry {
            subscriber_id: id,
            email_key: &email_key,
            event: ConsentEvent::Topics,
            origin,
            detail: Some(&detail),
            at: now,
        },
    )?;
    topics_of(client, id, now)
}

fn topics_of(
    client: &mut impl GenericClient,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<ReaderTopics>> {
    client
        .query_opt(
            "SELECT email, status, categories, paused_until FROM subscribers WHERE id = $1",
            &[&id],
        )?
        .map(|row| {
            Ok(ReaderTopics {
                subscriber_id: id as u64,
                email: row.get(0),
                status: enum_column(&row, 1)?,
                categories: from_stored(row.get(2)),
                paused_until: current_pause(row.get(3), now),
            })
        })
        .transpose()
}
