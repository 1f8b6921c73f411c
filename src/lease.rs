//! The single-sender guard: take a store lease, keep it alive from a background thread every `ttl / 3`, give it
//! up on [`LeaseGuard::release`] or drop. A sender that dies stops renewing, so the next one gets in after `ttl`.
//!
//! ```no_run
//! # fn send() -> anyhow::Result<weekly_verdicts::exit::ExitStatus> {
//! use weekly_verdicts::exit::ExitStatus;
//! use weekly_verdicts::lease::{Acquire, LeaseGuard, SEND_LEASE, SEND_LEASE_TTL};
//! let guard = match LeaseGuard::acquire(&"subscribers/verdicts.db".parse()?, SEND_LEASE, SEND_LEASE_TTL)? {
//!     Acquire::Acquired(guard) => guard,
//!     Acquire::HeldBy { owner, expires_at } => {
//!         eprintln!("another send is running ({owner}, lease until {expires_at}); nothing to do");
//!         return Ok(ExitStatus::LeaseHeld);
//!     }
//! };
//! // … deliver, stopping when `guard.lost_signal()` turns true …
//! guard.release()?;
//! # Ok(ExitStatus::Success) }
//! ```

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::store::{Database, LeaseOutcome, Store};

/// The lease a sender holds while it delivers: `verdicts send` on SQLite, and the scheduler of `verdicts serve` on
/// either store (so that of several instances one sends each fire). On PostgreSQL `verdicts send` claims ledger
/// rows instead (see `delivery/claims.rs`).
pub const SEND_LEASE: &str = "send";

/// How long the send lease outlives its holder's last renewal: the wait for the next sender after a crash. The
/// default of `send_lease_seconds`.
pub const SEND_LEASE_TTL: Duration = Duration::from_secs(120);

/// The outcome of [`LeaseGuard::acquire`].
#[derive(Debug)]
pub enum Acquire {
    Acquired(LeaseGuard),
    HeldBy {
        owner: String,
        expires_at: DateTime<Utc>,
    },
}

/// A held lease, renewed in the background until released or dropped.
#[derive(Debug)]
pub struct LeaseGuard {
    name: String,
    lost: watch::Receiver<bool>,
    stop: Option<mpsc::Sender<()>>,
    renewer: Option<JoinHandle<Result<()>>>,
}

impl LeaseGuard {
    /// Tries to take lease `name` in the store at `database` for this process ([`owner_id`]).
    pub fn acquire(database: &Database, name: &str, ttl: Duration) -> Result<Acquire> {
        LeaseGuard::acquire_as(database, name, &owner_id(), ttl)
    }

    /// Like [`LeaseGuard::acquire`] with a chosen owner string.
    pub fn acquire_as(
        database: &Database,
        name: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Acquire> {
        let chrono_ttl = chrono::Duration::from_std(ttl).context("lease time to live")?;
        let mut store = Store::open(database)?;
        let now = crate::clock::now();
        match store.try_acquire_lease(name, owner, chrono_ttl, now)? {
            LeaseOutcome::HeldBy {
                owner: holder,
                expires_at,
            } => {
                let dead = holder_is_dead_here(&holder);
                if !(dead && store.take_over_lease(name, &holder, owner, chrono_ttl, now)?) {
                    return Ok(Acquire::HeldBy {
                        owner: holder,
                        expires_at,
                    });
                }
                tracing::warn!(
                    lease = name,
                    "took the lease over from {holder}, a process on this host that no longer runs"
                );
            }
            LeaseOutcome::Acquired => {}
        }
        let (lost_tx, lost) = watch::channel(false);
        let (stop, stop_rx) = mpsc::channel();
        let renewer = Renewer {
            store,
            name: name.to_string(),
            owner: owner.to_string(),
            ttl,
            expires_at: now + chrono_ttl,
            lost: lost_tx,
        };
        let renewer = thread::Builder::new()
            .name(format!("lease-{name}"))
            .spawn(move || renewer.run(&stop_rx))
            .context("starting the lease renewal thread")?;
        tracing::debug!(lease = name, owner, "lease acquired");
        Ok(Acquire::Acquired(LeaseGuard {
            name: name.to_string(),
            lost,
            stop: Some(stop),
            renewer: Some(renewer),
        }))
    }

    /// A receiver that turns `true` when the lease is no longer ours (taken over after it expired without
    /// renewal: stop sending), for `tokio::select!` (`wait_for(|lost| *lost)`).
    pub fn lost_signal(&self) -> watch::Receiver<bool> {
        self.lost.clone()
    }

    /// Stops renewing and gives the lease up, reporting a failure to do so (the lease then expires on its own).
    pub fn release(mut self) -> Result<()> {
        self.stop_renewer()
    }

    fn stop_renewer(&mut self) -> Result<()> {
        drop(self.stop.take());
        match self.renewer.take() {
            Some(renewer) => renewer
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the lease renewal thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        if let Err(error) = self.stop_renewer() {
            tracing::warn!(
                lease = self.name,
                "releasing the lease: {error:#}; it expires on its own"
            );
        }
    }
}

/// The background half of a guard: owns its own store connection.
struct Renewer {
    store: Store,
    name: String,
    owner: String,
    ttl: Duration,
    expires_at: DateTime<Utc>,
    lost: watch::Sender<bool>,
}

impl Renewer {
    /// Renews every `ttl / 3` until told to stop (the sender side is dropped), then releases.
    fn run(mut self, stop: &mpsc::Receiver<()>) -> Result<()> {
        let chrono_ttl = chrono::Duration::from_std(self.ttl)?;
        // Nothing is ever sent on `stop`: dropping the guard's end ends the wait at once.
        while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(self.ttl / 3) {
            let now = crate::clock::now();
            match self
                .store
                .renew_lease(&self.name, &self.owner, chrono_ttl, now)
            {
                Ok(true) => self.expires_at = now + chrono_ttl,
                Ok(false) => {
                    tracing::error!(
                        lease = self.name,
                        "the lease was taken over by another process"
                    );
                    self.lost.send_replace(true);
                    return Ok(());
                }
                // A busy or briefly unreachable store: keep trying while the lease is still ours.
                Err(error) if now < self.expires_at => {
                    tracing::warn!(lease = self.name, "renewing the lease: {error:#}");
                }
                Err(error) => {
                    tracing::error!(lease = self.name, "the lease expired unrenewed: {error:#}");
                    self.lost.send_replace(true);
                    return Ok(());
                }
            }
        }
        self.store
            .release_lease(&self.name, &self.owner)
            .with_context(|| format!("releasing the {} lease", self.name))?;
        tracing::debug!(lease = self.name, "lease released");
        Ok(())
    }
}

/// `hostname:pid:random`: names the process in "held by …" messages, and differs between two runs on one host.
pub fn owner_id() -> String {
    let mut random = [0u8; 4];
    rand::fill(&mut random[..]);
    let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}:{}:{random}", hostname(), std::process::id())
}

/// True when `owner` (an [`owner_id`]) names a process on this host that has exited, so its
/// lease (or its claims on queued mail) need not be waited out. Only where `/proc` shows processes; elsewhere nobody is
/// presumed dead. A reused pid errs on the safe side (the lease is then waited out).
pub fn holder_is_dead_here(owner: &str) -> bool {
    let mut parts = owner.rsplitn(3, ':');
    let (Some(_random), Some(pid), Some(host)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    let proc = std::path::Path::new("/proc");
    host == hostname()
        && pid != std::process::id()
        && proc.join("self").exists()
        && !proc.join(pid.to_string()).exists()
}

fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().replace(':', "-"))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests;
