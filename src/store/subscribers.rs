//! The subscriber lifecycle: subscribe (double opt-in), add, confirm, unsubscribe, bounce and remove. Every write
//! runs in [`Store::write_transaction`].

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::subscriber_queries::{enum_column, find_by_key};
use crate::store::{Source, Status, Store, parse_ts, ts};

/// At most one confirmation mail per address in this interval, however often the form is posted.
pub const CONFIRMATION_RESEND_INTERVAL: Duration = Duration::minutes(10);

/// What [`Store::subscribe`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscribeOutcome {
    pub subscriber_id: u64,
    pub kind: SubscribeKind,
    /// Send a confirmation mail now. True at most once per [`CONFIRMATION_RESEND_INTERVAL`] per address: the store
    /// has already recorded the mail as sent.
    pub should_send_confirmation: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeKind {
    /// A new pending subscriber.
    Created,
    /// Was already pending; the name was refreshed if one was given.
    StillPending,
    /// Was unsubscribed or bounced; is pending again and must confirm again.
    Resubscribed,
    /// Already receiving the newsletter; nothing changed. Answer as for any other subscribe and send nothing, so
    /// the form does not reveal who is subscribed.
    AlreadyConfirmed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed,
    AlreadyConfirmed,
    /// Unsubscribed or bounced since the link was sent: nothing changed; they must subscribe again.
    NotPending(Status),
    NotFound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsubscribeOutcome {
    Unsubscribed,
    AlreadyUnsubscribed,
    NotFound,
}

/// A row to insert; the import path supplies its own creation and confirmation times.
pub(super) struct NewSubscriber<'a> {
    pub email: &'a SubscriberEmail,
    pub name: Option<&'a SubscriberName>,
    pub status: Status,
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

impl Store {
    /// The subscribe form: a new address becomes pending; see [`SubscribeKind`] for the others.
    pub fn subscribe(
        &mut self,
        email: &SubscriberEmail,
        name: Option<&SubscriberName>,
        source: Source,
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
        let new_name = name.map(SubscriberName::as_str);
        let (id, kind, last_sent) = match existing {
            None => {
                let new = NewSubscriber {
                    email,
                    name,
                    status: Status::Pending,
                    source,
                    created_at: now,
                    confirmed_at: None,
                    now,
                };
                let id = insert_new(&tx, &new)?.context("the address appeared mid-transaction")?;
                (id, SubscribeKind::Created, None)
            }
            Some((id, Status::Confirmed, _)) => {
                return Ok(SubscribeOutcome {
                    subscriber_id: id as u64,
                    kind: SubscribeKind::AlreadyConfirmed,
                    should_send_confirmation: false,
                });
            }
            Some((id, Status::Pending, last_sent)) => {
                tx.execute(
                    "UPDATE subscribers SET name = coalesce(?2, name) WHERE id = ?1",
                    params![id, new_name],
                )?;
                (id, SubscribeKind::StillPending, last_sent)
            }
            Some((id, Status::Unsubscribed | Status::Bounced, last_sent)) => {
                tx.execute(
                    "UPDATE subscribers SET status = 'pending', status_changed_at = ?2, name = coalesce(?3, name),
                            confirmed_at = NULL, unsubscribed_at = NULL
                     WHERE id = ?1",
                    params![id, ts(now), new_name],
                )?;
                (id, SubscribeKind::Resubscribed, last_sent)
            }
        };
        let should_send_confirmation = match last_sent {
            None => true,
            Some(last) => now - parse_ts(&last)? >= CONFIRMATION_RESEND_INTERVAL,
        };
        if should_send_confirmation {
            tx.execute(
                "UPDATE subscribers SET confirmation_sent_at = ?2 WHERE id = ?1",
                params![id, ts(now)],
            )?;
        }
        tx.commit()?;
        Ok(SubscribeOutcome {
            subscriber_id: id as u64,
            kind,
            should_send_confirmation,
        })
    }

    /// `verdicts subscribers add`: a new subscriber with the given status; an error if the address is on the list.
    pub fn add(
        &mut self,
        email: &SubscriberEmail,
        name: Option<&SubscriberName>,
        status: Status,
        source: Source,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let tx = self.write_transaction()?;
        let new = NewSubscriber {
            email,
            name,
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
        tx.commit()?;
        Ok(id as u64)
    }

    /// Follows a confirm link: pending becomes confirmed.
    pub fn confirm(&mut self, id: u64, now: DateTime<Utc>) -> Result<ConfirmOutcome> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(ConfirmOutcome::NotFound);
        };
        let tx = self.write_transaction()?;
        let status = tx
            .query_row(
                "SELECT status FROM subscribers WHERE id = ?1",
                [id],
                |row| enum_column::<Status>(row, 0),
            )
            .optional()?;
        let outcome = match status {
            None => ConfirmOutcome::NotFound,
            Some(Status::Confirmed) => ConfirmOutcome::AlreadyConfirmed,
            Some(status @ (Status::Unsubscribed | Status::Bounced)) => {
                ConfirmOutcome::NotPending(status)
            }
            Some(Status::Pending) => {
                tx.execute(
                    "UPDATE subscribers SET status = 'confirmed', status_changed_at = ?2, confirmed_at = ?2
                     WHERE id = ?1",
                    params![id, ts(now)],
                )?;
                ConfirmOutcome::Confirmed
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// Any status becomes unsubscribed; repeating it changes nothing.
    pub fn unsubscribe(&mut self, id: u64, now: DateTime<Utc>) -> Result<UnsubscribeOutcome> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(UnsubscribeOutcome::NotFound);
        };
        unsubscribe_where(self.write_transaction()?, "id = ?1", id, now)
    }

    /// [`Store::unsubscribe`] by address, for the CLI and for replies to the list.
    pub fn unsubscribe_email(
        &mut self,
        email: &SubscriberEmail,
        now: DateTime<Utc>,
    ) -> Result<UnsubscribeOutcome> {
        unsubscribe_where(
            self.write_transaction()?,
            "email_key = ?1",
            email.key(),
            now,
        )
    }

    /// Deletes the subscriber and their delivery history (a request to forget them). False if not on the list.
    pub fn remove(&mut self, email: &SubscriberEmail) -> Result<bool> {
        let tx = self.write_transaction()?;
        let Some(found) = find_by_key(&tx, &email.key())? else {
            return Ok(false);
        };
        tx.execute(
            "DELETE FROM deliveries WHERE subscriber_id = ?1",
            [found.id as i64],
        )?;
        tx.execute("DELETE FROM subscribers WHERE id = ?1", [found.id as i64])?;
        tx.commit()?;
        Ok(true)
    }

    /// After a permanent delivery failure. True if the status changed; an unsubscribed reader stays unsubscribed.
    pub fn mark_bounced(&mut self, id: u64, now: DateTime<Utc>) -> Result<bool> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(false);
        };
        let tx = self.write_transaction()?;
        let changed = tx.execute(
            "UPDATE subscribers SET status = 'bounced', status_changed_at = ?2
             WHERE id = ?1 AND status IN ('pending', 'confirmed')",
            params![id, ts(now)],
        )?;
        tx.commit()?;
        Ok(changed == 1)
    }
}

