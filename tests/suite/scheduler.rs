//! The scheduler loop on a fake clock and a real store file: one job run per fire, none again after a restart
//! within the same fire, a resumed send after a crash, a skip when back too late, retries after a failure.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use chrono::{DateTime, Duration, TimeZone, Utc};
use weekly_verdicts::clock::Clock;
use weekly_verdicts::schedule::{JobOutcome, Schedule, Scheduler, SchedulerOptions, Step};
use weekly_verdicts::store::Store;

/// The fires a job was called for.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<DateTime<Utc>>>>);

impl Calls {
    fn list(&self) -> Vec<DateTime<Utc>> {
        self.0.lock().unwrap().clone()
    }
}

fn utc(d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, mi, 0).unwrap()
}

fn options(max_lateness_minutes: i64) -> SchedulerOptions {
    SchedulerOptions {
        max_lateness: Duration::minutes(max_lateness_minutes),
        retry_after: Duration::minutes(5),
    }
}

fn scheduler(db: &Path, clock: &Clock, lateness: i64) -> Scheduler<Store> {
    let schedule = Schedule::parse("0 9 * * MON", chrono_tz::UTC).unwrap();
    Scheduler::new(
        schedule,
        options(lateness),
        clock.clone(),
        Store::open_sqlite(db).unwrap(),
    )
}

/// A job that records its fire and takes two minutes, or fails when `fail` says so.
fn job(
    calls: &Calls,
    clock: &Clock,
    fail: bool,
) -> impl FnMut(DateTime<Utc>) -> std::future::Ready<Result<JobOutcome>> {
    let (calls, clock) = (calls.clone(), clock.clone());
    move |fire| {
        calls.0.lock().unwrap().push(fire);
        clock.advance(Duration::minutes(2));
        std::future::ready(if fail {
            Err(anyhow::anyhow!("relay down"))
        } else {
            Ok(JobOutcome::Done)
        })
    }
}

#[tokio::test]
async fn the_scheduler_runs_the_job_once_per_fire() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("verdicts.db");
    let clock = Clock::manual(utc(18, 12, 0));
    let calls = Calls::default();
    let mut scheduler = scheduler(&db, &clock, 360);
    let mut job = job(&calls, &clock, false);
    while clock.now() < Utc.with_ymd_and_hms(2026, 12, 8, 0, 0, 0).unwrap() {
        scheduler.step(&mut job).await.unwrap();
    }
    let fires = [
        utc(23, 9, 0),
        utc(30, 9, 0),
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap(),
    ];
    assert_eq!(calls.list(), fires);
    assert_eq!(
        Store::open_sqlite(&db)
            .unwrap()
            .scheduler_last_fire()
            .unwrap(),
        Some(fires[2])
    );
}

#[tokio::test]
async fn a_restart_within_the_same_fire_does_not_run_the_job_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("verdicts.db");
    let clock = Clock::manual(utc(22, 12, 0));
    let calls = Calls::default();
    let mut first = scheduler(&db, &clock, 360);
    let mut send = job(&calls, &clock, false);
    assert_eq!(
        first.step(&mut send).await.unwrap(),
        Step::Slept {
            until: utc(23, 9, 0)
        }
    );
    assert_eq!(
        first.step(&mut send).await.unwrap(),
        Step::Sent {
            fire: utc(23, 9, 0)
        }
    );
    drop(first);

    clock.advance(Duration::minutes(8));
    let mut restarted = scheduler(&db, &clock, 360);
    assert_eq!(
        restarted.step(&mut send).await.unwrap(),
        Step::Slept {
            until: utc(30, 9, 0)
        }
    );
    assert_eq!(calls.list(), [utc(23, 9, 0)]);
}

#[tokio::test]
async fn a_send_cut_short_runs_again_after_a_restart_within_max_lateness() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("verdicts.db");
    let clock = Clock::manual(utc(22, 12, 0));
    let calls = Calls::default();
    let mut first = scheduler(&db, &clock, 360);
    let mut crashing = job(&calls, &clock, true);
    first.step(&mut crashing).await.unwrap();
    assert!(matches!(
        first.step(&mut crashing).await.unwrap(),
        Step::Failed { .. }
    ));
    drop(first);

    clock.advance(Duration::minutes(20));
    let mut restarted = scheduler(&db, &clock, 360);
    let mut send = job(&calls, &clock, false);
    assert_eq!(
        restarted.step(&mut send).await.unwrap(),
        Step::Sent {
            fire: utc(23, 9, 0)
        }
    );
    assert_eq!(calls.list(), [utc(23, 9, 0), utc(23, 9, 0)]);
}

