//! One worker's step: build a subscriber's message, hand it to the outbox or over the worker's own SMTP
//! connection (reconnecting when it breaks, to the next relay of the list when one is down, and back to a higher
//! one once its cool-down is over), and turn what happened into the ledger's [`Outcome`].
//! [`prepare`] then [`Courier::transmit`] is the step a test can drive one message at a time; what the workers
//! share is in `shared.rs`.

use std::sync::Arc;

mod idle;

use super::backoff::reconnect_delay;
use super::breaker::Refusal;
use super::shared::Shared;
use crate::issue::{Built, EditionMessages, nothing_new_reason};
use crate::mail::smtp::{blame, sameness_key};
use crate::mail::{
    Attempt, Blame, ConnectError, Relays, Route, SmtpConnection, Stage, Timeouts, accepted_by,
};
use crate::store::{DeliveryResult, Outcome};

mod decide;
mod job;

pub use job::Job;

/// Losing the connection this often while sending one message defers it (it may be what breaks the relay).
const LOSSES_PER_MESSAGE: u32 = 3;

/// What a step came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Record this.
    Done(Outcome),
    /// A permanent refusal: record it unless the circuit breaker finds the relay refuses everyone.
    Refused { outcome: Outcome, refusal: Refusal },
    /// Not attempted or not finished (run halted or stopping): the ledger keeps the recipient as it was.
    Abandoned,
    /// This worker cannot get a connection while others can (the relay limits connections per client): it
    /// retires, and the message stays due for a worker that can.
    Retire,
}

/// A job's message, built and signed, or what to record without sending anything.
pub enum Prepared {
    Message(Built),
    Done(DeliveryResult),
}

/// Builds (and signs) the job's message. A worker prepares its next job's message while the relay handles the
/// current one, so signing overlaps the relay's round trip (see `run::work`).
pub async fn prepare(shared: &Shared, job: &Job) -> Prepared {
    let edition = shared.editions.get(&job.categories);
    let edition = match edition.as_ref() {
        EditionMessages::Ready(edition) => edition,
        EditionMessages::NothingNew => {
            // The run skips such editions before it starts; a row reaches here only if another sender's
            // snapshot of the content differed.
            let reason = nothing_new_reason(&job.categories);
            return Prepared::Done(DeliveryResult::Skipped { reason });
        }
    };
    match edition.build_pooled(job.addressee()).await {
        Ok(built) => Prepared::Message(built),
        Err(e) => Prepared::Done(DeliveryResult::Failed {
            error: format!("{e:#}"),
            bounce: false,
        }),
    }
}

/// A worker that failed to connect this many times in a row while others stayed connected retires.
const RETIRE_AFTER: u32 = 3;

/// A worker: its own connection, reused for message after message.
pub struct Courier {
    shared: Arc<Shared>,
    connection: Option<SmtpConnection>,
    /// Position in the relay list of the relay `connection` goes to.
    relay: usize,
    /// Consecutive connection failures of this worker.
    failures: u32,
}

impl Courier {
    pub fn new(shared: Arc<Shared>) -> Courier {
        shared.worker_started();
        Courier {
            shared,
            connection: None,
            relay: 0,
            failures: 0,
        }
    }

