//! PostgreSQL: consent (to be written).

use anyhow::Result;

use crate::email_address::SubscriberEmail;
use crate::store::{ConsentRecord, PgStore};

impl PgStore {
    pub fn consent_history(&self, _email: &SubscriberEmail) -> Result<Vec<ConsentRecord>> {
        todo!("PostgreSQL: consent_history")
    }
}
