//! What the ledger records for a transaction the relay answered: sent, deferred with backoff, or failed (with a
//! bounce only when the failure is the mailbox's, see [`crate::mail::Blame`]).

use super::{Courier, Job};
use crate::mail::smtp::blame;
use crate::mail::{Attempt, Blame};
use crate::store::DeliveryResult;

impl Courier {
    /// The ledger result for a transaction the relay answered. Only a failure specific to the mailbox bounces
    /// the subscriber (see [`blame`]). A policy refusal (5.7.x) of one recipient among many accepted ones is
    /// recorded failed without a bounce: the recipient's side will not take this message from us (a blocklist,
    /// DMARC, a content filter), which says nothing about whether the mailbox exists, and retrying the same
    /// message would only hold the issue open to be refused again. When it is not one recipient but everyone,
    /// the circuit breaker pauses the run instead (see `breaker.rs`).
    pub(super) fn decide(&self, job: &Job, attempt: Attempt) -> DeliveryResult {
        match attempt {
            Attempt::Sent { reply } => DeliveryResult::Sent { reply },
            Attempt::Refused { stage, code, reply } => {
                let error = format!("{stage}: {reply}");
                match blame(stage, code, &reply) {
                    Blame::Temporary => self.temporary(job, error),
                    Blame::Mailbox => DeliveryResult::Failed {
                        error,
                        bounce: true,
                    },
                    Blame::Relay | Blame::Message => DeliveryResult::Failed {
                        error: format!("{error} (not the mailbox's fault: not bounced)"),
                        bounce: false,
                    },
                }
            }
            Attempt::Unsendable { reason } => DeliveryResult::Failed {
                error: reason,
                bounce: false,
            },
            Attempt::Lost { error } => self.temporary(job, error),
        }
    }

    /// Deferred with backoff, or failed once the attempts are used up.
    pub(super) fn temporary(&self, job: &Job, error: String) -> DeliveryResult {
        let attempts = job.attempts + 1;
        let policy = &self.shared.policy;
        if policy.exhausted(attempts) {
            return DeliveryResult::Failed {
                error: format!("gave up after {attempts} attempts; last: {error}"),
                bounce: false,
            };
        }
        let delay = policy.delay(attempts, rand::random::<f64>());
        let next_attempt_at = self.shared.clock.now()
            + chrono::Duration::from_std(delay).unwrap_or_else(|_| chrono::Duration::days(1));
        DeliveryResult::Deferred {
            error,
            next_attempt_at,
        }
    }
}
