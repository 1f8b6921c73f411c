//! [`Job`]: one recipient a worker delivers to, made from a due ledger row or, for a test copy, from an address.

use crate::content::Categories;
use crate::issue::Addressee;
use crate::store::DueDelivery;

/// One recipient to deliver to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub subscriber_id: u64,
    pub email: String,
    pub name: Option<String>,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The edition: the categories the ledger recorded for the reader (empty: the full issue).
    pub categories: Categories,
}

impl Job {
    /// A test copy goes to subscriber id 0, which no subscriber has: its unsubscribe link changes nothing.
    pub fn sample(email: &str) -> Job {
        Job {
            subscriber_id: 0,
            email: email.to_string(),
            name: None,
            attempts: 0,
            categories: Categories::everything(),
        }
    }

    pub fn addressee(&self) -> Addressee<'_> {
        Addressee {
            subscriber_id: self.subscriber_id,
            email: &self.email,
            name: self.name.as_deref(),
        }
    }
}

/// A ledger row that is due becomes a job (the run checks the subscriber is still confirmed first).
impl From<DueDelivery> for Job {
    fn from(due: DueDelivery) -> Job {
        Job {
            subscriber_id: due.subscriber_id,
            email: due.email,
            name: due.name,
            attempts: due.attempts,
            categories: due.categories,
        }
    }
}
