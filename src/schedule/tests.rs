//! Fire times on a pinned clock: both expression forms, daylight-saving changes in Europe and America, refusals,
//! and every catch-up case.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use chrono_tz::Europe::Berlin;
use chrono_tz::Tz;

use super::{Decision, Schedule, catch_up};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn schedule(expr: &str, tz: Tz) -> Schedule {
    Schedule::parse(expr, tz).unwrap()
}

/// Local wall-clock readings of the next `n` fires, e.g. "Mon 2026-03-30 09:00 CEST".
fn local_fires(expr: &str, tz: Tz, after: DateTime<Utc>, n: usize) -> Vec<String> {
    schedule(expr, tz)
        .upcoming(after, n)
        .iter()
        .map(|t| t.with_timezone(&tz).format("%a %F %H:%M %Z").to_string())
        .collect()
}

#[test]
fn the_five_field_crontab_form_fires_weekly_on_monday_at_nine() {
    let fires = schedule("0 9 * * MON", Tz::UTC).upcoming(utc(2026, 11, 18, 12, 0), 3);
    assert_eq!(
        fires,
        [
            utc(2026, 11, 23, 9, 0),
            utc(2026, 11, 30, 9, 0),
            utc(2026, 12, 7, 9, 0)
        ]
    );
}

#[test]
fn the_six_field_form_starts_with_seconds() {
    let fires = schedule("30 0 9 * * MON", Tz::UTC).upcoming(utc(2026, 11, 18, 12, 0), 1);
    assert_eq!(fires, [utc(2026, 11, 23, 9, 0) + Duration::seconds(30)]);
    let seven = schedule("0 0 9 * * MON 2027", Tz::UTC).upcoming(utc(2026, 11, 18, 12, 0), 1);
    assert_eq!(seven, [utc(2027, 1, 4, 9, 0)]);
}

#[test]
fn crontab_day_numbers_mean_what_crontab_means_not_what_the_crate_means() {
    let after = utc(2026, 11, 18, 12, 0);
    let weekday = |expr: &str| schedule(expr, Tz::UTC).next_after(after).unwrap().weekday();
    assert_eq!(weekday("0 9 * * 1"), Weekday::Mon);
    assert_eq!(weekday("0 9 * * 0"), Weekday::Sun);
    assert_eq!(weekday("0 9 * * 7"), Weekday::Sun);
    assert_eq!(weekday("0 9 * * 6"), Weekday::Sat);
    assert_eq!(weekday("0 9 * * mon"), Weekday::Mon);
    assert_eq!(weekday("0 0 9 * * MON"), Weekday::Mon);
}

#[test]
fn both_day_fields_restricted_fire_when_either_matches() {
    // 1 December 2026 is a Tuesday: the 1st and every Monday.
    let fires = schedule("0 9 1 * MON", Tz::UTC).upcoming(utc(2026, 11, 24, 0, 0), 3);
    assert_eq!(
        fires,
        [
            utc(2026, 11, 30, 9, 0),
            utc(2026, 12, 1, 9, 0),
            utc(2026, 12, 7, 9, 0)
        ]
    );
}

#[test]
fn a_weekly_fire_stays_at_nine_local_across_both_changes_in_berlin() {
    // Clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October 2026.
    assert_eq!(
        local_fires("0 9 * * SUN", Berlin, utc(2026, 3, 20, 0, 0), 3),
        [
            "Sun 2026-03-22 09:00 CET",
            "Sun 2026-03-29 09:00 CEST",
            "Sun 2026-04-05 09:00 CEST"
        ]
    );
    let spring = schedule("0 9 * * MON", Berlin).upcoming(utc(2026, 3, 20, 0, 0), 2);
    assert_eq!(spring, [utc(2026, 3, 23, 8, 0), utc(2026, 3, 30, 7, 0)]);
    let autumn = schedule("0 9 * * MON", Berlin).upcoming(utc(2026, 10, 15, 0, 0), 2);
    assert_eq!(autumn, [utc(2026, 10, 19, 7, 0), utc(2026, 10, 26, 8, 0)]);
}

#[test]
fn a_weekly_fire_stays_at_nine_local_across_both_changes_in_new_york() {
    // Clocks go forward on Sunday 8 March 2026 and back on Sunday 1 November 2026.
    let spring = schedule("0 9 * * MON", New_York).upcoming(utc(2026, 2, 27, 0, 0), 2);
    assert_eq!(spring, [utc(2026, 3, 2, 14, 0), utc(2026, 3, 9, 13, 0)]);
    let autumn = schedule("0 9 * * MON", New_York).upcoming(utc(2026, 10, 23, 0, 0), 2);
    assert_eq!(autumn, [utc(2026, 10, 26, 13, 0), utc(2026, 11, 2, 14, 0)]);
    assert_eq!(
        local_fires("0 9 * * SUN", New_York, utc(2026, 10, 24, 0, 0), 2),
        ["Sun 2026-10-25 09:00 EDT", "Sun 2026-11-01 09:00 EST"]
    );
}

