//! `verdicts subscribers restore`: undo bounces recorded by mistake (a relay fault taken for dead mailboxes),
//! naming the addresses or everyone bounced since a time. Prints each subscriber restored.

use anyhow::{Result, anyhow};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::email_address::SubscriberEmail;
use crate::exit::ExitStatus;
use crate::store::{Restore, Store};

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// Bounced addresses to confirm again.
    #[arg(required_unless_present = "bounced_since")]
    pub emails: Vec<String>,
    /// Every subscriber bounced at or after T: a date (from the start of that day in `timezone`) or an RFC 3339
    /// time.
    #[arg(long, value_name = "T", conflicts_with = "emails")]
    pub bounced_since: Option<String>,
}

pub fn run(
    store: &mut Store,
    args: &RestoreArgs,
    timezone: Tz,
    now: DateTime<Utc>,
) -> Result<ExitStatus> {
    let results = match &args.bounced_since {
        Some(since) => {
            let since = match parse_since(since, timezone) {
                Ok(since) => since,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitStatus::Invalid);
                }
            };
            let restored = store.restore_bounced_since(since, now)?;
            if restored.is_empty() {
                eprintln!(
                    "nobody bounced since {}; nothing was restored",
                    since.format("%Y-%m-%d %H:%M:%S UTC")
                );
            }
            restored
        }
        None => {
            // Every address is checked before anything changes.
            let mut emails = Vec::with_capacity(args.emails.len());
            for input in &args.emails {
                match SubscriberEmail::parse(input) {
                    Ok(email) => emails.push(email),
                    Err(e) => {
                        eprintln!("error: {e}; nothing was restored");
                        return Ok(ExitStatus::Invalid);
                    }
                }
            }
            store.restore_bounced(&emails, now)?
        }
    };
    let mut status = ExitStatus::Success;
    for result in results {
        match result {
            Restore::Restored { email, bounced_at } => println!(
                "restored {email} (bounced {}): confirmed again",
                bounced_at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            Restore::NotBounced { email, status: s } => {
                eprintln!("{email} is {s}, not bounced: left as it is");
            }
            Restore::NotFound { email } => {
                eprintln!("error: {email} is not on the list");
                status = ExitStatus::Failure;
            }
        }
    }
    Ok(status)
}

/// A date means the start of that day in `tz` (the opposite end from `--as-of`); a time is taken as written.
fn parse_since(value: &str, tz: Tz) -> Result<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Ok(time.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        anyhow!("--bounced-since {value:?} is neither a date (2026-11-22) nor an RFC 3339 time (2026-11-23T09:00:00Z)")
    })?;
    tz.from_local_datetime(&date.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| anyhow!("--bounced-since {value:?}: that time does not exist in {tz}"))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::parse_since;

    #[test]
    fn a_date_means_the_start_of_that_day_in_the_zone() {
        let t = parse_since("2026-11-22", chrono_tz::Europe::Berlin).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 21, 23, 0, 0).unwrap());
        assert!(parse_since("last week", chrono_tz::UTC).is_err());
    }
}
