//! The scheduler loop that `verdicts serve` spawns: decide ([`catch_up`]), then sleep, skip or run the send job,
//! and remember the handled fire in the store so a restart does not run it again. The clock and the record are
//! parameters, so tests drive the loop one [`Step`] at a time on a pinned clock.

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
    /// The job failed; it runs again after `retry_after` unless the fire has become too late by then.
    Failed { fire: DateTime<Utc>, error: String },
    /// Slept until `until` (the next fire, or the retry time).
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
        }
    }

    /// Decides once and acts: sleeps, skips, or runs `job` for a due fire. The job is the send: it must be safe to
    /// run again for the same fire (a resumed send delivers only what is still pending), and should return `Ok`
    /// when another sender holds the lease, since that sender is handling the fire.
    pub async fn step<J, F>(&mut self, job: &mut J) -> Result<Step>
    where
        J: FnMut(DateTime<Utc>) -> F,
        F: Future<Output = Result<()>>,
    {
        if let Some(retry_at) = self.retry_at.take()
            && self.clock.now() < retry_at
        {
            self.clock.sleep_until(retry_at).await;
            return Ok(Step::Slept { until: retry_at });
        }
        let now = self.clock.now();
        let last = self.log.last_fire()?;
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
                match job(fire).await {
                    Ok(()) => {
                        self.log.record_fire(fire)?;
                        Ok(Step::Sent { fire })
                    }
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
        }
    }

    /// Steps until the expression has no more fire times. A store error is logged and retried after
    /// `retry_after`. Cancel it by dropping the future (e.g. `tokio::select!` with the shutdown signal).
    pub async fn run<J, F>(mut self, mut job: J) -> Result<()>
    where
        J: FnMut(DateTime<Utc>) -> F,
        F: Future<Output = Result<()>>,
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
    use super::Scheduler;
    use crate::store::Store;

    /// `verdicts serve` spawns the loop on tokio, which needs a `Send` future; this fails to compile otherwise.
    #[allow(dead_code)]
    fn the_loop_can_be_spawned(scheduler: Scheduler<Store>) {
        fn spawnable<T: Send + 'static>(_: T) {}
        spawnable(scheduler.run(|_fire| async { Ok(()) }));
    }
}
