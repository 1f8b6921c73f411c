//! What `store copy` copies: each table as the SQLite query that reads it and the PostgreSQL `COPY` that writes
//! it, with the columns' types, and the reading of one SQLite row into values the binary `COPY` can write
//! (timestamps, TEXT in SQLite, become `timestamptz`). Parents come before the tables that reference them.
//!
//! `leases` is not copied: a lease is a running sender's claim on the store it runs against, and none runs
//! against the new database yet.

use anyhow::{Result, anyhow};
use postgres::types::{ToSql, Type};
use rusqlite::Row;

use crate::store::time_text::parse_ts;

/// A column's type, which says how it is read from SQLite and how PostgreSQL receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    BigInt,
    Int,
    Text,
    /// TEXT in SQLite's fixed format (`time_text::ts`), `timestamptz` in PostgreSQL.
    Time,
}

impl Kind {
    pub(super) fn pg_type(self) -> Type {
        match self {
            Kind::BigInt => Type::INT8,
            Kind::Int => Type::INT4,
            Kind::Text => Type::TEXT,
            Kind::Time => Type::TIMESTAMPTZ,
        }
    }
}

/// One table: the same columns, in the same order, in both statements and in `columns`.
pub(super) struct Table {
    pub name: &'static str,
    /// Reads every row on the SQLite side, in key order.
    pub select: &'static str,
    /// Writes them on the PostgreSQL side.
    pub copy: &'static str,
    /// The counts, on either side.
    pub count: &'static str,
    /// Column names and kinds; the first names the row in error messages.
    pub columns: &'static [(&'static str, Kind)],
}

use Kind::{BigInt, Int, Text, Time};

pub(super) const TABLES: &[Table] = &[
    Table {
        name: "settings",
        select: "SELECT key, value FROM settings ORDER BY key",
        copy: "COPY settings (key, value) FROM STDIN (FORMAT binary)",
        count: "SELECT count(*) FROM settings",
        columns: &[("key", Text), ("value", Text)],
    },
    Table {
        name: "subscribers",
        select: "SELECT id, email, email_key, name, status, source, created_at, status_changed_at, confirmed_at, \
                 unsubscribed_at, confirmation_sent_at, link_nonce, links_from, pending_name, categories, \
                 pending_categories, paused_until, soft_bounces, soft_bounce_issue, status_reason \
                 FROM subscribers ORDER BY id",
        copy: "COPY subscribers (id, email, email_key, name, status, source, created_at, status_changed_at, \
               confirmed_at, unsubscribed_at, confirmation_sent_at, link_nonce, links_from, pending_name, \
               categories, pending_categories, paused_until, soft_bounces, soft_bounce_issue, status_reason) \
               FROM STDIN (FORMAT binary)",
        count: "SELECT count(*) FROM subscribers",
        columns: &[
            ("id", BigInt),
            ("email", Text),
            ("email_key", Text),
            ("name", Text),
            ("status", Text),
            ("source", Text),
            ("created_at", Time),
            ("status_changed_at", Time),
            ("confirmed_at", Time),
            ("unsubscribed_at", Time),
            ("confirmation_sent_at", Time),
            ("link_nonce", BigInt),
            ("links_from", Time),
            ("pending_name", Text),
            ("categories", Text),
            ("pending_categories", Text),
            ("paused_until", Time),
            ("soft_bounces", Int),
            ("soft_bounce_issue", BigInt),
            ("status_reason", Text),
        ],
    },
    Table {
        name: "consent_events",
        select: "SELECT id, subscriber_id, email_hash, at, event, channel, client, detail \
                 FROM consent_events ORDER BY id",
        copy: "COPY consent_events (id, subscriber_id, email_hash, at, event, channel, client, detail) \
               FROM STDIN (FORMAT binary)",
        count: "SELECT count(*) FROM consent_events",
        columns: &[
            ("id", BigInt),
            ("subscriber_id", BigInt),
            ("email_hash", Text),
            ("at", Time),
            ("event", Text),
            ("channel", Text),
            ("client", Text),
            ("detail", Text),
        ],
    },
    Table {
        name: "confirmation_mails",
        select: "SELECT subscriber_id, nonce, name, queued_at, attempts, next_attempt_at, last_error \
                 FROM confirmation_mails ORDER BY subscriber_id",
        copy: "COPY confirmation_mails (subscriber_id, nonce, name, queued_at, attempts, next_attempt_at, \
               last_error) FROM STDIN (FORMAT binary)",
        count: "SELECT count(*) FROM confirmation_mails",
        columns: &[
            ("subscriber_id", BigInt),
            ("nonce", BigInt),
            ("name", Text),
            ("queued_at", Time),
            ("attempts", Int),
            ("next_attempt_at", Time),
            ("last_error", Text),
        ],
    },
    Table {
        name: "issues",
        select: "SELECT id, key, window_start, window_end, subject, preheader, html, text, created_at, \
                 completed_at, paused_at, paused_reason FROM issues ORDER BY id",
        copy: "COPY issues (id, key, window_start, window_end, subject, preheader, html, text, created_at, \
               completed_at, paused_at, paused_reason) FROM STDIN (FORMAT binary)",
        count: "SELECT count(*) FROM issues",
        columns: &[
            ("id", BigInt),
            ("key", Text),
            ("window_start", Time),
            ("window_end", Time),
            ("subject", Text),
            ("preheader", Text),
            ("html", Text),
            ("text", Text),
            ("created_at", Time),
            ("completed_at", Time),
            ("paused_at", Time),
            ("paused_reason", Text),
        ],
    },
    Table {
        name: "issue_comparisons",
        // An issue's comparisons are in the email's order: SQLite's rowid, PostgreSQL's `seq`.
        select: "SELECT issue_id, slug, title, rowid AS seq FROM issue_comparisons ORDER BY rowid",
        copy: "COPY issue_comparisons (issue_id, slug, title, seq) FROM STDIN (FORMAT binary)",
        count: "SELECT count(*) FROM issue_comparisons",
        columns: &[
            ("issue_id", BigInt),
            ("slug", Text),
            ("title", Text),
            ("seq", BigInt),
        ],
    },
    Table {
        name: "deliveries",
        select: "SELECT issue_id, subscriber_id, email, state, attempts, next_attempt_at, last_error, \
                 relay_reply, sent_at, categories FROM deliveries ORDER BY issue_id, subscriber_id",
        copy: "COPY deliveries (issue_id, subscriber_id, email, state, attempts, next_attempt_at, last_error, \
               relay_reply, sent_at, categories) FROM STDIN (FORMAT binary)",
        count: "SELECT count(*) FROM deliveries",
        columns: &[
            ("issue_id", BigInt),
            ("subscriber_id", BigInt),
            ("email", Text),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_at", Time),
            ("last_error", Text),
            ("relay_reply", Text),
            ("sent_at", Time),
            ("categories", Text),
        ],
    },
    Table {
        name: "bounce_reports",
        select: "SELECT id, subscriber_id, issue_id, kind, source, reason, received_at, outcome \
                 FROM bounce_reports ORDER BY id",
        copy: "COPY bounce_reports (id, subscriber_id, issue_id, kind, source, reason, received_at, outcome) \
               FROM STDIN (FORMAT binary)",
        count: "SELECT count(*) FROM bounce_reports",
        columns: &[
            ("id", BigInt),
            ("subscriber_id", BigInt),
            ("issue_id", BigInt),
            ("kind", Text),
            ("source", Text),
            ("reason", Text),
            ("received_at", Time),
            ("outcome", Text),
        ],
    },
];

