//! One sender at a time: a send holds the store's `send` lease while it creates or resumes the
//! issue and delivers it. A second sender (an overlapping cron run, or cron plus `serve`) is
//! told who holds it and does nothing; a lease left by a killed process expires and the next
//! run resumes. Losing the lease mid-run (the store was unreachable for longer than its time
//! to live) stops the run like a signal: in-flight messages are recorded, the rest wait.
//!
//! On PostgreSQL, `verdicts send` takes no lease: several senders deliver one issue together,
//! each claiming its own pages of the ledger ([`send_or_join`]). The built-in scheduler still
//! takes the lease there, so that of several `verdicts serve` instances one sends each fire.

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::{SendOptions, SendReport, StopSignal, send};
use crate::config::{Config, Secrets};
use crate::content::Comparison;
use crate::lease::{Acquire, LeaseGuard, SEND_LEASE};
use crate::store::Database;

/// What an exclusive send did.
#[derive(Debug, Clone)]
pub enum Exclusive {
    Ran(SendReport),
    /// Another sender holds the lease; nothing was done.
    LeaseHeld {
        owner: String,
        expires_at: DateTime<Utc>,
    },
}

/// `verdicts send`: where senders share the ledger (PostgreSQL), [`send`] alongside any other
/// sender of the issue, each claiming its own recipients; elsewhere (SQLite) [`send_exclusive`].
pub async fn send_or_join(
    config: &Config,
    secrets: &Secrets,
    comparisons: &[Comparison],
    as_of: DateTime<Utc>,
    options: SendOptions,
) -> Result<Exclusive> {
    match config.database {
        Database::Postgres(_) => Ok(Exclusive::Ran(
            send(config, secrets, comparisons, as_of, options).await?,
        )),
        Database::Sqlite(_) => send_exclusive(config, secrets, comparisons, as_of, options).await,
    }
}

/// [`send`] under the send lease.
pub async fn send_exclusive(
    config: &Config,
    secrets: &Secrets,
    comparisons: &[Comparison],
    as_of: DateTime<Utc>,
    mut options: SendOptions,
) -> Result<Exclusive> {
    let database = config.database.clone();
    let ttl = std::time::Duration::from_secs(config.send_lease_seconds);
    let acquired =
        tokio::task::spawn_blocking(move || LeaseGuard::acquire(&database, SEND_LEASE, ttl))
            .await??;
    let guard = match acquired {
        Acquire::HeldBy { owner, expires_at } => {
            return Ok(Exclusive::LeaseHeld { owner, expires_at });
        }
        Acquire::Acquired(guard) => guard,
    };
    let (handle, stop) = StopSignal::new();
    let mut outer = options.stop.clone();
    let mut lost = guard.lost_signal();
    let watcher = tokio::spawn(async move {
        tokio::select! {
            _ = outer.stopped() => {}
            _ = lost.wait_for(|lost| *lost) => {
                tracing::error!("the send lease was lost (another sender took it over); stopping");
            }
        }
        handle.stop();
    });
    options.stop = stop;
    let report = send(config, secrets, comparisons, as_of, options).await;
    watcher.abort();
    let released = tokio::task::spawn_blocking(move || guard.release()).await?;
    if let Err(error) = released {
        tracing::warn!("could not release the send lease (it expires by itself): {error:#}");
    }
    Ok(Exclusive::Ran(report?))
}
