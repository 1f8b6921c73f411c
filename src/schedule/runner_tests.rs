//! The scheduler when another instance holds the send lease, on a pinned clock with a fake job and a fire record
//! shared the way instances share the store's: the holder finishing, the holder dying (its fire resumed here even
//! past `max_lateness`), and a holder that keeps its lease.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

use super::{FireLog, JobOutcome, Schedule, Scheduler, SchedulerOptions, Step};
use crate::clock::Clock;

/// The store's `scheduler_last_fire`, one copy per test shared by every "instance".
#[derive(Clone, Default)]
struct SharedLog(Arc<Mutex<Option<DateTime<Utc>>>>);

impl FireLog for SharedLog {
    fn last_fire(&mut self) -> Result<Option<DateTime<Utc>>> {
        Ok(*self.0.lock().unwrap())
    }

    fn record_fire(&mut self, fire: DateTime<Utc>) -> Result<()> {
        let mut last = self.0.lock().unwrap();
        *last = Some(last.map_or(fire, |last| last.max(fire)));
        Ok(())
    }
}

/// A send job that answers from a script, one outcome per call, and remembers the fires it was called for.
#[derive(Clone, Default)]
struct Job {
    outcomes: Arc<Mutex<VecDeque<Result<JobOutcome, &'static str>>>>,
    calls: Arc<Mutex<Vec<DateTime<Utc>>>>,
}

impl Job {
    fn answering(outcomes: impl IntoIterator<Item = Result<JobOutcome, &'static str>>) -> Job {
        Job {
            outcomes: Arc::new(Mutex::new(outcomes.into_iter().collect())),
            ..Job::default()
        }
    }

    fn run(&self) -> impl FnMut(DateTime<Utc>) -> std::future::Ready<Result<JobOutcome>> + use<> {
        let job = self.clone();
        move |fire| {
            job.calls.lock().unwrap().push(fire);
            let outcome = job.outcomes.lock().unwrap().pop_front();
            let outcome = outcome.expect("the job was called more often than scripted");
            std::future::ready(outcome.map_err(anyhow::Error::msg))
        }
    }

    fn calls(&self) -> Vec<DateTime<Utc>> {
        self.calls.lock().unwrap().clone()
    }
}

fn utc(d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, mi, s).unwrap()
}

/// This week's fire of `0 9 * * MON`.
fn fire() -> DateTime<Utc> {
    utc(23, 9, 0, 0)
}

fn held_until(expires_at: DateTime<Utc>) -> JobOutcome {
    JobOutcome::HeldElsewhere {
        owner: "host-b:4242:0f0f0f0f".into(),
        expires_at,
    }
}

/// An instance that has handled last week's fire and wakes at this week's, its clock pinned at the fire.
fn instance(log: &SharedLog, max_lateness_minutes: i64) -> (Scheduler<SharedLog>, Clock) {
    let schedule = Schedule::parse("0 9 * * MON", Tz::UTC).unwrap();
    let options = SchedulerOptions {
        max_lateness: Duration::minutes(max_lateness_minutes),
        retry_after: Duration::minutes(5),
    };
    log.clone()
        .record_fire(fire() - Duration::weeks(1))
        .unwrap();
    let clock = Clock::manual(fire());
    (
        Scheduler::new(schedule, options, clock.clone(), log.clone()),
        clock,
    )
}

#[tokio::test]
async fn a_lease_held_elsewhere_leaves_the_fire_unrecorded_and_nothing_is_sent_again_once_the_holder_finished()
 {
    let log = SharedLog::default();
    let (mut scheduler, _clock) = instance(&log, 360);
    let expires_at = fire() + Duration::minutes(2);
    let job = Job::answering([Ok(held_until(expires_at))]);
    let mut run = job.run();

    let until = expires_at + Duration::seconds(1);
    assert_eq!(
        scheduler.step(&mut run).await.unwrap(),
        Step::HeldElsewhere {
            fire: fire(),
            until
        }
    );
    assert_eq!(
        log.clone().last_fire().unwrap(),
        Some(fire() - Duration::weeks(1))
    );
    // The holder finishes and records the fire in the shared store while this instance waits.
    log.clone().record_fire(fire()).unwrap();
    assert_eq!(
        scheduler.step(&mut run).await.unwrap(),
        Step::Slept { until }
    );
    assert_eq!(
        scheduler.step(&mut run).await.unwrap(),
        Step::Slept {
            until: fire() + Duration::weeks(1)
        }
    );
    assert_eq!(job.calls(), [fire()], "no second send");
}

