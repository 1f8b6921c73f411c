//! PostgreSQL: the queue of confirmation mails (see [`crate::store::confirmation_mails`]): written by `subscribe`
//! in the request's own transaction, read and cleared by the sender that runs in `serve` (and by `subscribers
//! add`). A mail whose subscription moved on (a newer request, a confirmation, an opt-out) is dropped, because its
//! link would do nothing.

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};

use crate::store::{CONFIRMATION_MAIL_ATTEMPTS, PgStore, QueuedConfirmation};

impl PgStore {
    pub fn due_confirmation_mails(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<QueuedConfirmation>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|client| {
            let mut tx = client.transaction()?;
            tx.execute(
                "DELETE FROM confirmation_mails q WHERE NOT EXISTS
                   (SELECT 1 FROM subscribers s WHERE s.id = q.subscriber_id AND s.link_nonce = q.nonce)",
                &[],
            )?;
            let due = tx.query(
                "SELECT q.subscriber_id, s.email, q.name, q.nonce, q.attempts
                 FROM confirmation_mails q JOIN subscribers s ON s.id = q.subscriber_id
                 WHERE q.next_attempt_at <= $1 ORDER BY q.queued_at, q.subscriber_id LIMIT $2",
                &[&now, &limit],
            )?;
            tx.commit()?;
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
                    "UPDATE confirmation_mails SET attempts = $3, next_attempt_at = $4, last_error = $5
                     WHERE subscriber_id = $1 AND nonce = $2",
                    &[&id, &nonce, &(attempts as i32), &retry_at, &error],
                )?;
            }
            Ok(give_up)
        })
    }
}