    pub fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }

    /// The open connection, if any (tests read its socket options).
    pub fn connection(&self) -> Option<&SmtpConnection> {
        self.connection.as_ref()
    }

    /// Hands a prepared message to the outbox or the relay and says what to record.
    pub async fn transmit(&mut self, job: &Job, prepared: Prepared) -> Step {
        let built = match prepared {
            Prepared::Message(built) => built,
            Prepared::Done(result) => return self.done(job, result),
        };
        let shared = Arc::clone(&self.shared);
        match shared.mailer.route() {
            Route::Outbox(outbox) => {
                let outbox = outbox.clone();
                let written = tokio::task::spawn_blocking(move || {
                    outbox.deliver(&built.message_id, &built.raw)
                })
                .await;
                match written {
                    Ok(Ok(path)) => self.done(
                        job,
                        DeliveryResult::Sent {
                            reply: format!("written to {}", path.display()),
                        },
                    ),
                    Ok(Err(e)) => {
                        shared.halt(format!("cannot write to the outbox: {e:#}"));
                        Step::Abandoned
                    }
                    Err(e) => {
                        shared.halt(format!("writing to the outbox: {e}"));
                        Step::Abandoned
                    }
                }
            }
            Route::Smtp { relays, timeouts } => {
                self.over_smtp(job, &built, relays, *timeouts).await
            }
        }
    }

    async fn over_smtp(
        &mut self,
        job: &Job,
        built: &Built,
        relays: &Relays,
        timeouts: Timeouts,
    ) -> Step {
        let shared = Arc::clone(&self.shared);
        let sender = &built.sender;
        let mut losses = 0;
        loop {
            if shared.halted().is_some() {
                return Step::Abandoned;
            }
            shared.pace.wait().await;
            self.check_idle().await;
            if self.connection.is_some() && relays.choose(shared.clock.now()).0 < self.relay {
                // A relay higher in the list is out of its cool-down: go back to it. (A worker never leaves a
                // working connection for a lower relay.)
                if let Some(connection) = self.connection.take() {
                    shared.connection_closed();
                    connection.quit().await;
                }
            }
            let connection = match self.connection.as_mut() {
                Some(connection) => connection,
                None => {
                    if losses > 0 && shared.stop.is_stopped() {
                        return Step::Abandoned;
                    }
                    let (index, relay) = relays.choose(shared.clock.now());
                    match SmtpConnection::open(relay, timeouts).await {
                        Ok(mut connection) => {
                            connection.count_replies(shared.mailer.counters());
                            shared.connection_opened();
                            self.relay = index;
                            self.connection.insert(connection)
                        }
                        Err(ConnectError::Untrusted(reason)) => {
                            // Not a relay being down: no retry and no other relay makes the certificate trusted.
                            shared.halt_untrusted(reason);
                            return Step::Abandoned;
                        }
                        Err(error) => {
                            // Every other failure to connect counts as the relay being down.
                            let refused = matches!(error, ConnectError::Refused(_));
                            let reason = error.to_string();
                            if relays.down(index, shared.clock.now()).is_some() {
                                // Another relay of the list is not cooling down: try it at once.
                                if self.counted(&reason) {
                                    return Step::Abandoned;
                                }
                                continue;
                            }
                            if refused {
                                // Our login or TLS demand refused, and no other relay to try.
                                shared.halt(reason);
                                return Step::Abandoned;
                            }
                            if self.failures + 1 >= RETIRE_AFTER && shared.retire_worker() {
                                tracing::info!(
                                    "a worker retires: others are connected but it cannot connect ({reason})"
                                );
                                return Step::Retire;
                            }
                            if self.failed(&reason).await {
                                return Step::Abandoned;
                            }
                            continue;
                        }
                    }
                }
            };
            let attempt = connection.send(sender, &built.to, &built.raw).await;
            if attempt.closes_connection() {
                self.disconnect();
            }
            match attempt {
                // A 421 ("closing the channel", e.g. an idle timeout) and a broken connection are about the
                // connection, not the recipient: reconnect and send again without charging an attempt.
                Attempt::Lost { error }
                | Attempt::Refused {
                    code: 421,
                    reply: error,
                    ..
                } => {
                    losses += 1;
                    if self.failed(&error).await {
                        return Step::Abandoned;
                    }
                    if losses >= LOSSES_PER_MESSAGE {
                        let error =
                            format!("connection lost {losses} times sending it; last: {error}");
                        return self.done(job, self.temporary(job, error));
                    }
                }
                Attempt::Refused {
                    stage: Stage::Mail,
                    code: 500..,
                    reply,
                } => {
                    // The relay refuses our sender: the same for every message, so it counts against the relay.
                    let reason = format!("the relay refused the sender {sender}: {reply}");
                    if self.failed(&reason).await {
                        return Step::Abandoned;
                    }
                }
                attempt => {
                    self.failures = 0;
                    shared.relay_answered();
                    let attempt = match attempt {
                        Attempt::Sent { reply } => Attempt::Sent {
                            reply: accepted_by(&reply, relays.get(self.relay)),
                        },
                        other => other,
                    };
                    let refusal = match &attempt {
                        Attempt::Refused { stage, code, reply } => {
                            let blame = blame(*stage, *code, reply);
                            (blame != Blame::Temporary).then(|| Refusal {
                                key: sameness_key(*stage, reply),
                                reply: format!("{stage}: {reply}"),
                                blame,
                            })
                        }
                        _ => None,
                    };
                    let step = self.done(job, self.decide(job, attempt));
                    return match (step, refusal) {
                        (Step::Done(outcome), Some(refusal)) => Step::Refused { outcome, refusal },
                        (step, _) => step,
                    };
                }
            }
        }
    }

    /// Counts a connection failure and waits before the next try; true when the run is halting.
    async fn failed(&mut self, reason: &str) -> bool {
        if self.counted(reason) {
            return true;
        }
        let pause = reconnect_delay(self.shared.reconnect_base, self.failures);
        let mut stop = self.shared.stop.clone();
        tokio::select! {
            () = tokio::time::sleep(pause) => false,
            () = stop.stopped() => true,
        }
    }

    /// Counts a connection failure, without waiting; true when the run is halting.
    fn counted(&mut self, reason: &str) -> bool {
        self.failures += 1;
        self.disconnect();
        self.shared.connection_failed(self.failures, reason)
    }

    fn disconnect(&mut self) {
        if self.connection.take().is_some() {
            self.shared.connection_closed();
        }
    }

    fn done(&self, job: &Job, result: DeliveryResult) -> Step {
        Step::Done(Outcome {
            issue_id: self.shared.editions.issue_id(),
            subscriber_id: job.subscriber_id,
            at: self.shared.clock.now(),
            result,
        })
    }

    /// Closes the connection politely.
    pub async fn finish(mut self) {
        if let Some(connection) = self.connection.take() {
            self.shared.connection_closed();
            connection.quit().await;
        }
    }
}
