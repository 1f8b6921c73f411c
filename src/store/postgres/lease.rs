//! PostgreSQL: lease (to be written).

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};

use crate::store::{LeaseOutcome, PgStore};

impl PgStore {
    pub fn try_acquire_lease(
        &mut self,
        _name: &str,
        _owner: &str,
        _ttl: Duration,
        _now: DateTime<Utc>,
    ) -> Result<LeaseOutcome> {
        todo!("PostgreSQL: try_acquire_lease")
    }

    pub fn take_over_lease(
        &mut self,
        _name: &str,
        _from: &str,
        _owner: &str,
        _ttl: Duration,
        _now: DateTime<Utc>,
    ) -> Result<bool> {
        todo!("PostgreSQL: take_over_lease")
    }

    pub fn renew_lease(
        &mut self,
        _name: &str,
        _owner: &str,
        _ttl: Duration,
        _now: DateTime<Utc>,
    ) -> Result<bool> {
        todo!("PostgreSQL: renew_lease")
    }

    pub fn release_lease(&mut self, _name: &str, _owner: &str) -> Result<bool> {
        todo!("PostgreSQL: release_lease")
    }

    pub fn lease_holder(
        &self,
        _name: &str,
        _now: DateTime<Utc>,
    ) -> Result<Option<(String, DateTime<Utc>)>> {
        todo!("PostgreSQL: lease_holder")
    }
}