#[tokio::test]
async fn a_first_start_owes_the_next_fire_even_across_a_restart_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("verdicts.db");
    let clock = Clock::manual(utc(22, 12, 0));
    let calls = Calls::default();
    let mut send = job(&calls, &clock, false);
    // Starts, then is down from Sunday noon until Monday 09:30.
    let mut first = scheduler(&db, &clock, 360);
    first.step(&mut send).await.unwrap();
    drop(first);
    clock.advance(utc(23, 9, 30) - clock.now());
    let mut restarted = scheduler(&db, &clock, 360);
    assert_eq!(
        restarted.step(&mut send).await.unwrap(),
        Step::Sent {
            fire: utc(23, 9, 0)
        }
    );
}

#[tokio::test]
async fn back_after_max_lateness_the_fire_is_skipped_and_the_next_one_awaited() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("verdicts.db");
    Store::open_sqlite(&db)
        .unwrap()
        .record_scheduler_fire(utc(16, 9, 0))
        .unwrap();
    let clock = Clock::manual(utc(23, 20, 0));
    let calls = Calls::default();
    let mut scheduler = scheduler(&db, &clock, 360);
    let mut send = job(&calls, &clock, false);
    let Step::Skipped { fire, reason } = scheduler.step(&mut send).await.unwrap() else {
        panic!("expected a skip");
    };
    assert_eq!(fire, utc(23, 9, 0));
    assert!(reason.contains("11h 0m"), "{reason}");
    assert_eq!(
        scheduler.step(&mut send).await.unwrap(),
        Step::Slept {
            until: utc(30, 9, 0)
        }
    );
    assert!(calls.list().is_empty());
}

#[tokio::test]
async fn a_failing_send_is_retried_until_the_fire_is_too_late() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("verdicts.db");
    Store::open_sqlite(&db)
        .unwrap()
        .record_scheduler_fire(utc(16, 9, 0))
        .unwrap();
    let clock = Clock::manual(utc(23, 9, 0));
    let calls = Calls::default();
    let mut scheduler = scheduler(&db, &clock, 20);
    let mut failing = job(&calls, &clock, true);
    let mut steps = Vec::new();
    loop {
        let step = scheduler.step(&mut failing).await.unwrap();
        if matches!(step, Step::Skipped { .. }) {
            break;
        }
        steps.push(step);
        assert!(steps.len() < 50, "the scheduler never gave up: {steps:?}");
    }
    // Tries at 09:00, then 5 minutes after each failure (each try takes 2): 09:07, 09:14; at 09:21 it is too late.
    assert_eq!(calls.list(), [utc(23, 9, 0); 3]);
}

fn verdicts_schedule(schedule: &str, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .arg("schedule")
        .args(args)
        .current_dir(dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_SCHEDULE", schedule)
        .env("VERDICTS_TIMEZONE", "America/New_York")
        .output()
        .unwrap()
}

#[test]
fn schedule_command_prints_the_next_fire_times_in_local_time_and_utc() {
    let output = verdicts_schedule("0 9 * * MON", &["--next", "3"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with("schedule   0 9 * * MON\ntime zone  America/New_York\n"),
        "{stdout}"
    );
    let fires: Vec<&str> = stdout.lines().filter(|l| l.starts_with("  Mon ")).collect();
    assert_eq!(fires.len(), 3, "{stdout}");
    for line in fires {
        assert!(
            line.contains(" 09:00 E") && line.ends_with(" UTC"),
            "{line}"
        );
    }
}

#[test]
fn schedule_command_with_a_bad_expression_exits_3_and_shows_it() {
    let output = verdicts_schedule("0 9 * * 8", &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("\"0 9 * * 8\""), "{stderr}");
}
