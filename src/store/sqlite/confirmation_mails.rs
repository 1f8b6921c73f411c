//! SQLite: The queue of confirmation mails: written by `Store::subscribe` in the request's own transaction, read and
//! cleared by the sender that runs in `serve` (and by `subscribers add`). A mail still queued when the process dies
//! goes out after the restart; one whose subscription moved on (a newer request, a confirmation, an opt-out) is
//! dropped instead, because its link would do nothing.

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};

use crate::store::sqlite::{SqliteStore, parse_ts, ts};
use crate::store::{
    CONFIRMATION_MAIL_ATTEMPTS, CONFIRMATION_MAIL_CLAIM, QueueTake, QueuedConfirmation,
};

impl SqliteStore {
    pub fn due_confirmation_mails(
        &mut self,
        take: &QueueTake<'_>,
    ) -> Result<Vec<QueuedConfirmation>> {
        let now = take.now;
        let tx = self.write_transaction()?;
        tx.execute(
            "DELETE FROM confirmation_mails WHERE NOT EXISTS
               (SELECT 1 FROM subscribers s WHERE s.id = confirmation_mails.subscriber_id
                  AND s.link_nonce = confirmation_mails.nonce)",
            [],
        )?;
        let due = tx
            .prepare(
                "SELECT q.subscriber_id, s.email, q.name, q.nonce, q.attempts
                 FROM confirmation_mails q JOIN subscribers s ON s.id = q.subscriber_id
                 WHERE q.next_attempt_at <= ?1 AND (?3 IS NULL OR q.subscriber_id = ?3)
                 ORDER BY q.queued_at LIMIT ?2",
            )?
            .query_map(
                params![
                    ts(now),
                    i64::try_from(take.limit).unwrap_or(i64::MAX),
                    take.only.map(|id| id as i64)
                ],
                |row| {
                    Ok(QueuedConfirmation {
                        subscriber_id: row.get::<_, i64>(0)? as u64,
                        email: row.get(1)?,
                        name: row.get(2)?,
                        nonce: row.get::<_, i64>(3)? as u64,
                        attempts: row.get(4)?,
                    })
                },
            )?
            .collect::<rusqlite::Result<Vec<QueuedConfirmation>>>()?;
        // Handing a mail out claims it (another `serve` on the same file, `subscribers add`): its next attempt moves
        // past the claim; sent deletes it, failed sets the real retry time.
        let mut claim = tx.prepare(
            "UPDATE confirmation_mails SET next_attempt_at = ?2, claimed_by = ?3 WHERE subscriber_id = ?1",
        )?;
        for mail in &due {
            claim.execute(params![
                mail.subscriber_id as i64,
                ts(now + CONFIRMATION_MAIL_CLAIM),
                take.owner
            ])?;
        }
        drop(claim);
        tx.commit()?;
        Ok(due)
    }

    pub fn confirmation_mail_claimants(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT claimed_by FROM confirmation_mails WHERE claimed_by IS NOT NULL",
        )?;
        let owners = stmt.query_map([], |row| row.get(0))?;
        Ok(owners.collect::<rusqlite::Result<_>>()?)
    }

    pub fn release_confirmation_claims(&mut self, owner: &str, now: DateTime<Utc>) -> Result<u64> {
        let released = self.conn.execute(
            "UPDATE confirmation_mails SET claimed_by = NULL, next_attempt_at = ?2 WHERE claimed_by = ?1",
            params![owner, ts(now)],
        )?;
        Ok(released as u64)
    }

    pub fn next_confirmation_mail_at(&self) -> Result<Option<DateTime<Utc>>> {
        let next: Option<String> = self
            .conn
            .query_row(
                "SELECT min(next_attempt_at) FROM confirmation_mails",
                [],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        next.map(|t| parse_ts(&t)).transpose()
    }

    pub fn confirmation_mail_sent(&mut self, mail: &QueuedConfirmation) -> Result<()> {
        let tx = self.write_transaction()?;
        tx.execute(
            "DELETE FROM confirmation_mails WHERE subscriber_id = ?1 AND nonce = ?2",
            params![mail.subscriber_id as i64, mail.nonce as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn confirmation_mail_failed(
        &mut self,
        mail: &QueuedConfirmation,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let attempts = mail.attempts + 1;
        let give_up = attempts >= CONFIRMATION_MAIL_ATTEMPTS;
        let tx = self.write_transaction()?;
        if give_up {
            tx.execute(
                "DELETE FROM confirmation_mails WHERE subscriber_id = ?1 AND nonce = ?2",
                params![mail.subscriber_id as i64, mail.nonce as i64],
            )?;
        } else {
            let retry_at = now + Duration::seconds(30 * (1 << attempts));
            tx.execute(
                "UPDATE confirmation_mails SET attempts = ?3, next_attempt_at = ?4, last_error = ?5,
                   claimed_by = NULL
                 WHERE subscriber_id = ?1 AND nonce = ?2",
                params![
                    mail.subscriber_id as i64,
                    mail.nonce as i64,
                    attempts,
                    ts(retry_at),
                    error
                ],
            )?;
        }
        tx.commit()?;
        Ok(give_up)
    }
}
