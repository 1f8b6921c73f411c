//! When the weekly issue goes out: a cron expression read in the configured time zone ([`Schedule`]), what to do
//! after being down across a fire time ([`catch_up`]), and the loop `verdicts serve` runs ([`Scheduler`]).
//!
//! Fire times are computed on the local wall clock and only then placed on the time line, so a Monday 09:00 issue
//! stays at 09:00 local time across daylight-saving changes. Two wall-clock times need a rule:
//! - a time skipped when the clocks go forward (02:30 in Europe/Berlin on 29 March 2026) fires at the moment the
//!   clocks jump (03:00 local): the issue is late by the gap rather than lost for a week, as cronie does;
//! - a time that happens twice when the clocks go back (02:30 on 25 October 2026) fires once, the first time.

mod catch_up;
mod crontab;
pub mod job;
mod runner;
#[cfg(test)]
mod runner_tests;
#[cfg(test)]
mod tests;

use std::str::FromStr;

use anyhow::{Result, anyhow};
use chrono::offset::LocalResult;
use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

pub use catch_up::{Decision, catch_up};
pub use runner::{FireLog, JobOutcome, Scheduler, SchedulerOptions, Step};

/// Upper bound on the wall-clock fire times examined for one answer. Only a per-second schedule inside a repeated
/// hour needs more than a handful.
const MAX_STEPS: usize = 100_000;

/// A parsed cron expression and the zone it is read in.
#[derive(Debug, Clone)]
pub struct Schedule {
    expression: String,
    timezone: Tz,
    /// More than one when crontab's "day-of-month or day-of-week" rule applies; their fire times are merged.
    parts: Vec<cron::Schedule>,
}

/// One fire time: when it happens, and the wall-clock time the expression named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fire {
    pub at: DateTime<Utc>,
    pub local: DateTime<Tz>,
    /// The local time the expression asked for; differs from `local` when it did not exist that day.
    pub nominal: NaiveDateTime,
}

impl Fire {
    /// True when a daylight-saving change moved this fire off the wall-clock time the expression names.
    pub fn moved_by_clock_change(&self) -> bool {
        self.local.naive_local() != self.nominal
    }
}

impl Schedule {
    /// Parses a 5-field crontab expression (`0 9 * * MON`; day-of-week 0 and 7 are Sunday), a seconds-first 6/7-field
    /// expression of the `cron` crate (`0 0 9 * * MON`, day names only) or a shorthand (`@weekly`), read in `tz`.
    pub fn parse(expression: &str, timezone: Tz) -> Result<Schedule> {
        let refuse = |reason: String| {
            anyhow!("schedule = {expression:?} is not a usable cron expression: {reason}")
        };
        let parts = crontab::translate(expression)
            .map_err(refuse)?
            .iter()
            .map(|part| cron::Schedule::from_str(part).map_err(|e| refuse(e.to_string())))
            .collect::<Result<Vec<_>>>()?;
        let schedule = Schedule {
            expression: expression.trim().to_string(),
            timezone,
            parts,
        };
        let epoch = DateTime::<Utc>::UNIX_EPOCH.naive_utc() - Duration::seconds(1);
        if schedule.nominal_after(epoch).is_none() {
            return Err(refuse("it never fires".to_string()));
        }
        Ok(schedule)
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    /// The first fire time strictly after `t`; `None` once the expression has no more (a past year).
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.next_fire_after(t).map(|fire| fire.at)
    }

    /// The next `n` fire times strictly after `after`.
    pub fn upcoming(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        self.upcoming_fires(after, n)
            .into_iter()
            .map(|fire| fire.at)
            .collect()
    }

    /// Like [`Schedule::upcoming`], with the local time and whether a clock change moved each fire.
    pub fn upcoming_fires(&self, after: DateTime<Utc>, n: usize) -> Vec<Fire> {
        let mut fires = Vec::with_capacity(n);
        let mut cursor = after;
        while fires.len() < n {
            let Some(fire) = self.next_fire_after(cursor) else {
                break;
            };
            cursor = fire.at;
            fires.push(fire);
        }
        fires
    }

