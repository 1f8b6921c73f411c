//! PostgreSQL: subscriber_queries (to be written).

use anyhow::Result;

use crate::email_address::SubscriberEmail;
use crate::store::{PgStore, Status, Subscriber};

impl PgStore {
    pub fn subscriber(&self, _id: u64) -> Result<Option<Subscriber>> {
        todo!("PostgreSQL: subscriber")
    }

    pub fn find_by_email(&self, _email: &SubscriberEmail) -> Result<Option<Subscriber>> {
        todo!("PostgreSQL: find_by_email")
    }

    pub fn list(&self, _status: Option<Status>) -> Result<Vec<Subscriber>> {
        todo!("PostgreSQL: list")
    }

    pub fn count_by_status(&self) -> Result<Vec<(Status, u64)>> {
        todo!("PostgreSQL: count_by_status")
    }
}
