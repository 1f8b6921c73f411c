//! One run over an issue's ledger: pages of due recipients to the workers, outcomes to the ledger writer, pass
//! after pass while deferred recipients come due within the run's patience. Pages are claimed in this run's name
//! (`claims.rs`): on PostgreSQL other senders may be delivering the same issue, and the run goes on while they
//! hold claims, to take over the rows of any that dies.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use tokio::sync::{Mutex, mpsc, watch};

use super::claim_keeper::{ClaimKeeper, KeptClaims};
use super::claims::claim_poll_wait;
use super::ledger::{Ledger, RunCounts, Tally};
use super::report::Reporter;
use super::shared::Shared;
use super::worker::{Courier, Job, Prepared, Step, prepare};
use super::{RunEnd, SendOptions};
use crate::store::{ClaimRequest, DeliveryResult, Outcome, Status, Store, StoredIssue};

/// The run's connections to the store.
pub struct RunStores {
    /// Reads the ledger and claims pages.
    pub store: Store,
    /// The ledger writer's.
    pub writer: Store,
    /// Keeps this run's claims alive (see `claim_keeper.rs`); only for senders that share a ledger.
    pub keeper: Option<Store>,
}

/// The passes over the ledger; returns what this run recorded and how it ended.
pub async fn deliver(
    stores: RunStores,
    shared: Arc<Shared>,
    issue: &StoredIssue,
    options: &SendOptions,
) -> Result<(RunCounts, RunEnd)> {
    let clock = options.clock.clone();
    let owner = crate::lease::owner_id();
    let claim_for = chrono::Duration::from_std(options.claim_for).context("send claim time")?;
    let RunStores {
        mut store,
        writer,
        keeper,
    } = stores;
    let keeper = keeper.map(|connection| {
        ClaimKeeper::start(
            connection,
            KeptClaims {
                issue_id: issue.id,
                owner: owner.clone(),
                claim_for,
                clock: clock.clone(),
            },
        )
    });
    if store.shares_senders() {
        tracing::info!("sending as {owner}, alongside any other sender of this issue");
    }
    let tally = Arc::new(Tally::counting_into(options.counters.clone()));
    let (ledger, ledger_thread) = Ledger::start(writer, clock.clone(), Arc::clone(&tally))?;
    let before = store.ledger_counts(issue.id)?;
    let reporter = Reporter::start(
        options.progress,
        &issue.issue.key,
        before.pending + before.deferred,
        Arc::clone(&tally),
    );

    let concurrency = shared.concurrency.max(1);
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>(concurrency * 4);
    let jobs_rx = Arc::new(Mutex::new(jobs_rx));
    let (in_flight, mut drained) = watch::channel(0usize);
    let in_flight = Arc::new(in_flight);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        workers.spawn(work(
            Courier::new(Arc::clone(&shared)),
            Arc::clone(&jobs_rx),
            ledger.clone(),
            Arc::clone(&in_flight),
        ));
    }

    let mut stop = options.stop.clone();
    let outcome: Result<()> = async {
        loop {
            let mut after = 0;
            'pass: loop {
                if stop.is_stopped() || shared.halted().is_some() {
                    break;
                }
                let claimed_at = clock.now();
                let page = store.claim_due(&ClaimRequest {
                    issue_id: issue.id,
                    owner: &owner,
                    after,
                    limit: options.page_size,
                    now: claimed_at,
                    claim_for,
                })?;
                if page.is_empty() {
                    break;
                }
                // Past half the claim time, the rest of the page is claimed again (it is still ours) before it
                // is handed out, so no message goes out on a claim that may run out while it is on the wire.
                let renew_at = claimed_at + claim_for / 2;
                for (index, due) in page.into_iter().enumerate() {
                    if index > 0 && clock.now() >= renew_at {
                        continue 'pass;
                    }
                    after = due.subscriber_id;
                    if due.status != Status::Confirmed {
                        ledger
                            .record(Outcome {
                                issue_id: issue.id,
                                subscriber_id: due.subscriber_id,
                                at: clock.now(),
                                result: DeliveryResult::Skipped {
                                    reason: format!(
                                        "not sent: the subscriber is {} since the issue was created",
                                        due.status
                                    ),
                                },
                            })
                            .await?;
                        continue;
                    }
                    let job = Job::from(due);
                    in_flight.send_modify(|n| *n += 1);
                    tokio::select! {
                        sent = jobs_tx.send(job) => sent.map_err(|_| anyhow!("every worker stopped"))?,
                        () = stop.stopped() => {
                            in_flight.send_modify(|n| *n -= 1);
                            break 'pass;
                        }
                    }
                }
            }
            // Every job of this pass is recorded before the next pass reads the ledger again: otherwise a
            // message in flight would still look pending and go out twice.
            let _ = drained.wait_for(|n| *n == 0).await;
            for outcome in shared.breaker.release() {
                ledger.record(outcome).await?;
            }
            ledger.flush().await?;
            if stop.is_stopped() || shared.halted().is_some() {
                return Ok(());
            }
            if shared.take_requeued() > 0 {
                continue;
            }
            if let Some(expiry) = store.next_claim_expiry(issue.id, &owner, clock.now())? {
                let wait = claim_poll_wait((expiry - clock.now()).to_std().unwrap_or(Duration::ZERO));
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = stop.stopped() => return Ok(()),
                }
                continue;
            }
            let Some(next) = store.next_retry(issue.id)? else {
                return Ok(());
            };
            let wait = (next - clock.now()).to_std().unwrap_or(Duration::ZERO);
            if wait > options.retry.wait_in_run {
                return Ok(());
            }
            tracing::info!("waiting {wait:?} for deferred recipients to come due");
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stop.stopped() => return Ok(()),
            }
        }
    }
    .await;

    drop(jobs_tx);
    while workers.join_next().await.is_some() {}
    drop(ledger);
    let recorded = ledger_thread.join();
    reporter.finish().await;
    if let Some(keeper) = keeper {
        keeper.stop();
    }
    outcome?;
    recorded?;
    // Rows claimed but not sent (the run stopped or halted) go to the other senders now, not when the claim
    // runs out.
    store.release_claims(issue.id, &owner, clock.now())?;

    let end = if let Some(reason) = shared.halted() {
        if shared.untrusted() {
            RunEnd::Untrusted { reason }
        } else {
            RunEnd::Halted { reason }
        }
    } else if stop.is_stopped() {
        RunEnd::Interrupted
    } else if store.complete_issue(issue.id, clock.now())? {
        RunEnd::Complete
    } else {
        RunEnd::Deferred {
            next_retry: store.next_retry(issue.id)?,
        }
    };
    Ok((tally.counts(), end))
}

