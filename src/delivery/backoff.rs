//! When to try a deferred message again: exponential backoff with jitter, so a throttling relay sees retries
//! spread out rather than in waves. Pure: the jitter is a parameter.

use std::time::Duration;

use crate::config::Config;

/// How temporary failures are retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per recipient before a temporary failure becomes final (the configured `max_attempts`).
    pub max_attempts: u32,
    /// Delay after the first failure; doubled after each further one.
    pub base: Duration,
    /// Longest delay between two attempts.
    pub cap: Duration,
    /// A run waits for deferred recipients whose next attempt falls within this much time, and retries them
    /// itself; later ones are left to the next run.
    pub wait_in_run: Duration,
}

impl RetryPolicy {
    /// The configured schedule: `retry_base_seconds` doubling up to `retry_max_seconds` (Postfix's 300 s and
    /// 4000 s by default); a run waits up to `retry_wait_in_run_seconds` for retries.
    pub fn from_config(config: &Config) -> RetryPolicy {
        RetryPolicy {
            max_attempts: config.max_attempts,
            base: Duration::from_secs(config.retry_base_seconds),
            cap: Duration::from_secs(config.retry_max_seconds),
            wait_in_run: Duration::from_secs(config.retry_wait_in_run_seconds),
        }
    }

    /// The wait before attempt `failures + 1`, after `failures` (≥ 1) temporary failures. `jitter` in [0, 1)
    /// picks a point in the upper half of the exponential step ("equal jitter").
    pub fn delay(&self, failures: u32, jitter: f64) -> Duration {
        let exponent = failures.saturating_sub(1).min(30);
        let step = self.base.saturating_mul(1u32 << exponent).min(self.cap);
        step.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
    }

    /// True when `attempts` made so far use up the allowance.
    pub fn exhausted(&self, attempts: u32) -> bool {
        attempts >= self.max_attempts
    }
}

/// The pause between reconnection attempts of one worker: short at first (a relay restarting), then longer.
pub fn reconnect_delay(base: Duration, consecutive_failures: u32) -> Duration {
    let exponent = consecutive_failures.saturating_sub(1).min(6);
    base.saturating_mul(1u32 << exponent)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{RetryPolicy, reconnect_delay};

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_secs(60),
            cap: Duration::from_secs(600),
            wait_in_run: Duration::ZERO,
        }
    }

    #[test]
    fn delays_double_between_half_and_all_of_each_step() {
        let p = policy();
        assert_eq!(p.delay(1, 0.0), Duration::from_secs(30));
        assert_eq!(p.delay(1, 1.0), Duration::from_secs(60));
        assert_eq!(p.delay(2, 0.0), Duration::from_secs(60));
        assert_eq!(p.delay(3, 0.5), Duration::from_secs(180));
    }

    #[test]
    fn delays_stop_growing_at_the_cap_even_after_many_failures() {
        let p = policy();
        assert_eq!(p.delay(10, 1.0), Duration::from_secs(600));
        assert_eq!(p.delay(u32::MAX, 1.0), Duration::from_secs(600));
    }

    #[test]
    fn attempts_are_exhausted_at_the_configured_count() {
        assert!(!policy().exhausted(4));
        assert!(policy().exhausted(5));
    }

    #[test]
    fn the_default_schedule_is_postfixs_five_minutes_doubling_to_4000_seconds() {
        let p = RetryPolicy::from_config(&crate::config::Config::default());
        assert_eq!(p.delay(1, 1.0), Duration::from_secs(300));
        assert_eq!(p.delay(5, 1.0), Duration::from_secs(4000));
        assert_eq!(p.max_attempts, 5);
    }

    #[test]
    fn reconnecting_backs_off_and_levels_out() {
        let base = Duration::from_millis(100);
        assert_eq!(reconnect_delay(base, 1), base);
        assert_eq!(reconnect_delay(base, 3), base * 4);
        assert_eq!(reconnect_delay(base, 50), base * 64);
    }
}
