//! The global rate limit: messages per second across all workers, for relays with quotas. Each message takes
//! the next free slot on one shared timeline, so the rate holds however many connections are open.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How far ahead of its slot a message may go.
const SLACK: Duration = Duration::from_millis(10);

pub struct Pace {
    interval: Option<Duration>,
    next: Mutex<Option<Instant>>,
}

impl Pace {
    pub fn unlimited() -> Pace {
        Pace {
            interval: None,
            next: Mutex::new(None),
        }
    }

    /// At most `per_second` messages a second; 0 means no limit.
    pub fn per_second(per_second: f64) -> Pace {
        let interval = (per_second > 0.0).then(|| Duration::from_secs_f64(1.0 / per_second));
        Pace {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Waits for this message's slot.
    pub async fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let now = Instant::now();
        let slot = self.take_slot(interval, now);
        // Timers tick in milliseconds: a slot less than a few away goes now, or a fast limit could not be met.
        // The timeline still advances by one interval per message, so the rate holds on average.
        if slot > now + SLACK {
            tokio::time::sleep_until(slot).await;
        }
    }

    /// The first free slot at or after `now`; the one after it is `interval` later.
    fn take_slot(&self, interval: Duration, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let slot = next.map_or(now, |n| n.max(now));
        *next = Some(slot + interval);
        slot
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::Pace;

    #[test]
    fn slots_are_spaced_by_the_interval_and_never_in_the_past() {
        let pace = Pace::per_second(10.0);
        let step = Duration::from_millis(100);
        let start = Instant::now();
        let slots: Vec<Instant> = (0..3).map(|_| pace.take_slot(step, start)).collect();
        assert_eq!(slots, [start, start + step, start + step * 2]);
        let late = start + Duration::from_secs(5);
        assert_eq!(pace.take_slot(step, late), late);
    }
}
