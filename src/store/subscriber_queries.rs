//! Reading subscribers: by id, by address, whole lists, counts by status, and keyset pages for the sender.

use chrono::{DateTime, Utc};

use crate::content::Categories;
use crate::store::{Source, Status};

pub(crate) const COLUMNS: &str = "id, email, name, status, source, created_at, status_changed_at, confirmed_at, \
                       unsubscribed_at, categories, paused_until, status_reason";

/// A subscriber as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub id: u64,
    /// As given, with the domain lower-cased.
    pub email: String,
    pub name: Option<String>,
    pub status: Status,
    pub source: Source,
    pub created_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    /// The categories followed (empty: everything).
    pub categories: Categories,
    /// Issues created before this time skip the reader (it may be past: see [`Subscriber::paused_at`]).
    pub paused_until: Option<DateTime<Utc>>,
    /// Why the reader is bounced or complained, as the report said it (a bounce the relay refused at the send, or
    /// one recorded before reports were kept, has none).
    pub status_reason: Option<String>,
}

impl Subscriber {
    /// Until when the reader is paused at `now`, if they are.
    pub fn paused_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        crate::store::topics::current_pause(self.paused_until, now)
    }
}
