//! PostgreSQL: the subscriber lifecycle: subscribe (double opt-in), add, bounce and remove (confirm and unsubscribe
//! links are in `subscriber_links.rs`). Same rules as the SQLite twin (see [`crate::store::subscribers`]); every
//! write runs in one transaction with its consent history entry.
//!
//! Several web instances may take requests for one address at the same moment. SQLite made read-then-write safe
//! with its single writer lock; here the subscriber row is locked (`SELECT … FOR UPDATE`) before it is read for a
//! decision, and a new address is inserted with `ON CONFLICT DO NOTHING` (which waits for a concurrent insert of
//! the same address to commit and then yields to it), so concurrent requests give the outcomes of some serial order.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use postgres::GenericClient;

use crate::content::Categories;
use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::consent::Entry;
use crate::store::postgres::consent::record_consent;
use crate::store::postgres::subscriber_queries::{enum_column, find_by_key};
use crate::store::subscribers::{NewSubscriber, nonce, opt_in_detail};
use crate::store::topics::stored;
use crate::store::{
    CONFIRMATION_RESEND_INTERVAL, Channel, ConsentEvent, Origin, PgStore, Source, Status,
    SubscribeKind, SubscribeOutcome,
};

/// Inserts a subscriber unless the address is already on the list; see [`insert_new`].
const INSERT_NEW: &str = "INSERT INTO subscribers
        (email, email_key, name, status, source, created_at, status_changed_at, confirmed_at, unsubscribed_at,
         link_nonce, links_from, pending_name, categories, pending_categories)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $7, $3, $11, $11)
     ON CONFLICT (email_key) DO NOTHING
     RETURNING id";

/// How often `subscribe` looks again when the address it found missing was inserted, and then removed, by
/// others while it looked: each round means two other transactions committed in between.
const SUBSCRIBE_ROUNDS: usize = 10;

