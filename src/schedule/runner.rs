//! The scheduler loop that `verdicts serve` spawns: decide ([`catch_up`]), then sleep, skip or run the send job,
//! and remember the handled fire in the store so a restart does not run it again. A fire whose send lease another
//! instance holds stays owed here until the record shows it handled, so a holder that dies mid-send is resumed.
//! The clock and the record are parameters, so tests drive the loop one [`Step`] at a time on a pinned clock.

use std::future::Future;

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};

use super::{Decision, Schedule, catch_up};
use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;

/// Where the last handled fire is remembered across restarts.
pub trait FireLog: Send {
    /// Every fire at or before this time has been sent or skipped; `None` before the scheduler's first start.
    fn last_fire(&mut self) -> Result<Option<DateTime<Utc>>>;
    /// Moves the record forward to `fire` (never back).
    fn record_fire(&mut self, fire: DateTime<Utc>) -> Result<()>;
}

impl FireLog for Store {
    fn last_fire(&mut self) -> Result<Option<DateTime<Utc>>> {
        self.scheduler_last_fire()
    }

    fn record_fire(&mut self, fire: DateTime<Utc>) -> Result<()> {
        self.record_scheduler_fire(fire)
    }
}

/// How long after a peer's send lease could have expired this instance looks again: past the expiry, so a lease
/// left by a dead holder is free by then.
const RECHECK_MARGIN: Duration = Duration::seconds(1);

/// What the send job did for a fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// This instance handled the fire (sent it, or found nothing to send).
    Done,
    /// Another sender holds the send lease until `expires_at` (unless renewed): it is sending, or it died.
    HeldElsewhere {
        owner: String,
        expires_at: DateTime<Utc>,
    },
}

/// How the scheduler treats late and failed sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerOptions {
    /// A missed fire is still sent when the scheduler is back within this long after it.
    pub max_lateness: Duration,
    /// After the send job fails, it runs again this much later, for as long as the fire is within `max_lateness`.
    pub retry_after: Duration,
}

impl SchedulerOptions {
    pub fn from_config(config: &Config) -> SchedulerOptions {
        SchedulerOptions {
            max_lateness: Duration::minutes(config.max_lateness_minutes.into()),
            retry_after: Duration::minutes(5),
        }
    }
}

/// What one [`Scheduler::step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The job ran for `fire` and succeeded; the fire is recorded as handled.
    Sent { fire: DateTime<Utc> },
    /// `fire` was too late to send; recorded as handled, `reason` logged.
    Skipped { fire: DateTime<Utc>, reason: String },
    /// The job failed; it runs again after `retry_after` unless the fire has become too late by then (an owed fire,
    /// one another sender started, runs again however late).
    Failed { fire: DateTime<Utc>, error: String },
    /// Another sender holds the lease for `fire`; not recorded here: the scheduler looks again at `until`.
    HeldElsewhere {
        fire: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    /// Slept until `until` (the next fire, or the retry or re-check time).
    Slept { until: DateTime<Utc> },
    /// The expression has no more fire times.
    Finished,
}

/// The scheduler: a schedule, its options, a clock and a record of handled fires.
pub struct Scheduler<L> {
    schedule: Schedule,
    options: SchedulerOptions,
    clock: Clock,
    log: L,
    retry_at: Option<DateTime<Utc>>,
    /// A fire another sender held the lease for, or whose resumed send failed: run again at the next step whatever
    /// its lateness, unless the record shows it handled by then.
    owed: Option<DateTime<Utc>>,
}

impl Scheduler<Store> {
    /// The scheduler `verdicts serve` runs: the configured schedule, the wall clock, and its own store connection.
    pub fn from_config(config: &Config) -> Result<Self> {
        let schedule = Schedule::parse(&config.schedule, config.timezone)?;
        let store = Store::open(&config.database)?;
        Ok(Scheduler::new(
            schedule,
            SchedulerOptions::from_config(config),
            Clock::System,
            store,
        ))
    }
}

impl<L: FireLog> Scheduler<L> {
    pub fn new(schedule: Schedule, options: SchedulerOptions, clock: Clock, log: L) -> Self {
        Scheduler {
            schedule,
            options,
            clock,
            log,
            retry_at: None,
            owed: None,
        }
    }

