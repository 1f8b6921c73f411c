//! PostgreSQL: subscriber_links (to be written).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::email_address::SubscriberEmail;
use crate::store::{ConfirmOutcome, Origin, PgStore, UnsubscribeOutcome};
use crate::tokens::Link;

impl PgStore {
    pub fn name_to_confirm(&self, _link: &Link) -> Result<Option<Option<String>>> {
        todo!("PostgreSQL: name_to_confirm")
    }

    pub fn confirm(
        &mut self,
        _link: &Link,
        _origin: &Origin,
        _now: DateTime<Utc>,
    ) -> Result<ConfirmOutcome> {
        todo!("PostgreSQL: confirm")
    }

    pub fn unsubscribe(
        &mut self,
        _link: &Link,
        _origin: &Origin,
        _now: DateTime<Utc>,
    ) -> Result<UnsubscribeOutcome> {
        todo!("PostgreSQL: unsubscribe")
    }

    pub fn unsubscribe_email(
        &mut self,
        _email: &SubscriberEmail,
        _origin: &Origin,
        _now: DateTime<Utc>,
    ) -> Result<UnsubscribeOutcome> {
        todo!("PostgreSQL: unsubscribe_email")
    }
}
