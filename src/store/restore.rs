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
