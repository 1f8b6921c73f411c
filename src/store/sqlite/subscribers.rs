//! SQLite: The subscriber lifecycle: subscribe (double opt-in), add, bounce and remove (confirm and unsubscribe links are in
//! `subscriber_links.rs`). Every write
//! runs in [`Store::write_transaction`] and records its [consent history](crate::store::consent) entry in the same
//! transaction.
//!
//! Nobody but the mailbox owner changes a record through the web: a subscribe request for an address already on the
//! list changes nothing but the pending confirmation (the name asked for, a fresh link nonce, a queued mail), and
//! the change takes effect when that mail's link is followed. Every state change and every confirmation mail
//! replaces the subscription's link nonce, so older confirm links do nothing.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::content::Categories;
use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::consent::Entry;
use crate::store::sqlite::consent::record_consent;
use crate::store::sqlite::subscriber_queries::{enum_column, find_by_key};
use crate::store::sqlite::{SqliteStore, parse_ts, ts};
use crate::store::subscribers::{NewSubscriber, nonce, opt_in_detail};
use crate::store::topics::stored;
use crate::store::{
    CONFIRMATION_RESEND_INTERVAL, Channel, ConsentEvent, Origin, Source, Status, SubscribeKind,
    SubscribeOutcome,
};

impl SqliteStore {
    pub fn subscribe(
        &mut self,
        email: &SubscriberEmail,
        name: Option<&SubscriberName>,
        categories: &Categories,
        source: Source,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<SubscribeOutcome> {
        let tx = self.write_transaction()?;
        let existing = tx
            .query_row(
                "SELECT id, status, confirmation_sent_at FROM subscribers WHERE email_key = ?1",
                [email.key()],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        enum_column::<Status>(row, 1)?,
                        row.get::<_, Option<String>>(2)?,
                    ))
                },
            )
            .optional()?;
        let (id, kind, last_sent) = match existing {
            None => {
                let new = NewSubscriber {
                    email,
                    name,
                    categories,
                    status: Status::Pending,
                    source,
                    created_at: now,
                    confirmed_at: None,
                    now,
                };
                let id = insert_new(&tx, &new)?.context("the address appeared mid-transaction")?;
                (id, SubscribeKind::Created, None)
            }
            Some((id, Status::Confirmed, _)) => (id, SubscribeKind::AlreadyConfirmed, None),
            Some((id, Status::Pending, last_sent)) => (id, SubscribeKind::StillPending, last_sent),
            Some((id, Status::Unsubscribed | Status::Bounced | Status::Complained, last_sent)) => {
                (id, SubscribeKind::Resubscribed, last_sent)
            }
        };
        let should_send_confirmation = kind != SubscribeKind::AlreadyConfirmed
            && match last_sent {
                None => true,
                Some(last) => now - parse_ts(&last)? >= CONFIRMATION_RESEND_INTERVAL,
            };
        if should_send_confirmation {
            let nonce = nonce();
            tx.execute(
                "UPDATE subscribers SET confirmation_sent_at = ?2, link_nonce = ?3, pending_name = ?4,
                   pending_categories = ?5
                 WHERE id = ?1",
                params![id, ts(now), nonce, name.map(SubscriberName::as_str), stored(categories)],
            )?;
            tx.execute(
                "INSERT INTO confirmation_mails (subscriber_id, nonce, name, queued_at, next_attempt_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (subscriber_id) DO UPDATE SET nonce = excluded.nonce, name = excluded.name,
                   queued_at = excluded.queued_at, attempts = 0, next_attempt_at = excluded.next_attempt_at,
                   last_error = NULL",
                params![id, nonce, name.map(SubscriberName::as_str), ts(now)],
            )?;
        }
        let detail = opt_in_detail(kind, should_send_confirmation);
        record_consent(
            &tx,
            &Entry {
                subscriber_id: id,
                email_key: &email.key(),
                event: ConsentEvent::OptIn,
                origin,
                detail: Some(detail),
                at: now,
            },
        )?;
        tx.commit()?;
        Ok(SubscribeOutcome {
            subscriber_id: id as u64,
            kind,
            should_send_confirmation,
        })
    }

    pub fn add(
        &mut self,
        email: &SubscriberEmail,
        name: Option<&SubscriberName>,
        categories: &Categories,
        status: Status,
        source: Source,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let tx = self.write_transaction()?;
        let new = NewSubscriber {
            email,
            name,
            categories,
            status,
            source,
            created_at: now,
            confirmed_at: (status == Status::Confirmed).then_some(now),
            now,
        };
        let Some(id) = insert_new(&tx, &new)? else {
            let existing = find_by_key(&tx, &email.key())?.context("the address vanished")?;
            anyhow::bail!(
                "{} is already on the list (as {}, status {}); remove it first to add it again",
                email,
                existing.email,
                existing.status
            );
        };
        let detail = format!("added as {status}");
        record_consent(
            &tx,
            &Entry {
                subscriber_id: id,
                email_key: &email.key(),
                event: ConsentEvent::Add,
                origin: &Origin::new(Channel::Cli),
                detail: Some(&detail),
                at: now,
            },
        )?;
        tx.commit()?;
        Ok(id as u64)
    }

    pub fn remove(&mut self, email: &SubscriberEmail, now: DateTime<Utc>) -> Result<bool> {
        let tx = self.write_transaction()?;
        let Some(found) = find_by_key(&tx, &email.key())? else {
            return Ok(false);
        };
        let id = found.id as i64;
        let detail = format!(
            "was {}; address, name and delivery history deleted",
            found.status
        );
        record_consent(
            &tx,
            &Entry {
                subscriber_id: id,
                email_key: &email.key(),
                event: ConsentEvent::Remove,
                origin: &Origin::new(Channel::Cli),
                detail: Some(&detail),
                at: now,
            },
        )?;
        tx.execute("DELETE FROM deliveries WHERE subscriber_id = ?1", [id])?;
        tx.execute(
            "DELETE FROM confirmation_mails WHERE subscriber_id = ?1",
            [id],
        )?;
        tx.execute("DELETE FROM subscribers WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(true)
    }

    pub fn mark_bounced(&mut self, id: u64, now: DateTime<Utc>) -> Result<bool> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(false);
        };
        let tx = self.write_transaction()?;
        let changed = bounce_row(&tx, id, None, now)?;
        tx.commit()?;
        Ok(changed)
    }
}