#[test]
fn a_fire_time_the_clocks_skip_in_spring_fires_when_they_jump() {
    // 02:30 does not exist on 29 March 2026 in Berlin (02:00 CET becomes 03:00 CEST).
    let fires = schedule("30 2 * * SUN", Berlin).upcoming_fires(utc(2026, 3, 20, 0, 0), 3);
    let at: Vec<_> = fires.iter().map(|fire| fire.at).collect();
    assert_eq!(
        at,
        [
            utc(2026, 3, 22, 1, 30),
            utc(2026, 3, 29, 1, 0),
            utc(2026, 4, 5, 0, 30)
        ]
    );
    assert_eq!(fires[1].local.format("%H:%M %Z").to_string(), "03:00 CEST");
    assert!(fires[1].moved_by_clock_change());
    assert!(!fires[0].moved_by_clock_change() && !fires[2].moved_by_clock_change());
    // New York: 02:30 on 8 March 2026 fires at 03:00 EDT.
    let new_york = schedule("30 2 * * SUN", New_York).upcoming(utc(2026, 3, 7, 0, 0), 1);
    assert_eq!(new_york, [utc(2026, 3, 8, 7, 0)]);
}

#[test]
fn fire_times_inside_the_spring_gap_collapse_into_one_fire() {
    // Hourly: 02:00 does not exist and 03:00 is the same instant as the jump; one fire, not two.
    let fires = schedule("0 * * * *", Berlin).upcoming(utc(2026, 3, 28, 23, 30), 3);
    assert_eq!(
        fires,
        [
            utc(2026, 3, 29, 0, 0),
            utc(2026, 3, 29, 1, 0),
            utc(2026, 3, 29, 2, 0)
        ]
    );
}

