//! What every worker of a run shares: the editions and the mailer, the run's settings, and the counters that
//! coordinate the workers (consecutive relay failures, open connections, workers still on, messages handed back)
//! together with the run's halt reason, and the circuit breaker.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use super::backoff::RetryPolicy;
use super::breaker::Breaker;
use super::pace::Pace;
use super::stop::StopSignal;
use crate::clock::Clock;
use crate::issue::Editions;
use crate::mail::Mailer;

/// What every worker of a run shares.
pub struct Shared {
    /// The issue once per edition its ledger holds.
    pub editions: Editions,
    /// Where messages go; workers open their own connections to its relay.
    pub mailer: Mailer,
    pub policy: RetryPolicy,
    pub pace: Pace,
    pub stop: StopSignal,
    pub clock: Clock,
    /// Consecutive connection failures (any worker) after which the relay counts as down.
    pub relay_down_after: u32,
    /// First pause between reconnection attempts; doubles per failure.
    pub reconnect_base: Duration,
    /// Workers, each with its own connection.
    pub concurrency: usize,
    /// Tells a relay's refusal of everyone from refusals of a few mailboxes.
    pub breaker: Breaker,
    failures: AtomicU32,
    /// Connections open right now, over all workers.
    open: AtomicUsize,
    /// Workers still taking messages.
    workers: AtomicUsize,
    /// Messages handed back by workers that retired; the run reads the ledger again for them.
    requeued: AtomicUsize,
    halt: Mutex<Option<String>>,
    /// The halt is the relay's certificate, which no retry can fix.
    untrusted: AtomicBool,
}

impl Shared {
    pub fn new(
        editions: Editions,
        mailer: Mailer,
        policy: RetryPolicy,
        stop: StopSignal,
    ) -> Shared {
        Shared {
            editions,
            mailer,
            policy,
            pace: Pace::unlimited(),
            stop,
            clock: Clock::System,
            relay_down_after: 6,
            reconnect_base: Duration::from_millis(200),
            concurrency: 1,
            breaker: Breaker::new(u64::MAX),
            failures: AtomicU32::new(0),
            open: AtomicUsize::new(0),
            workers: AtomicUsize::new(0),
            requeued: AtomicUsize::new(0),
            halt: Mutex::new(None),
            untrusted: AtomicBool::new(false),
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
            if self.untrusted() {
                tracing::error!("stopping the send: {reason}");
            } else {
                tracing::error!("pausing the send: {reason}");
            }
            *halt = Some(reason);
        }
    }

    /// Stops the run because the relay's TLS certificate is not trusted: a setting must change first.
    pub fn halt_untrusted(&self, reason: String) {
        if self.halted().is_none() {
            self.untrusted.store(true, Ordering::SeqCst);
        }
        self.halt(reason);
    }

    /// Whether the halt is an untrusted certificate ([`Shared::halt_untrusted`]).
    pub fn untrusted(&self) -> bool {
        self.untrusted.load(Ordering::SeqCst)
    }

    /// Counts a connection failure; true when the relay is now considered down (the run halts).
    pub(super) fn connection_failed(&self, worker_failures: u32, reason: &str) -> bool {
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

    pub(super) fn relay_answered(&self) {
        self.failures.store(0, Ordering::SeqCst);
    }

    /// How many messages retiring workers handed back since the last call.
    pub fn take_requeued(&self) -> usize {
        self.requeued.swap(0, Ordering::SeqCst)
    }

    pub(super) fn worker_started(&self) {
        self.workers.fetch_add(1, Ordering::SeqCst);
    }

    pub(super) fn connection_opened(&self) {
        self.open.fetch_add(1, Ordering::SeqCst);
    }

    pub(super) fn connection_closed(&self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }

    /// Lets one worker retire if another one is connected and stays on; its message is counted as handed back.
    pub(super) fn retire_worker(&self) -> bool {
        if self.open.load(Ordering::SeqCst) == 0 {
            return false;
        }
        let others = self
            .workers
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n > 1).then(|| n - 1)
            });
        if others.is_err() {
            return false;
        }
        self.requeued.fetch_add(1, Ordering::SeqCst);
        true
    }
}
