//! `verdicts schedule`: the configured expression, its zone, and the next fire times in local time and UTC, so an
//! operator can check the schedule before trusting it.

use std::fmt::Write as _;

use anyhow::Result;
use chrono::{DateTime, Timelike, Utc};

use crate::config::Config;
use crate::exit::ExitStatus;
use crate::schedule::Schedule;

#[derive(Debug, clap::Args)]
pub struct ScheduleArgs {
    /// How many fire times to print.
    #[arg(long, default_value_t = 5)]
    pub next: usize,
}

pub fn run(config: &Config, args: ScheduleArgs) -> Result<ExitStatus> {
    let schedule = match Schedule::parse(&config.schedule, config.timezone) {
        Ok(schedule) => schedule,
        Err(error) => {
            eprintln!("error: {error:#}");
            return Ok(ExitStatus::Invalid);
        }
    };
    print!(
        "{}",
        describe(
            &schedule,
            config.max_lateness_minutes,
            crate::clock::now(),
            args.next
        )
    );
    Ok(ExitStatus::Success)
}

/// The report: a header, then one aligned line per fire, noting fires a daylight-saving change moved.
pub fn describe(
    schedule: &Schedule,
    max_lateness_minutes: u32,
    now: DateTime<Utc>,
    count: usize,
) -> String {
    let tz = schedule.timezone();
    let mut out = String::new();
    let _ = writeln!(out, "schedule   {}", schedule.expression());
    let _ = writeln!(out, "time zone  {tz}");
    let _ = writeln!(
        out,
        "lateness   a missed fire is still sent up to {max_lateness_minutes} minutes late"
    );
    let fires = schedule.upcoming_fires(now, count);
    if fires.is_empty() {
        let _ = writeln!(out, "\nno fire times after {}", now.format("%F %H:%M UTC"));
        return out;
    }
    let seconds = fires.iter().any(|fire| fire.at.second() != 0);
    let time = if seconds { "%H:%M:%S" } else { "%H:%M" };
    let rows: Vec<(String, String, Option<String>)> = fires
        .iter()
        .map(|fire| {
            let local = fire.local.format(&format!("%a %F {time} %Z")).to_string();
            let utc = fire.at.format(&format!("%F {time} UTC")).to_string();
            let note = fire.moved_by_clock_change().then(|| {
                format!(
                    "{} does not exist that day (clocks go forward)",
                    fire.nominal.format(time)
                )
            });
            (local, utc, note)
        })
        .collect();
    let local_width = rows
        .iter()
        .map(|(local, _, _)| local.len())
        .max()
        .unwrap_or(0);
    let local_heading = format!("local ({tz})");
    let local_width = local_width.max(local_heading.len());
    let _ = writeln!(
        out,
        "\nnext {} fire time{}:",
        rows.len(),
        plural(rows.len())
    );
    let _ = writeln!(out, "  {local_heading:<local_width$}   UTC");
    for (local, utc, note) in rows {
        let line = match note {
            Some(note) => format!("  {local:<local_width$}   {utc}   {note}"),
            None => format!("  {local:<local_width$}   {utc}"),
        };
        let _ = writeln!(out, "{line}");
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use chrono_tz::Europe::Berlin;

    use super::describe;
    use crate::schedule::Schedule;

    #[test]
    fn the_report_lists_local_and_utc_times_in_aligned_columns() {
        let schedule = Schedule::parse("30 2 * * SUN", Berlin).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 20, 0, 0, 0).unwrap();
        let report = describe(&schedule, 360, now, 3);
        assert_eq!(
            report,
            "schedule   30 2 * * SUN\n\
             time zone  Europe/Berlin\n\
             lateness   a missed fire is still sent up to 360 minutes late\n\
             \n\
             next 3 fire times:\n\
             \x20 local (Europe/Berlin)       UTC\n\
             \x20 Sun 2026-03-22 02:30 CET    2026-03-22 01:30 UTC\n\
             \x20 Sun 2026-03-29 03:00 CEST   2026-03-29 01:00 UTC   02:30 does not exist that day (clocks go forward)\n\
             \x20 Sun 2026-04-05 02:30 CEST   2026-04-05 00:30 UTC\n"
        );
    }

    #[test]
    fn a_schedule_without_more_fires_says_so() {
        let schedule = Schedule::parse("0 0 9 * * MON 2020", chrono_tz::UTC).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 20, 0, 0, 0).unwrap();
        assert!(
            describe(&schedule, 360, now, 3).contains("no fire times after 2026-03-20 00:00 UTC")
        );
    }
}