#[test]
fn a_fire_time_the_clocks_repeat_in_autumn_fires_once_the_first_time() {
    // 02:30 happens twice on 25 October 2026 in Berlin: 00:30 UTC (CEST) and 01:30 UTC (CET).
    let daily = schedule("30 2 * * *", Berlin);
    assert_eq!(
        daily.upcoming(utc(2026, 10, 24, 1, 0), 2),
        [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
    );
    // Restarted during the second pass (02:10 CET): the 02:30 of that day already fired.
    let second_pass = utc(2026, 10, 25, 1, 10);
    assert_eq!(
        daily.next_after(second_pass),
        Some(utc(2026, 10, 26, 1, 30))
    );
    assert_eq!(
        daily.latest_at_or_before(second_pass),
        Some(utc(2026, 10, 25, 0, 30))
    );
    // New York: 01:30 happens twice on 1 November 2026.
    let new_york = schedule("30 1 * * *", New_York).upcoming(utc(2026, 10, 31, 12, 0), 2);
    assert_eq!(new_york, [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]);
}

#[test]
fn the_latest_fire_includes_one_exactly_at_the_given_time() {
    let weekly = schedule("0 9 * * MON", Tz::UTC);
    let fire = utc(2026, 11, 23, 9, 0);
    assert_eq!(weekly.latest_at_or_before(fire), Some(fire));
    assert_eq!(
        weekly.latest_at_or_before(fire - Duration::milliseconds(1)),
        Some(utc(2026, 11, 16, 9, 0))
    );
    assert_eq!(weekly.next_after(fire), Some(utc(2026, 11, 30, 9, 0)));
}

#[test]
fn a_bad_expression_is_refused_with_a_message_that_shows_it() {
    for (expr, reason) in [
        ("0 9 * *", "4 fields"),
        ("61 9 * * MON", ""),
        ("0 9 * * FUN", "FUN"),
        ("0 9 * * 8", "0-7"),
        ("0 0 9 * * 2", "day names"),
        ("every monday", "2 fields"),
        ("0 0 9 31 2 *", "never fires"),
    ] {
        let message = format!("{:#}", Schedule::parse(expr, Berlin).unwrap_err());
        assert!(message.contains(&format!("{expr:?}")), "{expr}: {message}");
        assert!(message.contains(reason), "{expr}: {message}");
    }
}

fn six_hours() -> Duration {
    Duration::minutes(360)
}

#[test]
fn down_across_a_fire_and_back_within_max_lateness_sends_once() {
    let weekly = schedule("0 9 * * MON", Tz::UTC);
    let fire = utc(2026, 11, 23, 9, 0);
    let back = utc(2026, 11, 23, 14, 30);
    let decision = catch_up(&weekly, Some(utc(2026, 11, 16, 9, 0)), back, six_hours());
    assert_eq!(decision, Decision::SendNow { fire, missed: 0 });
    // Once handled, the same fire is not owed again.
    let after = catch_up(
        &weekly,
        Some(fire),
        back + Duration::minutes(1),
        six_hours(),
    );
    assert_eq!(after, Decision::SleepUntil(utc(2026, 11, 30, 9, 0)));
    // Exactly max_lateness late still sends.
    let edge = catch_up(
        &weekly,
        Some(utc(2026, 11, 16, 9, 0)),
        fire + six_hours(),
        six_hours(),
    );
    assert_eq!(edge, Decision::SendNow { fire, missed: 0 });
}

#[test]
fn back_after_max_lateness_skips_with_a_log_line() {
    let weekly = schedule("0 9 * * MON", Berlin);
    let fire = utc(2026, 11, 23, 8, 0);
    let back = fire + Duration::minutes(7 * 60 + 12);
    let Decision::Skip {
        fire: skipped,
        reason,
    } = catch_up(&weekly, Some(utc(2026, 11, 16, 8, 0)), back, six_hours())
    else {
        panic!("expected a skip");
    };
    assert_eq!(skipped, fire);
    assert!(reason.contains("Mon 2026-11-23 09:00 CET"), "{reason}");
    assert!(reason.contains("7h 12m"), "{reason}");
    assert!(reason.contains("max_lateness_minutes = 360"), "{reason}");
    assert!(reason.contains("verdicts send"), "{reason}");
    assert_eq!(
        catch_up(&weekly, Some(fire), back, six_hours()),
        Decision::SleepUntil(utc(2026, 11, 30, 8, 0))
    );
}

#[test]
fn two_missed_fires_give_one_send_for_the_latest_not_two() {
    let weekly = schedule("0 9 * * MON", Tz::UTC);
    let latest = utc(2026, 11, 23, 9, 0);
    let decision = catch_up(
        &weekly,
        Some(utc(2026, 11, 9, 9, 0)),
        latest + Duration::minutes(5),
        six_hours(),
    );
    assert_eq!(
        decision,
        Decision::SendNow {
            fire: latest,
            missed: 1
        }
    );
    let next = catch_up(
        &weekly,
        Some(latest),
        latest + Duration::minutes(6),
        six_hours(),
    );
    assert_eq!(next, Decision::SleepUntil(utc(2026, 11, 30, 9, 0)));
    // Too late for the latest as well: one skip that mentions the other.
    let Decision::Skip { fire, reason } = catch_up(
        &weekly,
        Some(utc(2026, 11, 9, 9, 0)),
        utc(2026, 11, 25, 0, 0),
        six_hours(),
    ) else {
        panic!("expected a skip");
    };
    assert_eq!(fire, latest);
    assert!(reason.contains("1 earlier fire was missed"), "{reason}");
}

#[test]
fn before_the_fire_the_scheduler_sleeps_until_it() {
    let weekly = schedule("0 9 * * MON", Tz::UTC);
    let decision = catch_up(
        &weekly,
        Some(utc(2026, 11, 16, 9, 0)),
        utc(2026, 11, 20, 0, 0),
        six_hours(),
    );
    assert_eq!(decision, Decision::SleepUntil(utc(2026, 11, 23, 9, 0)));
}

#[test]
fn without_a_record_nothing_before_now_is_owed() {
    let weekly = schedule("0 9 * * MON", Tz::UTC);
    let decision = catch_up(&weekly, None, utc(2026, 11, 23, 9, 5), six_hours());
    assert_eq!(decision, Decision::SleepUntil(utc(2026, 11, 30, 9, 0)));
}

#[test]
fn a_clock_that_stepped_back_does_not_bring_a_handled_fire_round_again() {
    let weekly = schedule("0 9 * * MON", Tz::UTC);
    let fire = utc(2026, 11, 23, 9, 0);
    let decision = catch_up(
        &weekly,
        Some(fire),
        fire - Duration::minutes(1),
        six_hours(),
    );
    assert_eq!(decision, Decision::SleepUntil(utc(2026, 11, 30, 9, 0)));
}

#[test]
fn a_schedule_for_a_past_year_is_finished() {
    let past = schedule("0 0 9 * * MON 2020", Tz::UTC);
    assert_eq!(
        catch_up(&past, None, utc(2026, 11, 23, 9, 0), six_hours()),
        Decision::Finished
    );
}
