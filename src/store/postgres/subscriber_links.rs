//! PostgreSQL: following confirm and unsubscribe links (see [`crate::store::subscriber_links`]): whether a link may
//! still act on the subscription it names, and what it then does. The row is locked (`FOR UPDATE`) before it is
//! judged, so of two instances following links for one subscription at once the second judges the first's result,
//! as it would have under SQLite's single writer. Every change records its consent history entry in the same
//! transaction and replaces the link nonce.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use postgres::Transaction;

use crate::email_address::SubscriberEmail;
use crate::store::consent::Entry;
use crate::store::postgres::consent::record_consent;
use crate::store::postgres::subscriber_queries::enum_column;
use crate::store::subscriber_links::LinkState;
use crate::store::subscribers::nonce;
use crate::store::{ConfirmOutcome, ConsentEvent, Origin, PgStore, Status, UnsubscribeOutcome};
use crate::tokens::Link;

impl PgStore {
    pub fn name_to_confirm(&self, link: &Link) -> Result<Option<Option<String>>> {
        let (Some(nonce), Ok(id)) = (link.nonce, i64::try_from(link.subscriber_id)) else {
            return Ok(None);
        };
        self.with(|client| {
            Ok(client
                .query_opt(
                    "SELECT pending_name FROM subscribers
                     WHERE id = $1 AND link_nonce = $2 AND status <> 'confirmed'",
                    &[&id, &(nonce as i64)],
                )?
                .map(|row| row.get(0)))
        })
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
        self.with(|client| {
            let mut tx = client.transaction()?;
            let Some(state) = locked_link_state(&mut tx, id)? else {
                return Ok(ConfirmOutcome::NotFound);
            };
            let outcome = match (state.status, state.accepts(link, true)) {
                (Status::Confirmed, _) => ConfirmOutcome::AlreadyConfirmed,
                (Status::Pending, false) => ConfirmOutcome::Superseded,
                (status, false) => ConfirmOutcome::NotPending(status),
                (was, true) => {
                    // A bound link confirms the name and topics asked for with it; an id-only one (sent before
                    // names waited for confirmation) keeps the stored ones. Subscribing again ends a pause.
                    let bound = link.nonce.is_some();
                    tx.execute(
                        "UPDATE subscribers SET status = 'confirmed', status_changed_at = $2, confirmed_at = $2,
                           unsubscribed_at = NULL, name = CASE WHEN $4 THEN pending_name ELSE name END,
                           pending_name = NULL, link_nonce = $3,
                           categories = CASE WHEN $4 THEN coalesce(pending_categories, categories)
                                             ELSE categories END,
                           pending_categories = NULL, paused_until = NULL, status_reason = NULL, soft_bounces = 0
                         WHERE id = $1",
                        &[&id, &now, &nonce(), &bound],
                    )?;
                    tx.execute(
                        "DELETE FROM confirmation_mails WHERE subscriber_id = $1",
                        &[&id],
                    )?;
                    let detail = format!("was {was}");
                    record_consent(
                        &mut tx,
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
        })
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
        self.with(|client| {
            let mut tx = client.transaction()?;
            let Some(state) = locked_link_state(&mut tx, id)? else {
                return Ok(UnsubscribeOutcome::NotFound);
            };
            if !state.accepts(link, false) {
                return Ok(UnsubscribeOutcome::Stale);
            }
            unsubscribe_row(tx, id, &state, origin, now)
        })
    }

    pub fn unsubscribe_email(
        &mut self,
        email: &SubscriberEmail,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<UnsubscribeOutcome> {
        let key = email.key();
        self.with(|client| {
            let mut tx = client.transaction()?;
            let Some(found) = tx.query_opt(
                "SELECT id FROM subscribers WHERE email_key = $1 FOR UPDATE",
                &[&key],
            )?
            else {
                return Ok(UnsubscribeOutcome::NotFound);
            };
            let id: i64 = found.get(0);
            let state = locked_link_state(&mut tx, id)?.context("the address vanished")?;
            unsubscribe_row(tx, id, &state, origin, now)
        })
    }
}

fn unsubscribe_row(
    mut tx: Transaction<'_>,
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
        "UPDATE subscribers SET status = 'unsubscribed', status_changed_at = $2, unsubscribed_at = $2,
           link_nonce = $3, pending_name = NULL
         WHERE id = $1",
        &[&id, &now, &nonce()],
    )?;
    tx.execute(
        "DELETE FROM confirmation_mails WHERE subscriber_id = $1",
        &[&id],
    )?;
    let detail = format!("was {}", state.status);
    record_consent(
        &mut tx,
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

/// What the link checks need of subscriber `id`, locked until the transaction ends.
pub(crate) fn locked_link_state(tx: &mut Transaction<'_>, id: i64) -> Result<Option<LinkState>> {
    tx.query_opt(
        "SELECT status, email_key, link_nonce, links_from, status_changed_at FROM subscribers
         WHERE id = $1 FOR UPDATE",
        &[&id],
    )?
    .map(|row| {
        Ok(LinkState {
            status: enum_column(&row, 0)?,
            email_key: row.get(1),
            nonce: row.get::<_, i64>(2) as u64,
            links_from: row.get(3),
            status_changed_at: row.get(4),
        })
    })
    .transpose()
}
