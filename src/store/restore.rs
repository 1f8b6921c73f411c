//! Undoing bounces recorded by mistake (a relay fault read as a dead mailbox): bounced subscribers become
//! confirmed again, by address or by when they bounced.

use chrono::{DateTime, Utc};

use crate::store::Status;

/// What restoring one address did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restore {
    /// Was bounced (since `bounced_at`); confirmed again.
    Restored {
        email: String,
        bounced_at: DateTime<Utc>,
    },
    /// Not bounced: left as it was.
    NotBounced {
        email: String,
        status: Status,
    },
    NotFound {
        email: String,
    },
}

/// The consent history detail of a restore: the undoing is kept beside the bounce it undoes, named by the bounce's
/// time as the SQLite store writes times (fixed width, microseconds, UTC), whichever backend records it.
pub(crate) fn restore_detail(bounced_at: DateTime<Utc>) -> String {
    format!(
        "bounce of {} undone: confirmed again",
        bounced_at.format("%Y-%m-%dT%H:%M:%S%.6fZ")
    )
}
