//! `--as-of`: a date or an RFC 3339 time, turned into the instant the issue is assembled at.

use anyhow::{Result, anyhow};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A date means the last second of that day in `tz`; a time is taken as written.
pub fn parse_as_of(value: &str, tz: Tz) -> Result<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Ok(time.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        anyhow!("--as-of {value:?} is neither a date (2026-11-22) nor an RFC 3339 time (2026-11-23T09:00:00Z)")
    })?;
    let end_of_day = date.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"));
    tz.from_local_datetime(&end_of_day)
        .latest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| anyhow!("--as-of {value:?}: that time does not exist in {tz}"))
}

#[cfg(test)]
mod tests {
    use super::parse_as_of;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_date_means_the_end_of_that_day_in_the_zone() {
        let t = parse_as_of("2026-11-22", chrono_tz::Europe::Berlin).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 22, 22, 59, 59).unwrap());
    }

    #[test]
    fn an_rfc3339_time_is_taken_as_written() {
        let t = parse_as_of("2026-11-23T09:00:00+01:00", chrono_tz::UTC).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap());
    }

    #[test]
    fn anything_else_is_refused_with_the_value() {
        let err = parse_as_of("next monday", chrono_tz::UTC).unwrap_err();
        assert!(err.to_string().contains("next monday"));
    }
}
