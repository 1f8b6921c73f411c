//! What the scheduler does next, given the last fire it handled and the time: a pure function, so every case of
//! "down across a fire time" is a plain test.

use chrono::{DateTime, Duration, Utc};

use super::Schedule;

/// Earlier missed fires are counted up to this many, for the log line only.
const MISSED_COUNT_CAP: usize = 1000;

/// The scheduler's next move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run the send for `fire` now. `missed` earlier fires were not handled either; this one send stands in for
    /// them all (an issue holds everything new since the previous one, so nothing is lost).
    SendNow { fire: DateTime<Utc>, missed: usize },
    /// `fire` was missed by more than the allowed lateness: do not send it; `reason` is the log line.
    Skip { fire: DateTime<Utc>, reason: String },
    /// Nothing is owed: wait for the next fire.
    SleepUntil(DateTime<Utc>),
    /// The expression has no more fire times (it names a past year).
    Finished,
}

/// Decides what to do at `now`, when every fire up to `last_fire_handled` has been dealt with (sent or skipped).
///
/// `None` means there is no record yet: nothing before `now` is owed, so a scheduler started for the first time on
/// a Monday afternoon does not send that morning's issue by surprise (`verdicts send` does that, by hand).
pub fn catch_up(
    schedule: &Schedule,
    last_fire_handled: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    max_lateness: Duration,
) -> Decision {
    let handled = last_fire_handled.unwrap_or(now);
    let owed = schedule
        .latest_at_or_before(now)
        .filter(|&fire| fire > handled);
    let Some(fire) = owed else {
        // A clock that stepped back must not bring a handled fire round again: wait from the later of the two.
        return match schedule.next_after(handled.max(now)) {
            Some(next) => Decision::SleepUntil(next),
            None => Decision::Finished,
        };
    };
    let missed = schedule.count_between(handled, fire, MISSED_COUNT_CAP);
    let late = now - fire;
    if late <= max_lateness {
        return Decision::SendNow { fire, missed };
    }
    let tz = schedule.timezone();
    let mut reason = format!(
        "not sending the issue scheduled for {} ({} UTC): the scheduler is back {} after it, later than \
         max_lateness_minutes = {}; run `verdicts send` to send it by hand",
        fire.with_timezone(&tz).format("%a %Y-%m-%d %H:%M %Z"),
        fire.format("%Y-%m-%d %H:%M"),
        human(late),
        max_lateness.num_minutes()
    );
    if missed > 0 {
        reason.push_str(&format!(
            " ({missed} earlier fire{} missed as well)",
            if missed == 1 { " was" } else { "s were" }
        ));
    }
    Decision::Skip { fire, reason }
}

/// "2d 3h 5m" for a lateness.
fn human(duration: Duration) -> String {
    let minutes = duration.num_minutes();
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{minutes}m"),
        (0, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h {minutes}m"),
    }
}