/// One worker: take a job, deliver it, record it, until the channel closes. Once the run stops or halts, jobs
/// still queued are dropped unrecorded: they stay due in the ledger.
///
/// While the relay handles one message, the worker takes the next job if one is already waiting and builds
/// (and signs) its message: with DKIM on and few connections, signing then overlaps the round trip instead of
/// following it (one connection sent about twice as many signed messages a second). It never waits for that
/// next job: at the end of a pass the run waits for every job to be recorded, so a worker waiting for more
/// would hold the pass up. A job taken ahead counts as in flight until it is recorded or dropped.
async fn work(
    mut courier: Courier,
    jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
    ledger: Ledger,
    in_flight: Arc<watch::Sender<usize>>,
) {
    let shared = courier.shared();
    let stopping = || shared.stop.is_stopped() || shared.halted().is_some();
    let mut ahead: Option<(Job, Prepared)> = None;
    loop {
        let (job, prepared) = match ahead.take() {
            Some(next) => next,
            None => {
                let next = async { jobs.lock().await.recv().await };
                // While no message comes, an open connection is closed once idle (before a retry wait, at the
                // end of a pass) rather than left for the relay to time out.
                let job = match courier.idle_deadline() {
                    Some(deadline) => match tokio::time::timeout_at(deadline, next).await {
                        Ok(job) => job,
                        Err(_) => {
                            courier.close_idle().await;
                            continue;
                        }
                    },
                    None => next.await,
                };
                let Some(job) = job else { break };
                if stopping() {
                    // Not worth signing: it is dropped below.
                    in_flight.send_modify(|n| *n -= 1);
                    continue;
                }
                let prepared = prepare(&shared, &job).await;
                (job, prepared)
            }
        };
        if stopping() {
            in_flight.send_modify(|n| *n -= 1);
            continue;
        }
        let waiting = jobs
            .try_lock()
            .ok()
            .and_then(|mut jobs| jobs.try_recv().ok());
        let prepare_next = async {
            match waiting {
                Some(next) => {
                    let prepared = prepare(&shared, &next).await;
                    Some((next, prepared))
                }
                None => None,
            }
        };
        let (step, next) = tokio::join!(courier.transmit(&job, prepared), prepare_next);
        ahead = next;
        let retire = step == Step::Retire;
        let observed = match step {
            Step::Done(outcome) => shared.breaker.observe(outcome, None),
            Step::Refused { outcome, refusal } => shared.breaker.observe(outcome, Some(refusal)),
            Step::Abandoned | Step::Retire => Default::default(),
        };
        if let Some(reason) = observed.tripped {
            shared.halt(reason);
        }
        for outcome in observed.record {
            if let Err(e) = ledger.record(outcome).await {
                shared.halt(format!("{e:#}"));
                break;
            }
        }
        in_flight.send_modify(|n| *n -= 1);
        if retire {
            // The job taken ahead stays due, like the one this worker could not send.
            if ahead.take().is_some() {
                in_flight.send_modify(|n| *n -= 1);
            }
            break;
        }
    }
    courier.finish().await;
}
