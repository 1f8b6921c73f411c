//! SQLite: Reading subscribers: by id, by address, whole lists, counts by status, and keyset pages for the sender.

use anyhow::Result;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row};

use crate::email_address::SubscriberEmail;
use crate::store::sqlite::{SqliteStore, opt_ts_column, ts_column};
use crate::store::subscriber_queries::COLUMNS;
use crate::store::topics::from_stored;
use crate::store::{Status, Subscriber};

impl SqliteStore {
    pub fn subscriber(&self, id: u64) -> Result<Option<Subscriber>> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(None);
        };
        let sql = format!("SELECT {COLUMNS} FROM subscribers WHERE id = ?1");
        Ok(self
            .conn
            .query_row(&sql, [id], subscriber_from_row)
            .optional()?)
    }

    pub fn find_by_email(&self, email: &SubscriberEmail) -> Result<Option<Subscriber>> {
        find_by_key(&self.conn, &email.key())
    }

    pub fn list(&self, status: Option<Status>) -> Result<Vec<Subscriber>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM subscribers WHERE ?1 IS NULL OR status = ?1 ORDER BY id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([status.map(Status::as_str)], subscriber_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn count_by_status(&self) -> Result<Vec<(Status, u64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT count(*) FROM subscribers WHERE status = ?1")?;
        Status::ALL
            .into_iter()
            .map(|status| {
                let count: i64 = stmt.query_row([status.as_str()], |row| row.get(0))?;
                Ok((status, count as u64))
            })
            .collect()
    }
}

pub(crate) fn find_by_key(conn: &Connection, key: &str) -> Result<Option<Subscriber>> {
    let sql = format!("SELECT {COLUMNS} FROM subscribers WHERE email_key = ?1");
    Ok(conn
        .query_row(&sql, [key], subscriber_from_row)
        .optional()?)
}

fn subscriber_from_row(row: &Row<'_>) -> rusqlite::Result<Subscriber> {
    Ok(Subscriber {
        id: row.get::<_, i64>(0)? as u64,
        email: row.get(1)?,
        name: row.get(2)?,
        status: enum_column(row, 3)?,
        source: enum_column(row, 4)?,
        created_at: ts_column(row, 5)?,
        status_changed_at: ts_column(row, 6)?,
        confirmed_at: opt_ts_column(row, 7)?,
        unsubscribed_at: opt_ts_column(row, 8)?,
        categories: from_stored(&row.get::<_, String>(9)?),
        paused_until: opt_ts_column(row, 10)?,
        status_reason: row.get(11)?,
    })
}

/// Reads a `Status` or `Source` column inside a row mapper.
pub(crate) fn enum_column<T>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(idx)?;
    text.parse()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}
