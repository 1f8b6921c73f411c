//! `verdicts store copy`: moving a list from its SQLite file into an empty PostgreSQL database, a job no domain
//! operation does. Every row keeps its id, so the links already mailed (which carry subscriber ids and link
//! nonces, signed with the `token_key` that is copied too) keep working on the new database.
//!
//! The source is read in one SQLite read transaction (one consistent snapshot, even with a `serve` still
//! writing); the target is written in one PostgreSQL transaction that first locks the tables against other
//! writers and checks that they are empty, streams each table with a binary `COPY`, moves the id sequences past
//! every id the source ever gave out, and counts again before it commits. Any failure rolls it all back: the target
//! is left as empty as it was found.
//!
//! It runs on the target store's own connection, through `PgStore::with` like every PostgreSQL operation.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::ProgressBar;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, Transaction};

use crate::store::{PgStore, PostgresUrl, SqliteStore};

mod tables;

use tables::{TABLES, Table, read_row};

/// One table's rows on each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: &'static str,
    pub source: u64,
    pub target: u64,
}

/// How a copy ended.
#[derive(Debug)]
pub enum CopyOutcome {
    /// Committed; every table's count matched.
    Copied(Vec<TableCount>),
    /// Nothing was written: the target already has rows (the tables that have any, with their counts).
    TargetNotEmpty(Vec<(&'static str, u64)>),
    /// Rolled back, nothing was written: the rows counted on the target after copying differ from the source.
    CountsDiffer(Vec<TableCount>),
}

/// What to copy where.
pub struct CopyRequest<'a> {
    /// The SQLite file; it must exist.
    pub source: &'a Path,
    pub target: &'a PostgresUrl,
    /// Advanced by one per row written; its length is set to the total. Hidden when not on a terminal.
    pub progress: &'a ProgressBar,
}

/// How far each id sequence must move on the target: past the largest id the source ever gave out. SQLite's
/// AUTOINCREMENT remembers that in `sqlite_sequence` even when the row was removed since (a removed reader's id is
/// never given to someone else, and the consent history still names it).
struct Sequence {
    table: &'static str,
    sqlite_floor: &'static str,
    pg_setval: &'static str,
}

const SEQUENCES: &[Sequence] = &[
    Sequence {
        table: "subscribers",
        sqlite_floor: "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'), 0), \
                       coalesce((SELECT max(id) FROM subscribers), 0), \
                       coalesce((SELECT max(subscriber_id) FROM consent_events), 0))",
        pg_setval: "SELECT setval(pg_get_serial_sequence('subscribers', 'id'), GREATEST($1::bigint, 1), \
                    $1::bigint > 0)",
    },
    Sequence {
        table: "consent_events",
        sqlite_floor: "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'consent_events'), 0), \
                       coalesce((SELECT max(id) FROM consent_events), 0))",
        pg_setval: "SELECT setval(pg_get_serial_sequence('consent_events', 'id'), GREATEST($1::bigint, 1), \
                    $1::bigint > 0)",
    },
    Sequence {
        table: "issues",
        sqlite_floor: "SELECT coalesce(max(id), 0) FROM issues",
        pg_setval: "SELECT setval(pg_get_serial_sequence('issues', 'id'), GREATEST($1::bigint, 1), \
                    $1::bigint > 0)",
    },
    Sequence {
        table: "bounce_reports",
        sqlite_floor: "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'bounce_reports'), 0), \
                       coalesce((SELECT max(id) FROM bounce_reports), 0))",
        pg_setval: "SELECT setval(pg_get_serial_sequence('bounce_reports', 'id'), GREATEST($1::bigint, 1), \
                    $1::bigint > 0)",
    },
    Sequence {
        table: "issue_comparisons",
        sqlite_floor: "SELECT coalesce(max(rowid), 0) FROM issue_comparisons",
        pg_setval: "SELECT setval(pg_get_serial_sequence('issue_comparisons', 'seq'), GREATEST($1::bigint, 1), \
                    $1::bigint > 0)",
    },
];

/// Keeps other writers out of the target until the copy commits, and a second copy waiting until it can see
/// the first one's rows. Readers are not blocked.
const LOCK_TARGET: &str = "LOCK TABLE settings, subscribers, consent_events, confirmation_mails, issues, \
                           issue_comparisons, deliveries, bounce_reports IN SHARE ROW EXCLUSIVE MODE";

/// Copies the SQLite store at `request.source` into the empty PostgreSQL database `request.target`, creating its
/// schema first. See the module comment for what it guarantees.
pub fn copy_sqlite_to_postgres(request: &CopyRequest<'_>) -> Result<CopyOutcome> {
    // Opening brings an older SQLite store's schema up to date first, as every command does; the target's schema
    // is made the way every command makes it, on the store's own connection (TLS as the URL says).
    let mut source = SqliteStore::open_existing(request.source)?;
    let target = PgStore::connect(request.target)?;
    let progress = request.progress;
    target
        .with(move |client| copy_into(&mut source.conn, client, progress))
        .with_context(|| format!("copying into {}", request.target))
}

fn copy_into(
    source: &mut rusqlite::Connection,
    client: &mut Client,
    progress: &ProgressBar,
) -> Result<CopyOutcome> {
    let snapshot = source
        .transaction()
        .context("starting a read transaction on the SQLite store")?;
    let mut source_counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let n: i64 = snapshot
            .query_row(table.count, [], |row| row.get(0))
            .with_context(|| format!("counting {} in the SQLite store", table.name))?;
        source_counts.push(n as u64);
    }
    let mut floors = Vec::with_capacity(SEQUENCES.len());
    for sequence in SEQUENCES {
        let floor: i64 = snapshot
            .query_row(sequence.sqlite_floor, [], |row| row.get(0))
            .with_context(|| format!("reading the largest {} id", sequence.table))?;
        floors.push(floor);
    }
    progress.set_length(source_counts.iter().sum());

