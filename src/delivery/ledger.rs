//! The single ledger writer: a thread with its own store connection that records outcomes in batched
//! transactions, one per few milliseconds at most (a fast run commits a hundred or so at a time, a slow one
//! each outcome on its own). A crash loses at most what was not committed yet (see [`MAX_UNCOMMITTED`]); those
//! recipients are sent again on resume, with the same Message-ID.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::{Context, Result, anyhow};

use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::metrics::Counters;
use crate::store::{DeliveryResult, Outcome, Store};

/// Most outcomes per transaction, and room in the queue to the writer.
const MAX_BATCH: usize = 256;

/// How long a woken writer lets outcomes gather before committing them.
const TICK: std::time::Duration = std::time::Duration::from_millis(5);

/// Most outcomes the relay can have answered that are not yet committed, besides the messages in flight: a
/// batch being written and a full queue. After a crash these are sent again.
pub const MAX_UNCOMMITTED: usize = 2 * MAX_BATCH;

/// What this run recorded, updated after each commit.
#[derive(Debug, Default)]
pub struct Tally {
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub skipped: AtomicU64,
    /// Deferral events: a recipient retried twice within the run counts twice here.
    pub deferrals: AtomicU64,
    /// Recipients whose latest outcome in this run is a deferral (a later send or failure takes them out).
    deferred: Mutex<HashSet<u64>>,
    /// The process's totals (for `/metrics`), counted with the run's after each commit.
    process: Counters,
}

/// A snapshot of a [`Tally`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub sent: u64,
    /// Recipients this run left deferred (each once, however often it was retried).
    pub deferred: u64,
    pub failed: u64,
    /// Not attempted: unsubscribed (or bounced elsewhere) after the issue was created, or an edition found with
    /// nothing new mid-run.
    pub skipped: u64,
    /// Deferral events, retries within the run included.
    pub deferrals: u64,
}

impl RunCounts {
    /// Recipients this run recorded a final or deferred outcome for.
    pub fn total(&self) -> u64 {
        self.sent + self.deferred + self.failed + self.skipped
    }
}

impl Tally {
    /// A tally that also counts into the process's `counters`.
    pub fn counting_into(counters: Counters) -> Tally {
        Tally {
            process: counters,
            ..Tally::default()
        }
    }

    pub fn counts(&self) -> RunCounts {
        RunCounts {
            sent: self.sent.load(Ordering::Relaxed),
            deferred: self.deferred.lock().map_or(0, |set| set.len() as u64),
            failed: self.failed.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            deferrals: self.deferrals.load(Ordering::Relaxed),
        }
    }

    fn add(&self, outcomes: &[Outcome]) {
        self.process.add_outcomes(outcomes);
        let mut deferred = self.deferred.lock().unwrap_or_else(|e| e.into_inner());
        for outcome in outcomes {
            let counter = match outcome.result {
                DeliveryResult::Sent { .. } => &self.sent,
                DeliveryResult::Deferred { .. } => {
                    deferred.insert(outcome.subscriber_id);
                    self.deferrals.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                DeliveryResult::Failed { .. } => &self.failed,
                DeliveryResult::Skipped { .. } => &self.skipped,
            };
            deferred.remove(&outcome.subscriber_id);
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

enum Entry {
    Record(Outcome),
    /// Answered once everything sent before it is committed.
    Flush(oneshot::Sender<()>),
}

/// The writer's sending side; cloned into every worker.
#[derive(Clone)]
pub struct Ledger {
    tx: mpsc::Sender<Entry>,
}

pub struct LedgerThread {
    handle: JoinHandle<Result<()>>,
}

impl Ledger {
    /// Starts the writer thread on `store`.
    pub fn start(store: Store, clock: Clock, tally: Arc<Tally>) -> Result<(Ledger, LedgerThread)> {
        let (tx, rx) = mpsc::channel(MAX_BATCH);
        let handle = std::thread::Builder::new()
            .name("ledger".into())
            .spawn(move || write_loop(store, rx, clock, &tally))
            .context("starting the ledger writer")?;
        Ok((Ledger { tx }, LedgerThread { handle }))
    }

    /// Queues an outcome; an error means the writer stopped (see [`LedgerThread::join`]).
    pub async fn record(&self, outcome: Outcome) -> Result<()> {
        self.tx
            .send(Entry::Record(outcome))
            .await
            .map_err(|_| anyhow!("the ledger writer stopped"))
    }

    /// Waits until everything queued so far is committed.
    pub async fn flush(&self) -> Result<()> {
        let (done, committed) = oneshot::channel();
        self.tx
            .send(Entry::Flush(done))
            .await
            .map_err(|_| anyhow!("the ledger writer stopped"))?;
        committed
            .await
            .map_err(|_| anyhow!("the ledger writer stopped"))
    }
}

impl LedgerThread {
    /// Waits for the writer to finish (after every [`Ledger`] is dropped); its error if it failed.
    pub fn join(self) -> Result<()> {
        self.handle
            .join()
            .map_err(|_| anyhow!("the ledger writer panicked"))?
    }
}

fn write_loop(
    mut store: Store,
    mut rx: mpsc::Receiver<Entry>,
    clock: Clock,
    tally: &Tally,
) -> Result<()> {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut waiting = Vec::new();
    // Parked while idle; once woken, let a batch gather for one tick, so a busy run wakes this thread (and
    // commits) about once per tick rather than once per message.
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        let mut gathered = false;
        while let Some(entry) = next.take() {
            match entry {
                Entry::Record(outcome) => batch.push(outcome),
                Entry::Flush(done) => waiting.push(done),
            }
            if batch.len() >= MAX_BATCH {
                break;
            }
            next = rx.try_recv().ok();
            if next.is_none() && !gathered && waiting.is_empty() {
                gathered = true;
                std::thread::sleep(TICK);
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            store
                .record(&batch, clock.now())
                .with_context(|| format!("recording {} deliveries in the ledger", batch.len()))?;
            tally.add(&batch);
            batch.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::Tally;
    use crate::store::{DeliveryResult, Outcome};

    fn noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    fn outcome(subscriber_id: u64, result: DeliveryResult) -> Outcome {
        Outcome {
            issue_id: 1,
            subscriber_id,
            at: noon(),
            result,
        }
    }

    fn deferred() -> DeliveryResult {
        DeliveryResult::Deferred {
            error: "450 4.2.1 try again later".into(),
            next_attempt_at: noon(),
        }
    }

    #[test]
    fn a_recipient_deferred_three_times_counts_as_one_deferred_recipient_and_three_deferrals() {
        let tally = Tally::default();
        tally.add(&[outcome(7, deferred()), outcome(8, deferred())]);
        tally.add(&[outcome(7, deferred())]);
        tally.add(&[
            outcome(7, deferred()),
            outcome(
                8,
                DeliveryResult::Sent {
                    reply: "250".into(),
                },
            ),
        ]);

        let counts = tally.counts();
        assert_eq!((counts.sent, counts.deferred, counts.deferrals), (1, 1, 4));
        assert_eq!(counts.total(), 2, "two recipients");
    }
}
