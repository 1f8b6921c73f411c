//! How a run shares an issue's ledger with other senders (PostgreSQL; see `store/claims.rs`): pages small enough
//! to be sent well within their claim, a page claimed again once half its claim time is gone, and the wait for
//! other senders' claims, so that the rows of a sender that died are taken over when its claims run out.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// How often a run with nothing left to claim looks again while other senders hold claims: they may die, and
/// their rows then fall to whoever is still running.
pub const CLAIM_POLL: Duration = Duration::from_secs(1);

/// The shortest such wait, so that rows briefly locked by another sender's transaction are not asked for in a
/// busy loop.
pub const CLAIM_POLL_MIN: Duration = Duration::from_millis(50);

/// Recipients to claim per page: `page_size`, made smaller under a rate limit so that a page is sent in under
/// half the claim time (`page / rate < claim / 2`), leaving the other half for the messages still on the wire.
/// At least 1.
pub fn claim_page_size(page_size: usize, rate_per_second: f64, claim_for: Duration) -> usize {
    if rate_per_second <= 0.0 || !rate_per_second.is_finite() {
        return page_size.max(1);
    }
    let fits = rate_per_second * claim_for.as_secs_f64() / 2.0;
    // The largest whole number strictly below `fits`.
    let below = (fits.ceil() - 1.0).max(0.0);
    let below = if below >= usize::MAX as f64 {
        usize::MAX
    } else {
        below as usize
    };
    page_size.min(below).max(1)
}

/// How long to wait before claiming again while other senders hold claims until `expiry` (`until_expiry`, zero
/// once it has passed): until then, but at most [`CLAIM_POLL`] and at least [`CLAIM_POLL_MIN`].
pub fn claim_poll_wait(until_expiry: Duration) -> Duration {
    until_expiry.clamp(CLAIM_POLL_MIN, CLAIM_POLL)
}

/// How far a sender's clock may be from the database server's. Senders judge each other's claims by their own
/// clocks (a claim runs until the claimer's now plus the claim time), so a clock ahead of the others by most of
/// the claim time would take over pages another sender is still sending: a recipient would get the issue twice.
/// A quarter of the claim time leaves the renewals (every quarter) their margin; at least a second.
pub fn max_clock_skew(claim_for: Duration) -> Duration {
    (claim_for / 4).max(Duration::from_secs(1))
}

/// How far the server's clock (read between this sender's `before` and `after`) is from this sender's: positive
/// when the server is ahead. Zero while it lies between the two, so a slow answer never counts as skew.
pub fn clock_skew(
    before: DateTime<Utc>,
    after: DateTime<Utc>,
    server: DateTime<Utc>,
) -> chrono::Duration {
    if server < before {
        server - before
    } else if server > after {
        server - after
    } else {
        chrono::Duration::zero()
    }
}

/// Why this sender must not share the ledger, when its clock is further than `allowed` from the server's.
pub fn clock_skew_problem(
    skew: chrono::Duration,
    allowed: Duration,
    server: DateTime<Utc>,
) -> Option<String> {
    let off = skew.abs().to_std().unwrap_or(Duration::MAX);
    if off <= allowed {
        return None;
    }
    let side = if skew > chrono::Duration::zero() {
        "behind"
    } else {
        "ahead of"
    };
    Some(format!(
        "this machine's clock is {:.1} s {side} the database server's (which says {}); senders sharing the \
         ledger judge each other's claims by their own clocks, so a clock more than {} s off could send a \
         reader the issue twice. Set this machine's clock right (NTP) and run again; nothing was created or sent",
        off.as_secs_f64(),
        server.format("%Y-%m-%d %H:%M:%S%.3f UTC"),
        allowed.as_secs()
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{TimeZone, Utc};

    use super::{
        CLAIM_POLL, CLAIM_POLL_MIN, claim_page_size, claim_poll_wait, clock_skew,
        clock_skew_problem, max_clock_skew,
    };

    #[test]
    fn a_server_clock_read_between_the_two_local_readings_is_no_skew_and_one_outside_is_by_how_far()
    {
        let before = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let after = before + chrono::Duration::seconds(3);
        let inside = before + chrono::Duration::seconds(2);
        assert_eq!(clock_skew(before, after, inside), chrono::Duration::zero());
        let ahead = after + chrono::Duration::seconds(100);
        assert_eq!(
            clock_skew(before, after, ahead),
            chrono::Duration::seconds(100)
        );
        let behind = before - chrono::Duration::seconds(7);
        assert_eq!(
            clock_skew(before, after, behind),
            chrono::Duration::seconds(-7)
        );
    }

    #[test]
    fn a_skew_beyond_a_quarter_of_the_claim_time_is_refused_saying_which_way_and_by_how_much() {
        let server = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let allowed = max_clock_skew(Duration::from_secs(300));
        assert_eq!(allowed, Duration::from_secs(75));
        assert_eq!(
            max_clock_skew(Duration::from_secs(2)),
            Duration::from_secs(1)
        );
        assert_eq!(
            clock_skew_problem(chrono::Duration::seconds(75), allowed, server),
            None
        );
        assert_eq!(
            clock_skew_problem(chrono::Duration::seconds(-75), allowed, server),
            None
        );
        let ahead = clock_skew_problem(chrono::Duration::seconds(-600), allowed, server).unwrap();
        assert!(
            ahead.starts_with("this machine's clock is 600.0 s ahead of the database server's"),
            "{ahead}"
        );
        assert!(ahead.contains("2026-12-01 09:00:00.000 UTC") && ahead.contains("more than 75 s"));
        let behind = clock_skew_problem(chrono::Duration::seconds(90), allowed, server).unwrap();
        assert!(
            behind.contains("90.0 s behind the database server's"),
            "{behind}"
        );
    }

    #[test]
    fn without_a_rate_limit_the_page_is_the_configured_size() {
        assert_eq!(claim_page_size(256, 0.0, Duration::from_secs(2)), 256);
        assert_eq!(claim_page_size(0, 0.0, Duration::from_secs(2)), 1);
    }

    #[test]
    fn under_a_rate_limit_a_page_takes_less_than_half_the_claim_time() {
        for (rate, claim, page) in [
            (10.0, 2, 9),
            (10.5, 2, 10),
            (1.0, 300, 149),
            (100.0, 300, 256),
            (0.5, 2, 1),
        ] {
            let claim = Duration::from_secs(claim);
            let got = claim_page_size(256, rate, claim);
            assert_eq!(got, page, "rate {rate}/s, claim {claim:?}");
            if got > 1 {
                assert!(
                    got as f64 / rate < claim.as_secs_f64() / 2.0,
                    "rate {rate}/s, claim {claim:?}: page {got}"
                );
            }
        }
    }

    #[test]
    fn the_wait_for_other_senders_claims_stays_between_the_poll_bounds() {
        assert_eq!(claim_poll_wait(Duration::ZERO), CLAIM_POLL_MIN);
        assert_eq!(
            claim_poll_wait(Duration::from_millis(300)),
            Duration::from_millis(300)
        );
        assert_eq!(claim_poll_wait(Duration::from_secs(250)), CLAIM_POLL);
    }
}
