//! SQLite: a reader's topics (see [`crate::store::topics`]): read and changed through a preferences link, which
//! may act when an unsubscribe link for the same subscription may, or by address for the operator. A change never
//! replaces the link nonce, so the links in mails already sent keep working.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::email_address::SubscriberEmail;
use crate::store::consent::Entry;
use crate::store::sqlite::consent::record_consent;
use crate::store::sqlite::subscriber_links::link_state;
use crate::store::sqlite::subscriber_queries::enum_column;
use crate::store::sqlite::{SqliteStore, opt_ts_column, ts};
use crate::store::topics::{change_detail, current_pause, from_stored, stored};
use crate::store::{ConsentEvent, Origin, ReaderTopics, TopicsChange};
use crate::tokens::Link;

impl SqliteStore {
    pub fn reader_topics(&self, link: &Link, now: DateTime<Utc>) -> Result<Option<ReaderTopics>> {
        match linked_id(&self.conn, link)? {
            Some(id) => topics_of(&self.conn, id, now),
            None => Ok(None),
        }
    }

    pub fn set_topics(
        &mut self,
        link: &Link,
        change: &TopicsChange,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<Option<ReaderTopics>> {
        let tx = self.write_transaction()?;
        let Some(id) = linked_id(&tx, link)? else {
            return Ok(None);
        };
        let topics = save(&tx, id, change, origin, now)?;
        tx.commit()?;
        Ok(topics)
    }

    pub fn set_topics_by_email(
        &mut self,
        email: &SubscriberEmail,
        change: &TopicsChange,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<Option<ReaderTopics>> {
        let tx = self.write_transaction()?;
        let id: Option<i64> = tx
            .query_row(
                "SELECT id FROM subscribers WHERE email_key = ?1",
                [email.key()],
                |row| row.get(0),
            )
            .optional()?;
        let Some(id) = id else {
            return Ok(None);
        };
        let topics = save(&tx, id, change, origin, now)?;
        tx.commit()?;
        Ok(topics)
    }
}

/// The subscription `link` names, if the link may act on it (the rule of an unsubscribe link).
fn linked_id(conn: &Connection, link: &Link) -> Result<Option<i64>> {
    let Ok(id) = i64::try_from(link.subscriber_id) else {
        return Ok(None);
    };
    Ok(link_state(conn, id)?
        .filter(|state| state.accepts(link, false))
        .map(|_| id))
}

/// Writes the change and its consent entry; returns the new state.
fn save(
    conn: &Connection,
    id: i64,
    change: &TopicsChange,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Option<ReaderTopics>> {
    let email_key: Option<String> = conn
        .query_row(
            "UPDATE subscribers SET categories = ?2, paused_until = ?3 WHERE id = ?1 RETURNING email_key",
            params![id, stored(&change.categories), change.paused_until.map(ts)],
            |row| row.get(0),
        )
        .optional()?;
    let Some(email_key) = email_key else {
        return Ok(None);
    };
    let detail = change_detail(change);
    record_consent(
        conn,
        &Entry {
            subscriber_id: id,
            email_key: &email_key,
            event: ConsentEvent::Topics,
            origin,
            detail: Some(&detail),
            at: now,
        },
    )?;
    topics_of(conn, id, now)
}

fn topics_of(conn: &Connection, id: i64, now: DateTime<Utc>) -> Result<Option<ReaderTopics>> {
    Ok(conn
        .query_row(
            "SELECT email, status, categories, paused_until FROM subscribers WHERE id = ?1",
            [id],
            |row| {
                Ok(ReaderTopics {
                    subscriber_id: id as u64,
                    email: row.get(0)?,
                    status: enum_column(row, 1)?,
                    categories: from_stored(&row.get::<_, String>(2)?),
                    paused_until: current_pause(opt_ts_column(row, 3)?, now),
                })
            },
        )
        .optional()?)
}
