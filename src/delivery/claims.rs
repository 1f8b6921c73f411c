//! How a run shares an issue's ledger with other senders (PostgreSQL; see `store/claims.rs`): pages small enough
//! to be sent well within their claim, a page claimed again once half its claim time is gone, and the wait for
//! other senders' claims, so that the rows of a sender that died are taken over when its claims run out.

use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{CLAIM_POLL, CLAIM_POLL_MIN, claim_page_size, claim_poll_wait};

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