/// A value on its way to PostgreSQL.
pub(super) type Value = Box<dyn ToSql + Sync>;

/// Reads one SQLite row of `table` into values in column order. A value that is not what the schema promises (a
/// timestamp that does not parse) is an error naming the table, the row and the column.
pub(super) fn read_row(table: &Table, row: &Row<'_>) -> Result<Vec<Value>> {
    let mut values: Vec<Value> = Vec::with_capacity(table.columns.len());
    for (index, &(column, kind)) in table.columns.iter().enumerate() {
        let value = read_value(row, index, kind).map_err(|error| {
            let first = table.columns[0].0;
            let key = row
                .get_ref(0)
                .map(|v| match v {
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    rusqlite::types::ValueRef::Text(t) => {
                        format!("{:?}", String::from_utf8_lossy(t))
                    }
                    other => format!("{other:?}"),
                })
                .unwrap_or_default();
            anyhow!(
                "{} row with {first} = {key}: column {column}: {error:#}",
                table.name
            )
        })?;
        values.push(value);
    }
    Ok(values)
}

fn read_value(row: &Row<'_>, index: usize, kind: Kind) -> Result<Value> {
    Ok(match kind {
        Kind::BigInt => Box::new(row.get::<_, Option<i64>>(index)?),
        Kind::Int => Box::new(row.get::<_, Option<i32>>(index)?),
        Kind::Text => Box::new(row.get::<_, Option<String>>(index)?),
        Kind::Time => {
            let text: Option<String> = row.get(index)?;
            Box::new(text.as_deref().map(parse_ts).transpose()?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::TABLES;

    /// The column names between the first `(` … `)` of a COPY, or after SELECT up to FROM (`x AS name`: name).
    fn named_columns(sql: &str) -> Vec<String> {
        let list = if let Some(rest) = sql.strip_prefix("SELECT ") {
            rest.split(" FROM ").next().unwrap()
        } else {
            sql.split('(').nth(1).unwrap().split(')').next().unwrap()
        };
        list.split(',')
            .map(|c| c.split_whitespace().last().unwrap().to_string())
            .collect()
    }

    #[test]
    fn each_table_reads_and_writes_the_columns_it_declares_in_the_same_order() {
        for table in TABLES {
            let declared: Vec<String> = table.columns.iter().map(|c| c.0.to_string()).collect();
            assert_eq!(
                named_columns(table.select),
                declared,
                "{} select",
                table.name
            );
            assert_eq!(named_columns(table.copy), declared, "{} copy", table.name);
            assert!(table.copy.contains(&format!("COPY {} ", table.name)));
            assert!(table.count.ends_with(&format!("FROM {}", table.name)));
        }
    }
}