#[tokio::test]
async fn a_holder_that_died_leaves_its_fire_to_this_instance_even_past_max_lateness() {
    let log = SharedLog::default();
    // Ten minutes of lateness allowed, a lease of two hours: by the time it expires the fire is far too late to
    // start, but the dead holder started it in time.
    let (mut scheduler, clock) = instance(&log, 10);
    let expires_at = fire() + Duration::hours(2);
    let job = Job::answering([Ok(held_until(expires_at)), Ok(JobOutcome::Done)]);
    let mut run = job.run();

    assert!(matches!(
        scheduler.step(&mut run).await.unwrap(),
        Step::HeldElsewhere { .. }
    ));
    scheduler.step(&mut run).await.unwrap();
    assert_eq!(clock.now(), expires_at + Duration::seconds(1));
    assert_eq!(
        scheduler.step(&mut run).await.unwrap(),
        Step::Sent { fire: fire() }
    );
    assert_eq!(job.calls(), [fire(), fire()]);
    assert_eq!(log.clone().last_fire().unwrap(), Some(fire()));
    assert_eq!(
        scheduler.step(&mut run).await.unwrap(),
        Step::Slept {
            until: fire() + Duration::weeks(1)
        }
    );
}

#[tokio::test]
async fn a_failed_resume_of_a_dead_holders_fire_is_retried_however_late_it_is() {
    let log = SharedLog::default();
    let (mut scheduler, _clock) = instance(&log, 10);
    let expires_at = fire() + Duration::hours(2);
    let job = Job::answering([
        Ok(held_until(expires_at)),
        Err("relay down"),
        Ok(JobOutcome::Done),
    ]);
    let mut run = job.run();
    let mut steps = Vec::new();
    for _ in 0..5 {
        steps.push(scheduler.step(&mut run).await.unwrap());
    }
    assert!(
        matches!(
            steps.as_slice(),
            [
                Step::HeldElsewhere { .. },
                Step::Slept { .. },
                Step::Failed { .. },
                Step::Slept { .. },
                Step::Sent { .. }
            ]
        ),
        "{steps:?}"
    );
    assert_eq!(job.calls(), [fire(), fire(), fire()]);
    assert_eq!(log.clone().last_fire().unwrap(), Some(fire()));
}

#[tokio::test]
async fn a_lease_renewed_by_a_live_holder_keeps_this_instance_waiting_without_recording_the_fire() {
    let log = SharedLog::default();
    let (mut scheduler, clock) = instance(&log, 10);
    let renewals: Vec<DateTime<Utc>> = (1..=4).map(|n| fire() + Duration::minutes(2 * n)).collect();
    let job = Job::answering(renewals.iter().map(|&at| Ok(held_until(at))));
    let mut run = job.run();

    for &expires_at in &renewals {
        let until = expires_at + Duration::seconds(1);
        assert_eq!(
            scheduler.step(&mut run).await.unwrap(),
            Step::HeldElsewhere {
                fire: fire(),
                until
            }
        );
        assert_eq!(
            scheduler.step(&mut run).await.unwrap(),
            Step::Slept { until }
        );
        assert_eq!(clock.now(), until);
        assert_eq!(
            log.clone().last_fire().unwrap(),
            Some(fire() - Duration::weeks(1))
        );
    }
    assert_eq!(
        job.calls(),
        vec![fire(); 4],
        "asked again after each expiry"
    );
}

#[tokio::test]
async fn a_lease_that_had_already_expired_is_looked_at_again_a_second_from_now() {
    let log = SharedLog::default();
    let (mut scheduler, clock) = instance(&log, 360);
    let job = Job::answering([Ok(held_until(fire() - Duration::minutes(1)))]);
    let mut run = job.run();
    assert_eq!(
        scheduler.step(&mut run).await.unwrap(),
        Step::HeldElsewhere {
            fire: fire(),
            until: clock.now() + Duration::seconds(1)
        }
    );
}
