//! PostgreSQL: reading subscribers: by id, by address, whole lists and counts by status.

use std::str::FromStr;

use anyhow::{Context, Result};
use postgres::{GenericClient, Row};

use crate::email_address::SubscriberEmail;
use crate::store::subscriber_queries::COLUMNS;
use crate::store::topics::from_stored;
use crate::store::{PgStore, Status, Subscriber};

impl PgStore {
    pub fn subscriber(&self, id: u64) -> Result<Option<Subscriber>> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(None);
        };
        let sql = format!("SELECT {COLUMNS} FROM subscribers WHERE id = $1");
        self.with(|client| {
            client
                .query_opt(&sql, &[&id])?
                .map(|row| subscriber_from_row(&row))
                .transpose()
        })
    }

    pub fn find_by_email(&self, email: &SubscriberEmail) -> Result<Option<Subscriber>> {
        let key = email.key();
        self.with(|client| find_by_key(client, &key))
    }

    pub fn list(&self, status: Option<Status>) -> Result<Vec<Subscriber>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM subscribers WHERE $1::TEXT IS NULL OR status = $1 ORDER BY id"
        );
        let status = status.map(Status::as_str);
        self.with(|client| {
            client
                .query(&sql, &[&status])?
                .iter()
                .map(subscriber_from_row)
                .collect()
        })
    }

    pub fn count_by_status(&self) -> Result<Vec<(Status, u64)>> {
        self.with(|client| {
            let counted = client.query(
                "SELECT status, count(*) FROM subscribers GROUP BY status",
                &[],
            )?;
            let mut counts = Vec::with_capacity(Status::ALL.len());
            for status in Status::ALL {
                let count = counted
                    .iter()
                    .find(|row| row.get::<_, &str>(0) == status.as_str())
                    .map_or(0, |row| row.get::<_, i64>(1));
                counts.push((status, count as u64));
            }
            Ok(counts)
        })
    }
}

pub(crate) fn find_by_key(
    client: &mut impl GenericClient,
    key: &str,
) -> Result<Option<Subscriber>> {
    let sql = format!("SELECT {COLUMNS} FROM subscribers WHERE email_key = $1");
    client
        .query_opt(&sql, &[&key])?
        .map(|row| subscriber_from_row(&row))
        .transpose()
}

fn subscriber_from_row(row: &Row) -> Result<Subscriber> {
    Ok(Subscriber {
        id: row.get::<_, i64>(0) as u64,
        email: row.get(1),
        name: row.get(2),
        status: enum_column(row, 3)?,
        source: enum_column(row, 4)?,
        created_at: row.get(5),
        status_changed_at: row.get(6),
        confirmed_at: row.get(7),
        unsubscribed_at: row.get(8),
        categories: from_stored(row.get(9)),
        paused_until: row.get(10),
        status_reason: row.get(11),
    })
}

/// Reads a `Status` or `Source` column.
pub(crate) fn enum_column<T>(row: &Row, idx: usize) -> Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: &str = row.get(idx);
    text.parse()
        .with_context(|| format!("reading column {}", row.columns()[idx].name()))
}
