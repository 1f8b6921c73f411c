//! Bulk import of a parsed subscriber list: all rows in one transaction, addresses already present left alone.

use chrono::{DateTime, Utc};

use crate::content::Categories;
use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::Status;

/// One subscriber to import, already validated (see `subscribers_csv::parse_import`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub email: SubscriberEmail,
    pub name: Option<SubscriberName>,
    pub status: Status,
    /// The categories the reader follows (empty: everything).
    pub categories: Categories,
    /// When the list the row came from first saw the address; the import time if unknown.
    pub created_at: Option<DateTime<Utc>>,
    /// When the address was confirmed there; the import time if unknown and the status is confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// New subscribers, whatever their status.
    pub added: u64,
    /// Rows whose address was already on the list: nothing about it changed.
    pub skipped_existing: u64,
}
