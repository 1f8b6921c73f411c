//! PostgreSQL: the queue of confirmation mails (see [`crate::store::confirmation_mails`]): written by `subscribe`
//! in the request's own transaction, read and cleared by the sender that runs in `serve` (and by `subscribers
//! add`). A mail whose subscription moved on (a newer request, a confirmation, an opt-out) is dropped, because its
//! link would do nothing.

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};

use crate::store::{
    CONFIRMATION_MAIL_ATTEMPTS, CONFIRMATION_MAIL_CLAIM, PgStore, QueueTake, QueuedConfirmation,
};

impl PgStore {
    pub fn due_confirmation_mails(
        &mut self,
        take: &QueueTake<'_>,
    ) -> Result<Vec<QueuedConfirmation>> {
        let limit = i64::try_from(take.limit).unwrap_or(i64::MAX);
        let only = take.only.map(|id| id as i64);
        let (now, owner) = (take.now, take.owner);
        self.with(|client| {
            let mut tx = client.transaction()?;
            tx.execute(
                "DELETE FROM confirmation_mails q WHERE NOT EXISTS
                   (SELECT 1 FROM subscribers s WHERE s.id = q.subscriber_id AND s.link_nonce = q.nonce)",
                &[],
            )?;
            // Handing a mail out claims it: its next attempt moves past the claim, so no other instance takes it
            // meanwhile; sent deletes it, failed sets the real retry time. SKIP LOCKED: another instance claiming
            // at the same moment takes other mails instead of waiting for these.
            let mut due = tx.query(
                "WITH due AS (
                   SELECT subscriber_id FROM confirmation_mails
                   WHERE next_attempt_at <= $1 AND ($5::BIGINT IS NULL OR subscriber_id = $5)
                   ORDER BY queued_at, subscriber_id LIMIT $2 FOR UPDATE SKIP LOCKED)
                 UPDATE confirmation_mails q SET next_attempt_at = $3, claimed_by = $4
                 FROM due, subscribers s
                 WHERE q.subscriber_id = due.subscriber_id AND s.id = q.subscriber_id
                 RETURNING q.subscriber_id, s.email, q.name, q.nonce, q.attempts, q.queued_at",
                &[&now, &limit, &(now + CONFIRMATION_MAIL_CLAIM), &owner, &only],
            )?;
            tx.commit()?;
            due.sort_by_key(|row| (row.get::<_, DateTime<Utc>>(5), row.get::<_, i64>(0)));
            Ok(due
                .iter()
                .map(|row| QueuedConfirmation {
                    subscriber_id: row.get::<_, i64>(0) as u64,
                    email: row.get(1),
                    name: row.get(2),
                    nonce: row.get::<_, i64>(3) as u64,
                    attempts: row.get::<_, i32>(4) as u32,
                })
                .collect())
        })
    }

    pub fn confirmation_mail_claimants(&self) -> Result<Vec<String>> {
        self.with(|client| {
            Ok(client
                .query(
                    "SELECT DISTINCT claimed_by FROM confirmation_mails WHERE claimed_by IS NOT NULL",
                    &[],
                )?
                .iter()
                .map(|row| row.get(0))
                .collect())
        })
    }

    pub fn release_confirmation_claims(&mut self, owner: &str, now: DateTime<Utc>) -> Result<u64> {
        self.with(|client| {
            Ok(client.execute(
                "UPDATE confirmation_mails SET claimed_by = NULL, next_attempt_at = $2 WHERE claimed_by = $1",
                &[&owner, &now],
            )?)
        })
    }

    pub fn next_confirmation_mail_at(&self) -> Result<Option<DateTime<Utc>>> {
        self.with(|client| {
            Ok(client
                .query_one("SELECT min(next_attempt_at) FROM confirmation_mails", &[])?
                .get(0))
        })
    }

    pub fn confirmation_mail_sent(&mut self, mail: &QueuedConfirmation) -> Result<()> {
        self.with(|client| {
            client.execute(
                "DELETE FROM confirmation_mails WHERE subscriber_id = $1 AND nonce = $2",
                &[&(mail.subscriber_id as i64), &(mail.nonce as i64)],
            )?;
            Ok(())
        })
    }

    pub fn confirmation_mail_failed(
        &mut self,
        mail: &QueuedConfirmation,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let attempts = mail.attempts + 1;
        let give_up = attempts >= CONFIRMATION_MAIL_ATTEMPTS;
        let (id, nonce) = (mail.subscriber_id as i64, mail.nonce as i64);
        self.with(|client| {
            if give_up {
                client.execute(
                    "DELETE FROM confirmation_mails WHERE subscriber_id = $1 AND nonce = $2",
                    &[&id, &nonce],
                )?;
            } else {
                let retry_at = now + Duration::seconds(30 * (1 << attempts));
                client.execute(
                    "UPDATE confirmation_mails SET attempts = $3, next_attempt_at = $4, last_error = $5,
                       claimed_by = NULL
                     WHERE subscriber_id = $1 AND nonce = $2",
                    &[&id, &nonce, &(attempts as i32), &retry_at, &error],
                )?;
            }
            Ok(give_up)
        })
    }
}