    /// Decides once and acts: sleeps, skips, or runs `job` for a due or owed fire. The job is the send: it must be
    /// safe to run again for the same fire (a resumed send delivers only what is still pending), and says
    /// [`JobOutcome::HeldElsewhere`] when another sender holds the lease.
    pub async fn step<J, F>(&mut self, job: &mut J) -> Result<Step>
    where
        J: FnMut(DateTime<Utc>) -> F,
        F: Future<Output = Result<JobOutcome>>,
    {
        if let Some(retry_at) = self.retry_at.take()
            && self.clock.now() < retry_at
        {
            self.clock.sleep_until(retry_at).await;
            return Ok(Step::Slept { until: retry_at });
        }
        let now = self.clock.now();
        let last = self.log.last_fire()?;
        if let Some(fire) = self.owed {
            if last.is_some_and(|last| last >= fire) {
                tracing::info!(%fire, "scheduler: another instance finished the send for this fire");
                self.owed = None;
            } else {
                // Not `catch_up`: its lateness rule keeps a stale issue from being started, but this one was
                // started in time and readers have part of it; finishing it is right however late it now is.
                tracing::info!(%fire, "scheduler: resuming the send for this fire");
                return self.run_job(job, fire).await;
            }
        }
        if last.is_none() {
            // The first start: fires from here on are owed, so a crash before the first fire does not lose it.
            self.log.record_fire(now)?;
        }
        match catch_up(&self.schedule, last, now, self.options.max_lateness) {
            Decision::SleepUntil(until) => {
                tracing::debug!(next = %until, "scheduler: sleeping until the next fire");
                self.clock.sleep_until(until).await;
                Ok(Step::Slept { until })
            }
            Decision::Finished => Ok(Step::Finished),
            Decision::Skip { fire, reason } => {
                tracing::warn!("{reason}");
                self.log.record_fire(fire)?;
                Ok(Step::Skipped { fire, reason })
            }
            Decision::SendNow { fire, missed } => {
                if missed > 0 {
                    tracing::warn!(%fire, missed, "scheduler: earlier fires were missed; one send covers them");
                }
                tracing::info!(%fire, "scheduler: sending the issue");
                self.run_job(job, fire).await
            }
        }
    }

    /// Runs `job` for `fire` and records the fire only if this instance handled it. A lease held elsewhere leaves
    /// the fire owed: the holder records it when it finishes, and if it dies instead this instance resumes the
    /// send once the lease has expired (every other instance has moved on, so nobody else would).
    async fn run_job<J, F>(&mut self, job: &mut J, fire: DateTime<Utc>) -> Result<Step>
    where
        J: FnMut(DateTime<Utc>) -> F,
        F: Future<Output = Result<JobOutcome>>,
    {
        match job(fire).await {
            Ok(JobOutcome::Done) => {
                self.log.record_fire(fire)?;
                self.owed = None;
                Ok(Step::Sent { fire })
            }
            Ok(JobOutcome::HeldElsewhere { owner, expires_at }) => {
                let until = expires_at.max(self.clock.now()) + RECHECK_MARGIN;
                tracing::info!(%fire, %until, "scheduler: {owner} holds the send lease; looking again once it could have expired");
                self.owed = Some(fire);
                self.retry_at = Some(until);
                Ok(Step::HeldElsewhere { fire, until })
            }
            // An owed fire stays owed through a failure (the retry resumes it whatever its lateness); a fire this
            // instance started itself is retried while it is within `max_lateness`, as `catch_up` decides.
            Err(error) => {
                let retry_at = self.clock.now() + self.options.retry_after;
                tracing::error!(%fire, %retry_at, "scheduled send failed: {error:#}");
                self.retry_at = Some(retry_at);
                Ok(Step::Failed {
                    fire,
                    error: format!("{error:#}"),
                })
            }
        }
    }

    /// Steps until the expression has no more fire times. A store error is logged and retried after
    /// `retry_after`. Cancel it by dropping the future (e.g. `tokio::select!` with the shutdown signal).
    pub async fn run<J, F>(mut self, mut job: J) -> Result<()>
    where
        J: FnMut(DateTime<Utc>) -> F,
        F: Future<Output = Result<JobOutcome>>,
    {
        tracing::info!(
            schedule = self.schedule.expression(),
            timezone = %self.schedule.timezone(),
            "scheduler started"
        );
        loop {
            match self.step(&mut job).await {
                Ok(Step::Finished) => {
                    tracing::warn!("scheduler: the schedule has no more fire times; stopping");
                    return Ok(());
                }
                Ok(_) => {}
                Err(error) => {
                    let until = self.clock.now() + self.options.retry_after;
                    tracing::error!(%until, "scheduler: {error:#}; trying again later");
                    self.clock.sleep_until(until).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{JobOutcome, Scheduler};
    use crate::store::Store;

    /// `verdicts serve` spawns the loop on tokio, which needs a `Send` future; this fails to compile otherwise.
    #[allow(dead_code)]
    fn the_loop_can_be_spawned(scheduler: Scheduler<Store>) {
        fn spawnable<T: Send + 'static>(_: T) {}
        spawnable(scheduler.run(|_fire| async { Ok(JobOutcome::Done) }));
    }
}
