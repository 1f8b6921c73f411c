//! SQLite: Following confirm and unsubscribe links: whether a link may still act on the subscription it names (its nonce,
//! or for an id-only link its age against the row, see `migrations/link_nonces.rs`), and what it then does. Every
//! change records its consent history entry in the same transaction and replaces the link nonce.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::email_address::SubscriberEmail;
use crate::store::consent::Entry;
use crate::store::sqlite::consent::record_consent;
use crate::store::sqlite::subscriber_queries::{enum_column, find_by_key};
use crate::store::sqlite::{SqliteStore, ts, ts_column};
use crate::store::subscriber_links::LinkState;
use crate::store::subscribers::nonce;
use crate::store::{ConfirmOutcome, ConsentEvent, Origin, Status, UnsubscribeOutcome};
use crate::tokens::Link;

impl SqliteStore {
    pub fn name_to_confirm(&self, link: &Link) -> Result<Option<Option<String>>> {
        let (Some(nonce), Ok(id)) = (link.nonce, i64::try_from(link.subscriber_id)) else {
            return Ok(None);
        };
        Ok(self
            .conn
            .query_row(
                "SELECT pending_name FROM subscribers WHERE id = ?1 AND link_nonce = ?2 AND status <> 'confirmed'",
                params![id, nonce as i64],
                |row| row.get(0),
            )
            .optional()?)
    }

    pub fn confirm(
        &mut self,
        link: &Link,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<ConfirmOutcome> {
        let Ok(id) = i64::try_from(link.subscriber_id) else {
            return Ok(ConfirmOutcome::NotFound);
        };
        let tx = self.write_transaction()?;
        let Some(state) = link_state(&tx, id)? else {
            return Ok(ConfirmOutcome::NotFound);
        };
        let outcome = match (state.status, state.accepts(link, true)) {
            (Status::Confirmed, _) => ConfirmOutcome::AlreadyConfirmed,
            (Status::Pending, false) => ConfirmOutcome::Superseded,
            (status, false) => ConfirmOutcome::NotPending(status),
            (was, true) => {
                // A bound link confirms the name and topics asked for with it; an id-only one (sent before
                // names waited for confirmation) keeps the stored ones. Subscribing again ends a pause.
                let (name_column, categories_column) = if link.nonce.is_some() {
                    ("pending_name", "coalesce(pending_categories, categories)")
                } else {
                    ("name", "categories")
                };
                tx.execute(
                    &format!(
                        "UPDATE subscribers SET status = 'confirmed', status_changed_at = ?2, confirmed_at = ?2,
                           unsubscribed_at = NULL, name = {name_column}, pending_name = NULL, link_nonce = ?3,
                           categories = {categories_column}, pending_categories = NULL, paused_until = NULL,
                           status_reason = NULL, soft_bounces = 0
                         WHERE id = ?1"
                    ),
                    params![id, ts(now), nonce()],
                )?;
                tx.execute(
                    "DELETE FROM confirmation_mails WHERE subscriber_id = ?1",
                    [id],
                )?;
                let detail = format!("was {was}");
                record_consent(
                    &tx,
                    &Entry {
                        subscriber_id: id,
                        email_key: &state.email_key,
                        event: ConsentEvent::Confirm,
                        origin,
                        detail: Some(&detail),
                        at: now,
                    },
                )?;
                ConfirmOutcome::Confirmed
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    pub fn unsubscribe(
        &mut self,
        link: &Link,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<UnsubscribeOutcome> {
        let Ok(id) = i64::try_from(link.subscriber_id) else {
            return Ok(UnsubscribeOutcome::NotFound);
        };
        let tx = self.write_transaction()?;
        let Some(state) = link_state(&tx, id)? else {
            return Ok(UnsubscribeOutcome::NotFound);
        };
        if !state.accepts(link, false) {
            return Ok(UnsubscribeOutcome::Stale);
        }
        unsubscribe_row(tx, id, &state, origin, now)
    }

    pub fn unsubscribe_email(
        &mut self,
        email: &SubscriberEmail,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<UnsubscribeOutcome> {
        let tx = self.write_transaction()?;
        let Some(found) = find_by_key(&tx, &email.key())? else {
            return Ok(UnsubscribeOutcome::NotFound);
        };
        let id = found.id as i64;
        let state = link_state(&tx, id)?.context("the address vanished")?;
        unsubscribe_row(tx, id, &state, origin, now)
    }
}

fn unsubscribe_row(
    tx: Transaction<'_>,
    id: i64,
    state: &LinkState,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<UnsubscribeOutcome> {
    // A complained reader is unsubscribed already, and keeps the flag.
    if matches!(state.status, Status::Unsubscribed | Status::Complained) {
        return Ok(UnsubscribeOutcome::AlreadyUnsubscribed);
    }
    tx.execute(
        "UPDATE subscribers SET status = 'unsubscribed', status_changed_at = ?2, unsubscribed_at = ?2,
           link_nonce = ?3, pending_name = NULL
         WHERE id = ?1",
        params![id, ts(now), nonce()],
    )?;
    tx.execute(
        "DELETE FROM confirmation_mails WHERE subscriber_id = ?1",
        [id],
    )?;
    let detail = format!("was {}", state.status);
    record_consent(
        &tx,
        &Entry {
            subscriber_id: id,
            email_key: &state.email_key,
            event: ConsentEvent::OptOut,
            origin,
            detail: Some(&detail),
            at: now,
        },
    )?;
    tx.commit()?;
    Ok(UnsubscribeOutcome::Unsubscribed)
}

pub(crate) fn link_state(conn: &Connection, id: i64) -> Result<Option<LinkState>> {
    Ok(conn
        .query_row(
            "SELECT status, email_key, link_nonce, links_from, status_changed_at FROM subscribers WHERE id = ?1",
            [id],
            |row| {
                Ok(LinkState {
                    status: enum_column(row, 0)?,
                    email_key: row.get(1)?,
                    nonce: row.get::<_, i64>(2)? as u64,
                    links_from: ts_column(row, 3)?,
                    status_changed_at: ts_column(row, 4)?,
                })
            },
        )
        .optional()?)
}