    /// The first fire strictly after `t`.
    pub fn next_fire_after(&self, t: DateTime<Utc>) -> Option<Fire> {
        // Every wall-clock time at or before `t`'s own fires at or before `t`, so the search starts there; inside a
        // repeated hour a few later wall-clock times already fired during the first pass and are stepped over.
        let mut cursor = t.with_timezone(&self.timezone).naive_local();
        for _ in 0..MAX_STEPS {
            let nominal = self.nominal_after(cursor)?;
            let fire = self.fire(nominal);
            if fire.at > t {
                return Some(fire);
            }
            cursor = nominal;
        }
        None
    }

    /// The last fire at or before `t`.
    pub fn latest_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = t.with_timezone(&self.timezone).naive_local();
        // During a repeated hour, wall-clock times later than `t`'s own may have fired already (in the first pass):
        // start from `t` read with the offset of a day ago, which is the later reading after clocks went back.
        let offset_before = self
            .timezone
            .offset_from_utc_datetime(&(t - Duration::hours(26)).naive_utc())
            .fix();
        let earlier_reading = t.naive_utc() + offset_before;
        // The crate's reverse search is strictly before its argument; one second more makes it "at or before".
        let mut cursor = local.max(earlier_reading) + Duration::seconds(1);
        for _ in 0..MAX_STEPS {
            let nominal = self.nominal_before(cursor)?;
            let fire = self.fire(nominal);
            if fire.at <= t {
                return Some(fire.at);
            }
            cursor = nominal;
        }
        None
    }

    /// How many fire times fall in `(after, until)`, counting at most `cap`.
    pub fn count_between(&self, after: DateTime<Utc>, until: DateTime<Utc>, cap: usize) -> usize {
        let mut count = 0;
        let mut cursor = after;
        while count < cap {
            match self.next_after(cursor) {
                Some(at) if at < until => {
                    count += 1;
                    cursor = at;
                }
                _ => break,
            }
        }
        count
    }

    /// The earliest wall-clock time after `naive` that the expression names.
    fn nominal_after(&self, naive: NaiveDateTime) -> Option<NaiveDateTime> {
        let as_utc = naive.and_utc();
        self.parts
            .iter()
            .filter_map(|part| part.after(&as_utc).next())
            .map(|t| t.naive_utc())
            .min()
    }

    /// The latest wall-clock time strictly before `naive` that the expression names.
    fn nominal_before(&self, naive: NaiveDateTime) -> Option<NaiveDateTime> {
        let as_utc = naive.and_utc();
        self.parts
            .iter()
            .filter_map(|part| part.after(&as_utc).next_back())
            .map(|t| t.naive_utc())
            .max()
    }

    /// Places a wall-clock time on the time line (see the module docs for the two daylight-saving rules).
    fn fire(&self, nominal: NaiveDateTime) -> Fire {
        let local = match self.timezone.from_local_datetime(&nominal) {
            LocalResult::Single(local) | LocalResult::Ambiguous(local, _) => local,
            LocalResult::None => self.end_of_gap(nominal),
        };
        Fire {
            at: local.with_timezone(&Utc),
            local,
            nominal,
        }
    }

    /// The first existing local time after a wall-clock time the clocks jumped over. Offsets change on whole
    /// minutes, so stepping by minutes from the gap's minute finds the instant of the jump.
    fn end_of_gap(&self, nominal: NaiveDateTime) -> DateTime<Tz> {
        let minute = nominal
            .with_second(0)
            .and_then(|n| n.with_nanosecond(0))
            .unwrap_or(nominal);
        (1..=48 * 60)
            .find_map(|m| {
                self.timezone
                    .from_local_datetime(&(minute + Duration::minutes(m)))
                    .earliest()
            })
            .unwrap_or_else(|| self.timezone.from_utc_datetime(&nominal))
    }
}