impl PgStore {
    pub fn subscribe(
        &mut self,
        email: &SubscriberEmail,
        name: Option<&SubscriberName>,
        categories: &Categories,
        source: Source,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<SubscribeOutcome> {
        self.with(|client| {
            let mut tx = client.transaction()?;
            let key = email.key();
            let (id, kind, last_sent) =
                find_or_insert_pending(&mut tx, email, name, categories, source, now)?;
            let should_send_confirmation = kind != SubscribeKind::AlreadyConfirmed
                && last_sent.is_none_or(|last| now - last >= CONFIRMATION_RESEND_INTERVAL);
            if should_send_confirmation {
                let nonce = nonce();
                let name = name.map(SubscriberName::as_str);
                tx.execute(
                    "UPDATE subscribers SET confirmation_sent_at = $2, link_nonce = $3, pending_name = $4,
                       pending_categories = $5
                     WHERE id = $1",
                    &[&id, &now, &nonce, &name, &stored(categories)],
                )?;
                tx.execute(
                    "INSERT INTO confirmation_mails (subscriber_id, nonce, name, queued_at, next_attempt_at)
                     VALUES ($1, $2, $3, $4, $4)
                     ON CONFLICT (subscriber_id) DO UPDATE SET nonce = excluded.nonce, name = excluded.name,
                       queued_at = excluded.queued_at, attempts = 0, next_attempt_at = excluded.next_attempt_at,
                       last_error = NULL",
                    &[&id, &nonce, &name, &now],
                )?;
            }
            let detail = opt_in_detail(kind, should_send_confirmation);
            record_consent(
                &mut tx,
                &Entry {
                    subscriber_id: id,
                    email_key: &key,
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
        self.with(|client| {
            let mut tx = client.transaction()?;
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
            let Some(id) = insert_new(&mut tx, &new)? else {
                let existing =
                    find_by_key(&mut tx, &email.key())?.context("the address vanished")?;
                anyhow::bail!(
                    "{} is already on the list (as {}, status {}); remove it first to add it again",
                    email,
                    existing.email,
                    existing.status
                );
            };
            let detail = format!("added as {status}");
            record_consent(
                &mut tx,
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
        })
    }

    pub fn remove(&mut self, email: &SubscriberEmail, now: DateTime<Utc>) -> Result<bool> {
        self.with(|client| {
            let mut tx = client.transaction()?;
            let key = email.key();
            // Ledger rows first, then the subscriber row: the order in which a sender recording a bounce takes
            // them, so the two cannot deadlock.
            tx.execute(
                "DELETE FROM deliveries
                 WHERE subscriber_id = (SELECT id FROM subscribers WHERE email_key = $1)",
                &[&key],
            )?;
            // Locked, so a concurrent remove waits and then finds nothing, and a concurrent change cannot slip in
            // between this read and the delete.
            let Some(found) = tx.query_opt(
                "SELECT id, status FROM subscribers WHERE email_key = $1 FOR UPDATE",
                &[&key],
            )?
            else {
                return Ok(false);
            };
            let id: i64 = found.get(0);
            let status: Status = enum_column(&found, 1)?;
            let detail = format!("was {status}; address, name and delivery history deleted");
            record_consent(
                &mut tx,
                &Entry {
                    subscriber_id: id,
                    email_key: &key,
                    event: ConsentEvent::Remove,
                    origin: &Origin::new(Channel::Cli),
                    detail: Some(&detail),
                    at: now,
                },
            )?;
            // Again: an issue created while this waited for the row lock has ledger rows for it by now.
            tx.execute("DELETE FROM deliveries WHERE subscriber_id = $1", &[&id])?;
            tx.execute(
                "DELETE FROM confirmation_mails WHERE subscriber_id = $1",
                &[&id],
            )?;
            tx.execute("DELETE FROM subscribers WHERE id = $1", &[&id])?;
            tx.commit()?;
            Ok(true)
        })
    }

    pub fn mark_bounced(&mut self, id: u64, now: DateTime<Utc>) -> Result<bool> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(false);
        };
        self.with(|client| {
            let mut tx = client.transaction()?;
            let changed = bounce_row(&mut tx, id, None, now)?;
            tx.commit()?;
            Ok(changed)
        })
    }
}

/// The subscription `subscribe` acts on, locked for the rest of the transaction: the existing row (its id, what
/// the request makes of it, when its last confirmation mail went out), or a new pending one.
fn find_or_insert_pending(
    tx: &mut impl GenericClient,
    email: &SubscriberEmail,
    name: Option<&SubscriberName>,
    categories: &Categories,
    source: Source,
    now: DateTime<Utc>,
) -> Result<(i64, SubscribeKind, Option<DateTime<Utc>>)> {
    let key = email.key();
    for _ in 0..SUBSCRIBE_ROUNDS {
        let existing = tx.query_opt(
            "SELECT id, status, confirmation_sent_at FROM subscribers WHERE email_key = $1 FOR UPDATE",
            &[&key],
        )?;
        if let Some(row) = existing {
            let id: i64 = row.get(0);
            let last_sent: Option<DateTime<Utc>> = row.get(2);
            return Ok(match enum_column(&row, 1)? {
                Status::Confirmed => (id, SubscribeKind::AlreadyConfirmed, None),
                Status::Pending => (id, SubscribeKind::StillPending, last_sent),
                Status::Unsubscribed | Status::Bounced | Status::Complained => {
                    (id, SubscribeKind::Resubscribed, last_sent)
                }
            });
        }
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
        // None: another request inserted the address after the look above; the next look finds (and locks) it.
        if let Some(id) = insert_new(tx, &new)? {
            return Ok((id, SubscribeKind::Created, None));
        }
    }
    anyhow::bail!(
        "{email} was added and removed by others {SUBSCRIBE_ROUNDS} times while this request looked; try again"
    )
}

/// Marks a pending or confirmed subscriber bounced, inside the caller's transaction (the send ledger records its
/// bounces with it). True if the status changed. The condition is in the `UPDATE`, so of two concurrent bounces
/// (or a bounce and an unsubscribe) only one changes the row and records an entry.
pub(crate) fn bounce_row(
    tx: &mut impl GenericClient,
    id: i64,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(changed) = tx.query_opt(
        "UPDATE subscribers SET status = 'bounced', status_changed_at = $2, link_nonce = $3, pending_name = NULL,
           status_reason = $4
         WHERE id = $1 AND status IN ('pending', 'confirmed')
         RETURNING email_key",
        &[&id, &now, &nonce(), &error],
    )?
    else {
        return Ok(false);
    };
    let email_key: String = changed.get(0);
    tx.execute(
        "DELETE FROM confirmation_mails WHERE subscriber_id = $1",
        &[&id],
    )?;
    record_consent(
        tx,
        &Entry {
            subscriber_id: id,
            email_key: &email_key,
            event: ConsentEvent::Bounce,
            origin: &Origin::new(Channel::Relay),
            detail: error,
            at: now,
        },
    )?;
    Ok(true)
}

/// Inserts a subscriber unless the address is already on the list; `None` then. The caller records the consent
/// entry.
fn insert_new(client: &mut impl GenericClient, new: &NewSubscriber<'_>) -> Result<Option<i64>> {
    let unsubscribed_at =
        matches!(new.status, Status::Unsubscribed | Status::Complained).then_some(new.now);
    let inserted = client.query_opt(
        INSERT_NEW,
        &[
            &new.email.as_str(),
            &new.email.key(),
            &new.name.map(SubscriberName::as_str),
            &new.status.as_str(),
            &new.source.as_str(),
            &new.created_at,
            &new.now,
            &new.confirmed_at,
            &unsubscribed_at,
            &nonce(),
            &stored(new.categories),
        ],
    )?;
    Ok(inserted.map(|row| row.get(0)))
}
