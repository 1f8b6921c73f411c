//! Reading what `store copy` moved, on both sides: every row of every table as text (timestamps in SQLite's
//! stored form), and the row counts of the PostgreSQL database.

use weekly_verdicts::store::Database;

use crate::delivery::Fixture;

/// A table: its name, its key (for ORDER BY), its columns with their kind: `t` a timestamp, `i` an integer, `s` text.
pub type TableSpec = (&'static str, &'static str, &'static [(&'static str, char)]);

/// The tables `store copy` copies.
pub const TABLES: &[TableSpec] = &[
    ("settings", "key", &[("key", 's'), ("value", 's')]),
    (
        "subscribers",
        "id",
        &[
            ("id", 'i'),
            ("email", 's'),
            ("email_key", 's'),
            ("name", 's'),
            ("status", 's'),
            ("source", 's'),
            ("created_at", 't'),
            ("status_changed_at", 't'),
            ("confirmed_at", 't'),
            ("unsubscribed_at", 't'),
            ("confirmation_sent_at", 't'),
            ("link_nonce", 'i'),
            ("links_from", 't'),
            ("pending_name", 's'),
            ("categories", 's'),
            ("pending_categories", 's'),
            ("paused_until", 't'),
        ],
    ),
    (
        "consent_events",
        "id",
        &[
            ("id", 'i'),
            ("subscriber_id", 'i'),
            ("email_hash", 's'),
            ("at", 't'),
            ("event", 's'),
            ("channel", 's'),
            ("client", 's'),
            ("detail", 's'),
        ],
    ),
    (
        "confirmation_mails",
        "subscriber_id",
        &[
            ("subscriber_id", 'i'),
            ("nonce", 'i'),
            ("name", 's'),
            ("queued_at", 't'),
            ("attempts", 'i'),
            ("next_attempt_at", 't'),
            ("last_error", 's'),
        ],
    ),
    (
        "issues",
        "id",
        &[
            ("id", 'i'),
            ("key", 's'),
            ("window_start", 't'),
            ("window_end", 't'),
            ("subject", 's'),
            ("preheader", 's'),
            ("html", 's'),
            ("text", 's'),
            ("created_at", 't'),
            ("completed_at", 't'),
            ("paused_at", 't'),
            ("paused_reason", 's'),
        ],
    ),
    (
        "issue_comparisons",
        "issue_id, slug",
        &[("issue_id", 'i'), ("slug", 's'), ("title", 's')],
    ),
    (
        "deliveries",
        "issue_id, subscriber_id",
        &[
            ("issue_id", 'i'),
            ("subscriber_id", 'i'),
            ("email", 's'),
            ("state", 's'),
            ("attempts", 'i'),
            ("next_attempt_at", 't'),
            ("last_error", 's'),
            ("relay_reply", 's'),
            ("sent_at", 't'),
            ("categories", 's'),
        ],
    ),
];

pub type Rows = Vec<Vec<Option<String>>>;

// Values are named v0, v1, …, so that ORDER BY sorts by the columns themselves, not by their text.

/// Every row of `table` in the SQLite store, each value as text (timestamps are stored as text already).
pub fn sqlite_rows(fixture: &Fixture, table: &TableSpec) -> Rows {
    let (name, key, columns) = table;
    let list: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (c, _))| format!("CAST({c} AS TEXT) AS v{i}"))
        .collect();
    let sql = format!("SELECT {} FROM {name} ORDER BY {key}", list.join(", "));
    let conn = rusqlite::Connection::open(fixture.db()).unwrap();
    let mut stmt = conn.prepare(&sql).unwrap();
    stmt.query_map([], |row| (0..columns.len()).map(|i| row.get(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every row of `table` in the PostgreSQL database, timestamps written the way SQLite stores them.
pub fn pg_rows(database: &Database, table: &TableSpec) -> Rows {
    let (name, key, columns) = table;
    let list: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (c, kind))| match kind {
            't' => {
                format!(
                    "to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS v{i}"
                )
            }
            _ => format!("{c}::text AS v{i}"),
        })
        .collect();
    let sql = format!("SELECT {} FROM {name} ORDER BY {key}", list.join(", "));
    let width = columns.len();
    on_pg(database, move |client| {
        client
            .query(&sql, &[])
            .unwrap()
            .iter()
            .map(|row| (0..width).map(|i| row.get(i)).collect())
            .collect()
    })
}

/// Runs `work` with a client of the test database, on a thread of its own (the synchronous client may not block
/// inside the test's runtime).
pub fn on_pg<T: Send>(
    database: &Database,
    work: impl FnOnce(&mut postgres::Client) -> T + Send,
) -> T {
    let Database::Postgres(url) = database else {
        panic!("not PostgreSQL: {database}")
    };
    std::thread::scope(|scope| {
        scope
            .spawn(|| work(&mut url.config().connect(postgres::NoTls).unwrap()))
            .join()
            .unwrap()
    })
}

/// The row count of every table on the PostgreSQL side.
pub fn pg_counts(database: &Database) -> Vec<i64> {
    on_pg(database, |client| {
        TABLES
            .iter()
            .map(|(name, _, _)| {
                client
                    .query_one(&format!("SELECT count(*) FROM {name}"), &[])
                    .unwrap()
                    .get(0)
            })
            .collect()
    })
}
