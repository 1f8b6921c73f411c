//! Keeps a running sender's claims alive (PostgreSQL; see `store/claims.rs`). A page is claimed for
//! `send_claim_seconds`, but its rows may stay in this sender's hands longer: queued for a worker, on the wire to
//! a slow relay, or sent and waiting for the ledger writer. Were the claim to run out meanwhile, another sender
//! would take those rows and the readers would get the issue twice. So a thread of its own, on its own
//! connection, moves the end of this sender's live claims forward every quarter of the claim time; only the claims
//! of a sender that died (or stalled for longer than the claim time) run out.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::clock::Clock;
use crate::store::Store;

/// Whose claims on which issue, and for how long each renewal holds them.
pub struct KeptClaims {
    pub issue_id: i64,
    pub owner: String,
    pub claim_for: chrono::Duration,
    pub clock: Clock,
}

/// The running keeper; [`ClaimKeeper::stop`] ends it.
pub struct ClaimKeeper {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl ClaimKeeper {
    pub fn start(mut store: Store, claims: KeptClaims) -> ClaimKeeper {
        let every = (claims.claim_for / 4)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .max(Duration::from_millis(100));
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                let now = claims.clock.now();
                if let Err(e) =
                    store.extend_claims(claims.issue_id, &claims.owner, now, now + claims.claim_for)
                {
                    // The claims may now run out while rows are in hand; the next round tries again.
                    tracing::warn!("could not keep this sender's claims: {e:#}");
                }
            }
        });
        ClaimKeeper { stop, thread }
    }

    /// Stops renewing; the claims left run out or are released by the run.
    pub fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}
