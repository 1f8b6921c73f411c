//! A token bucket per client address for the POST routes: each address may make `per_minute` POSTs in a burst,
//! and earns them back at `per_minute` a minute. Time is passed in, so tests drive it without sleeping.
//!
//! IPv6 clients are keyed by their /64 (one home or phone gets a whole /64, so per-address buckets would be
//! free to evade). Buckets that have refilled are forgotten when the table grows, so memory stays bounded by the
//! number of addresses active in the last minute or so.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Above this many remembered addresses, full buckets are dropped before adding another.
const PRUNE_ABOVE: usize = 10_000;

/// Whether a request may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Refused; a token will be available again after this many seconds (at least 1).
    Deny {
        retry_after_secs: u64,
    },
}

#[derive(Debug)]
pub struct RateLimiter {
    /// Burst size and refill per minute; 0 turns the limit off.
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: DateTime<Utc>,
}

impl RateLimiter {
    /// `per_minute` POSTs per client per minute; 0 means no limit.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token from `client`'s bucket if it has one.
    pub fn check(&self, client: IpAddr, now: DateTime<Utc>) -> Decision {
        if self.per_minute == 0 {
            return Decision::Allow;
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let key = bucket_key(client);
        if buckets.len() >= PRUNE_ABOVE && !buckets.contains_key(&key) {
            buckets.retain(|_, bucket| bucket.refilled(now, per_second, capacity) < capacity);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        bucket.tokens = bucket.refilled(now, per_second, capacity);
        bucket.updated = now.max(bucket.updated);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Decision::Allow
        } else {
            let wait = ((1.0 - bucket.tokens) / per_second).ceil().max(1.0);
            Decision::Deny {
                retry_after_secs: wait as u64,
            }
        }
    }
}

impl Bucket {
    fn refilled(&self, now: DateTime<Utc>, per_second: f64, capacity: f64) -> f64 {
        let elapsed = (now - self.updated).num_milliseconds().max(0) as f64 / 1000.0;
        (self.tokens + elapsed * per_second).min(capacity)
    }
}

/// IPv4 addresses as they are; IPv6 by /64 (IPv4-mapped IPv6 addresses as IPv4).
fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use chrono::{DateTime, Duration, TimeZone, Utc};

    use super::{Decision, RateLimiter};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_client_gets_its_burst_then_waits_for_the_next_token() {
        let limiter = RateLimiter::new(3);
        for _ in 0..3 {
            assert_eq!(limiter.check(ip("192.0.2.1"), t0()), Decision::Allow);
        }
        assert_eq!(
            limiter.check(ip("192.0.2.1"), t0()),
            Decision::Deny {
                retry_after_secs: 20
            }
        );
        // Another client is not affected.
        assert_eq!(limiter.check(ip("192.0.2.2"), t0()), Decision::Allow);
        // One token back after 20 s, and only one.
        let later = t0() + Duration::seconds(20);
        assert_eq!(limiter.check(ip("192.0.2.1"), later), Decision::Allow);
        assert!(matches!(
            limiter.check(ip("192.0.2.1"), later),
            Decision::Deny { .. }
        ));
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64_and_mapped_ipv4_is_ipv4() {
        let limiter = RateLimiter::new(1);
        assert_eq!(limiter.check(ip("2001:db8:1:2::1"), t0()), Decision::Allow);
        assert!(matches!(
            limiter.check(ip("2001:db8:1:2::ffff"), t0()),
            Decision::Deny { .. }
        ));
        assert_eq!(limiter.check(ip("2001:db8:1:3::1"), t0()), Decision::Allow);
        assert_eq!(limiter.check(ip("192.0.2.9"), t0()), Decision::Allow);
        assert!(matches!(
            limiter.check(ip("::ffff:192.0.2.9"), t0()),
            Decision::Deny { .. }
        ));
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limiter = RateLimiter::new(0);
        for _ in 0..1000 {
            assert_eq!(limiter.check(ip("192.0.2.1"), t0()), Decision::Allow);
        }
    }

    #[test]
    fn full_buckets_are_forgotten_when_the_table_is_large() {
        let limiter = RateLimiter::new(60);
        for i in 0..super::PRUNE_ABOVE as u32 {
            limiter.check(IpAddr::from(i.to_be_bytes()), t0());
        }
        let later = t0() + Duration::minutes(2);
        limiter.check(ip("198.51.100.1"), later);
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1);
    }
}