/// Inserts a subscriber unless the address is already on the list; `None` then.
pub(super) fn insert_new(conn: &Connection, new: &NewSubscriber<'_>) -> Result<Option<i64>> {
    let unsubscribed_at = (new.status == Status::Unsubscribed).then_some(new.now);
    let inserted = conn.execute(
        "INSERT INTO subscribers
            (email, email_key, name, status, source, created_at, status_changed_at, confirmed_at, unsubscribed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (email_key) DO NOTHING",
        params![
            new.email.as_str(),
            new.email.key(),
            new.name.map(SubscriberName::as_str),
            new.status.as_str(),
            new.source.as_str(),
            ts(new.created_at),
            ts(new.now),
            new.confirmed_at.map(ts),
            unsubscribed_at.map(ts),
        ],
    )?;
    Ok((inserted == 1).then(|| conn.last_insert_rowid()))
}

fn unsubscribe_where(
    tx: Transaction<'_>,
    condition: &str,
    value: impl rusqlite::ToSql,
    now: DateTime<Utc>,
) -> Result<UnsubscribeOutcome> {
    let status = tx
        .query_row(
            &format!("SELECT status FROM subscribers WHERE {condition}"),
            [&value],
            |row| enum_column::<Status>(row, 0),
        )
        .optional()?;
    let outcome = match status {
        None => UnsubscribeOutcome::NotFound,
        Some(Status::Unsubscribed) => UnsubscribeOutcome::AlreadyUnsubscribed,
        Some(_) => {
            tx.execute(
                &format!(
                    "UPDATE subscribers SET status = 'unsubscribed', status_changed_at = ?2, unsubscribed_at = ?2
                     WHERE {condition}"
                ),
                params![value, ts(now)],
            )?;
            UnsubscribeOutcome::Unsubscribed
        }
    };
    tx.commit()?;
    Ok(outcome)
}

#[cfg(test)]
mod concurrency_tests;
#[cfg(test)]
mod tests;
