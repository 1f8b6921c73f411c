//! One worker's step: build a subscriber's message, hand it to the outbox or over the worker's own SMTP
//! connection (reconnecting when it breaks), and turn what happened into the ledger's [`Outcome`].
//! [`Courier::deliver`] is the step a test can drive one message at a time.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::backoff::{RetryPolicy, reconnect_delay};
use super::edition::{Built, Edition};
use super::pace::Pace;
use super::relay::Relay;
use super::smtp::{Attempt, ConnectError, SmtpConnection, Stage, Timeouts};
use super::stop::StopSignal;
use crate::mailer::Outbox;
use crate::store::{DeliveryResult, Outcome};

/// Losing the connection this often while sending one message defers it (it may be what breaks the relay).
const LOSSES_PER_MESSAGE: u32 = 3;

/// One recipient to deliver to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub subscriber_id: u64,
    pub email: String,
    pub name: Option<String>,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// Where messages go.
pub enum Route {
    Smtp { relay: Relay, timeouts: Timeouts },
    Outbox(Outbox),
}

/// What every worker of a run shares.
pub struct Shared {
    pub edition: Edition,
    pub route: Route,
    pub policy: RetryPolicy,
    pub pace: Pace,
    pub stop: StopSignal,
    pub clock: fn() -> DateTime<Utc>,
    /// Consecutive connection failures (any worker) after which the relay counts as down.
    pub relay_down_after: u32,
    /// First pause between reconnection attempts; doubles per failure.
    pub reconnect_base: Duration,
    /// Workers, each with its own connection.
    pub concurrency: usize,
    failures: AtomicU32,
    /// Connections open right now, over all workers.
    open: AtomicUsize,
    /// Workers still taking messages.
    workers: AtomicUsize,
    /// Messages handed back by workers that retired; the run reads the ledger again for them.
    requeued: AtomicUsize,
    halt: Mutex<Option<String>>,
}

impl Shared {
    pub fn new(edition: Edition, route: Route, policy: RetryPolicy, stop: StopSignal) -> Shared {
        Shared {
            edition,
            route,
            policy,
            pace: Pace::unlimited(),
            stop,
            clock: crate::clock::now,
            relay_down_after: 6,
            reconnect_base: Duration::from_millis(200),
            concurrency: 1,
            failures: AtomicU32::new(0),
            open: AtomicUsize::new(0),
            workers: AtomicUsize::new(0),
            requeued: AtomicUsize::new(0),
            halt: Mutex::new(None),
        }
    }

    /// Why the run paused itself (relay down, relay refusing us, outbox unwritable), if it did.
    pub fn halted(&self) -> Option<String> {
        self.halt.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Pauses the run: workers take no new message.
    pub fn halt(&self, reason: String) {
        let mut halt = self.halt.lock().unwrap_or_else(|p| p.into_inner());
        if halt.is_none() {
            tracing::error!("pausing the send: {reason}");
            *halt = Some(reason);
        }
    }

    /// Counts a connection failure; true when the relay is now considered down (the run halts).
    fn connection_failed(&self, worker_failures: u32, reason: &str) -> bool {
        let failures = self.failures.fetch_add(1, Ordering::SeqCst) + 1;
        tracing::warn!("relay connection failed ({failures} in a row): {reason}");
        if failures >= self.relay_down_after && worker_failures >= self.relay_down_after {
            self.halt(format!(
                "the relay failed {failures} times in a row; last: {reason}"
            ));
            return true;
        }
        self.halted().is_some()
    }

    fn relay_answered(&self) {
        self.failures.store(0, Ordering::SeqCst);
    }

    /// How many messages retiring workers handed back since the last call.
    pub fn take_requeued(&self) -> usize {
        self.requeued.swap(0, Ordering::SeqCst)
    }
}

/// What a step came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Record this.
    Done(Outcome),
    /// Not attempted or not finished (run halted or stopping): the ledger keeps the recipient as it was.
    Abandoned,
    /// This worker cannot get a connection while others can (the relay limits connections per client): it
    /// retires, and the message stays due for a worker that can.
    Retire,
}

/// A worker that failed to connect this many times in a row while others stayed connected retires.
const RETIRE_AFTER: u32 = 3;

/// A worker: its own connection, reused for message after message.
pub struct Courier {
    shared: Arc<Shared>,
    connection: Option<SmtpConnection>,
    /// Consecutive connection failures of this worker.
    failures: u32,
}

