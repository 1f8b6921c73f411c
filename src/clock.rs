//! The program's one clock. [`now`] is the only place that reads the wall clock (`clippy.toml` forbids `Utc::now`
//! elsewhere); library code takes `now` as a parameter, and whatever needs to read the time itself (the HTTP
//! server, the scheduler, a delivery run) holds a [`Clock`]: the wall clock in production, a hand-set one in tests
//! (confirm links that expire, rate limits that refill, a week of scheduler fires) that never sleeps.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// How long a real sleep lasts at most before the wall clock is read again, so a suspended laptop or a clock that
/// was set does not leave a sleeper asleep past its time.
const LONGEST_NAP: std::time::Duration = std::time::Duration::from_secs(60);

/// The current time.
#[allow(clippy::disallowed_methods)]
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Where the time comes from.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// [`now`] and tokio's timer.
    #[default]
    System,
    /// A time that only moves when told to, or when something sleeps on it (it wakes at once); clones share it.
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    pub fn system() -> Clock {
        Clock::System
    }

    /// A clock pinned at `start`.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(start)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => now(),
            Clock::Manual(time) => *time.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved.
    pub fn advance(&self, by: Duration) {
        match self {
            Clock::System => panic!("the system clock cannot be advanced"),
            Clock::Manual(time) => *time.lock().unwrap_or_else(|p| p.into_inner()) += by,
        }
    }

    /// Returns at or after `until`: a real sleep on the system clock, a jump forward on a manual one.
    pub async fn sleep_until(&self, until: DateTime<Utc>) {
        match self {
            Clock::System => {
                while let Ok(left) = (until - now()).to_std() {
                    if left.is_zero() {
                        break;
                    }
                    tokio::time::sleep(left.min(LONGEST_NAP)).await;
                }
            }
            Clock::Manual(time) => {
                let mut time = time.lock().unwrap_or_else(|p| p.into_inner());
                *time = (*time).max(until);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::Clock;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let start = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let clock = Clock::manual(start);
        let shared = clock.clone();
        assert_eq!(clock.now(), start);
        shared.advance(Duration::minutes(10));
        assert_eq!(clock.now(), start + Duration::minutes(10));
    }

    #[tokio::test]
    async fn sleeping_on_a_manual_clock_moves_it_forward_never_back() {
        let start = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let clock = Clock::manual(start);
        clock.sleep_until(start + Duration::hours(1)).await;
        assert_eq!(clock.now(), start + Duration::hours(1));
        clock.sleep_until(start).await;
        assert_eq!(clock.now(), start + Duration::hours(1));
    }
}