/// Marks a pending or confirmed subscriber bounced, inside the caller's transaction (the send ledger records its
/// bounces with it). True if the status changed.
pub(crate) fn bounce_row(
    conn: &Connection,
    id: i64,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let changed = conn.execute(
        "UPDATE subscribers SET status = 'bounced', status_changed_at = ?2, link_nonce = ?3, pending_name = NULL,
           status_reason = ?4
         WHERE id = ?1 AND status IN ('pending', 'confirmed')",
        params![id, ts(now), nonce(), error],
    )?;
    if changed == 1 {
        let state = crate::store::sqlite::subscriber_links::link_state(conn, id)?
            .context("the subscriber vanished")?;
        conn.execute(
            "DELETE FROM confirmation_mails WHERE subscriber_id = ?1",
            [id],
        )?;
        record_consent(
            conn,
            &Entry {
                subscriber_id: id,
                email_key: &state.email_key,
                event: ConsentEvent::Bounce,
                origin: &Origin::new(Channel::Relay),
                detail: error,
                at: now,
            },
        )?;
    }
    Ok(changed == 1)
}

/// Inserts a subscriber unless the address is already on the list; `None` then. The caller records the consent
/// entry.
pub(crate) fn insert_new(conn: &Connection, new: &NewSubscriber<'_>) -> Result<Option<i64>> {
    let unsubscribed_at =
        matches!(new.status, Status::Unsubscribed | Status::Complained).then_some(new.now);
    let name = new.name.map(SubscriberName::as_str);
    let inserted = conn.execute(
        "INSERT INTO subscribers
            (email, email_key, name, status, source, created_at, status_changed_at, confirmed_at, unsubscribed_at,
             link_nonce, links_from, pending_name, categories, pending_categories)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?7, ?3, ?11, ?11)
         ON CONFLICT (email_key) DO NOTHING",
        params![
            new.email.as_str(),
            new.email.key(),
            name,
            new.status.as_str(),
            new.source.as_str(),
            ts(new.created_at),
            ts(new.now),
            new.confirmed_at.map(ts),
            unsubscribed_at.map(ts),
            nonce(),
            stored(new.categories),
        ],
    )?;
    Ok((inserted == 1).then(|| conn.last_insert_rowid()))
}