impl Courier {
    pub fn new(shared: Arc<Shared>) -> Courier {
        shared.workers.fetch_add(1, Ordering::SeqCst);
        Courier {
            shared,
            connection: None,
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

    /// Delivers one message and says what to record.
    pub async fn deliver(&mut self, job: &Job) -> Step {
        let shared = Arc::clone(&self.shared);
        let built = match shared.edition.build(job) {
            Ok(built) => built,
            Err(e) => {
                return self.done(
                    job,
                    DeliveryResult::Failed {
                        error: format!("{e:#}"),
                        bounce: false,
                    },
                );
            }
        };
        match &shared.route {
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
            Route::Smtp { relay, timeouts } => self.over_smtp(job, &built, relay, *timeouts).await,
        }
    }

    async fn over_smtp(
        &mut self,
        job: &Job,
        built: &Built,
        relay: &Relay,
        timeouts: Timeouts,
    ) -> Step {
        let shared = Arc::clone(&self.shared);
        let sender = &shared.edition.sender;
        let mut losses = 0;
        loop {
            if shared.halted().is_some() {
                return Step::Abandoned;
            }
            let connection = match self.connection.as_mut() {
                Some(connection) => connection,
                None => {
                    if losses > 0 && shared.stop.is_stopped() {
                        return Step::Abandoned;
                    }
                    match SmtpConnection::open(relay, timeouts).await {
                        Ok(connection) => {
                            shared.open.fetch_add(1, Ordering::SeqCst);
                            self.connection.insert(connection)
                        }
                        Err(ConnectError::Refused(reason)) => {
                            shared.halt(reason);
                            return Step::Abandoned;
                        }
                        Err(ConnectError::Unavailable(reason)) => {
                            if self.failures + 1 >= RETIRE_AFTER && self.retire() {
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
            shared.pace.wait().await;
            let attempt = connection.send(sender, &built.to, &built.raw).await;
            if attempt.closes_connection() {
                self.disconnect();
            }
            match attempt {
                Attempt::Lost { error } => {
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
                    let result = self.decide(job, attempt);
                    return self.done(job, result);
                }
            }
        }
    }

    /// Counts a connection failure and waits before the next try; true when the run is halting.
    async fn failed(&mut self, reason: &str) -> bool {
        self.failures += 1;
        self.disconnect();
        if self.shared.connection_failed(self.failures, reason) {
            return true;
        }
        let pause = reconnect_delay(self.shared.reconnect_base, self.failures);
        let mut stop = self.shared.stop.clone();
        tokio::select! {
            () = tokio::time::sleep(pause) => false,
            () = stop.stopped() => true,
        }
    }

    fn disconnect(&mut self) {
        if self.connection.take().is_some() {
            self.shared.open.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Retires this worker if another one is connected and stays on; its message is handed back.
    fn retire(&mut self) -> bool {
        let shared = &self.shared;
        if shared.open.load(Ordering::SeqCst) == 0 {
            return false;
        }
        let others = shared
            .workers
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n > 1).then(|| n - 1)
            });
        if others.is_err() {
            return false;
        }
        shared.requeued.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// The ledger result for a transaction the relay answered.
    fn decide(&self, job: &Job, attempt: Attempt) -> DeliveryResult {
        match attempt {
            Attempt::Sent { reply } => DeliveryResult::Sent { reply },
            Attempt::Refused { stage, code, reply } if code < 500 => {
                self.temporary(job, format!("{stage}: {reply}"))
            }
            Attempt::Refused { stage, reply, .. } => DeliveryResult::Failed {
                error: format!("{stage}: {reply}"),
                bounce: true,
            },
            Attempt::Unsendable { reason } => DeliveryResult::Failed {
                error: reason,
                bounce: false,
            },
            Attempt::Lost { error } => self.temporary(job, error),
        }
    }

    /// Deferred with backoff, or failed once the attempts are used up.
    fn temporary(&self, job: &Job, error: String) -> DeliveryResult {
        let attempts = job.attempts + 1;
        let policy = &self.shared.policy;
        if policy.exhausted(attempts) {
            return DeliveryResult::Failed {
                error: format!("gave up after {attempts} attempts; last: {error}"),
                bounce: false,
            };
        }
        let delay = policy.delay(attempts, rand::random::<f64>());
        let next_attempt_at = (self.shared.clock)()
            + chrono::Duration::from_std(delay).unwrap_or_else(|_| chrono::Duration::days(1));
        DeliveryResult::Deferred {
            error,
            next_attempt_at,
        }
    }

    fn done(&self, job: &Job, result: DeliveryResult) -> Step {
        Step::Done(Outcome {
            issue_id: self.shared.edition.issue_id,
            subscriber_id: job.subscriber_id,
            at: (self.shared.clock)(),
            result,
        })
    }

    /// Closes the connection politely.
    pub async fn finish(mut self) {
        if let Some(connection) = self.connection.take() {
            self.shared.open.fetch_sub(1, Ordering::SeqCst);
            connection.quit().await;
        }
    }
}