    let mut tx = client.transaction()?;
    tx.batch_execute(LOCK_TARGET)
        .context("locking the target's tables")?;
    let found = count_target(&mut tx)?;
    let occupied: Vec<(&'static str, u64)> = TABLES
        .iter()
        .zip(&found)
        .filter(|(_, n)| **n > 0)
        .map(|(table, n)| (table.name, *n))
        .collect();
    if !occupied.is_empty() {
        return Ok(CopyOutcome::TargetNotEmpty(occupied));
    }

    for (table, &expected) in TABLES.iter().zip(&source_counts) {
        progress.set_message(table.name);
        let started = Instant::now();
        let written = copy_table(&snapshot, &mut tx, table, progress)
            .with_context(|| format!("copying {}", table.name))?;
        anyhow::ensure!(
            written == expected,
            "copying {}: wrote {written} rows but counted {expected} in the SQLite store",
            table.name
        );
        tracing::debug!(table = table.name, rows = written, elapsed = ?started.elapsed(), "copied");
    }
    for (sequence, floor) in SEQUENCES.iter().zip(&floors) {
        tx.query_one(sequence.pg_setval, &[floor])
            .with_context(|| format!("moving the {} sequence past {floor}", sequence.table))?;
    }
    let started = Instant::now();
    let target_counts = count_target(&mut tx)?;
    let counts: Vec<TableCount> = TABLES
        .iter()
        .zip(source_counts.iter().zip(&target_counts))
        .map(|(table, (&source, &target))| TableCount {
            table: table.name,
            source,
            target,
        })
        .collect();
    if counts.iter().any(|c| c.source != c.target) {
        return Ok(CopyOutcome::CountsDiffer(counts));
    }
    tx.commit().context("committing the copy")?;
    tracing::debug!(elapsed = ?started.elapsed(), "counted and committed");
    Ok(CopyOutcome::Copied(counts))
}

/// Each table's row count on the target, in [`TABLES`] order.
fn count_target(tx: &mut Transaction<'_>) -> Result<Vec<u64>> {
    TABLES
        .iter()
        .map(|table| {
            let n: i64 = tx
                .query_one(table.count, &[])
                .with_context(|| format!("counting {} in the target", table.name))?
                .get(0);
            Ok(n as u64)
        })
        .collect()
}

/// Streams one table from the SQLite snapshot into the target; returns the rows written.
fn copy_table(
    source: &rusqlite::Connection,
    tx: &mut Transaction<'_>,
    table: &Table,
    progress: &ProgressBar,
) -> Result<u64> {
    let types: Vec<Type> = table
        .columns
        .iter()
        .map(|(_, kind)| kind.pg_type())
        .collect();
    let mut writer = BinaryCopyInWriter::new(tx.copy_in(table.copy)?, &types);
    let mut select = source.prepare(table.select)?;
    let mut rows = select.query([])?;
    let mut since_tick = 0;
    while let Some(row) = rows.next()? {
        let values = read_row(table, row)?;
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
        writer.write(&refs)?;
        since_tick += 1;
        if since_tick == 1024 {
            progress.inc(since_tick);
            since_tick = 0;
        }
    }
    progress.inc(since_tick);
    Ok(writer.finish()?)
}
