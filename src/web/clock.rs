//! The server's clock: the wall clock in production, a hand-set one in tests (confirm links that expire, rate
//! limits that refill) without sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// Where handlers get `now` from.
#[derive(Debug, Clone)]
pub enum Clock {
    /// [`crate::clock::now`].
    System,
    /// A time that only moves when told to; clones share it.
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
            Clock::System => crate::clock::now(),
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
}
