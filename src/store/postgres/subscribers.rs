//! PostgreSQL: subscribers (to be written).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::{Origin, PgStore, Source, Status, SubscribeOutcome};

impl PgStore {
    pub fn subscribe(
        &mut self,
        _email: &SubscriberEmail,
        _name: Option<&SubscriberName>,
        _source: Source,
        _origin: &Origin,
        _now: DateTime<Utc>,
    ) -> Result<SubscribeOutcome> {
        todo!("PostgreSQL: subscribe")
    }

    pub fn add(
        &mut self,
        _email: &SubscriberEmail,
        _name: Option<&SubscriberName>,
        _status: Status,
        _source: Source,
        _now: DateTime<Utc>,
    ) -> Result<u64> {
        todo!("PostgreSQL: add")
    }

    pub fn remove(&mut self, _email: &SubscriberEmail, _now: DateTime<Utc>) -> Result<bool> {
        todo!("PostgreSQL: remove")
    }

    pub fn mark_bounced(&mut self, _id: u64, _now: DateTime<Utc>) -> Result<bool> {
        todo!("PostgreSQL: mark_bounced")
    }
}
