//! What creating an issue costs on each backend: the snapshot of every confirmed subscriber into the new issue's
//! ledger (one `INSERT … SELECT` in one transaction), for lists of 100k and 1M. Beside it, one pass of the
//! ledger as a sender makes it (pages of 256 due rows, each page recorded as sent in one `record` batch), which is
//! the store's share of a send.
//!
//! `cargo bench --bench issue_snapshot [-- SIZES…]` (default: 100000 1000000). The PostgreSQL half needs the
//! admin URL of a cluster where it may create and drop a database, in `BENCH_POSTGRES_URL` (or
//! `TEST_POSTGRES_URL`, as `scripts/pg-cluster` prints it); without one it says so and measures SQLite alone.
//! Subscribers are seeded in one SQL statement, outside the timings.

use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use weekly_verdicts::store::{
    Database, DeliveryResult, IssueComparison, IssueCreated, NewIssue, Outcome, Store,
};

const PAGE: usize = 256;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn issue() -> NewIssue {
    NewIssue {
        key: "2026-W48".into(),
        window_start: now() - Duration::days(7),
        window_end: now(),
        subject: "subject".into(),
        preheader: "pre".into(),
        html: "<p>html</p>".into(),
        text: "text".into(),
        comparisons: vec![IssueComparison {
            slug: "a".into(),
            title: "A".into(),
        }],
    }
}

/// Seconds to create the issue, and to page through its ledger recording every row as sent.
fn measure(database: &Database, size: u64) -> (f64, f64) {
    let mut store = Store::open(database).unwrap();
    let started = Instant::now();
    let created = store.create_issue(&issue(), now()).unwrap();
    let snapshot = started.elapsed().as_secs_f64();
    let IssueCreated::Created { issue, recipients } = created else {
        panic!("the issue was not created: {created:?}");
    };
    assert_eq!(recipients, size);

    let started = Instant::now();
    let mut after = 0;
    let mut recorded = 0;
    loop {
        let page = store.due_deliveries(issue.id, after, PAGE, now()).unwrap();
        let Some(last) = page.last() else { break };
        after = last.subscriber_id;
        let outcomes: Vec<Outcome> = page
            .iter()
            .map(|due| Outcome {
                issue_id: issue.id,
                subscriber_id: due.subscriber_id,
                at: now(),
                result: DeliveryResult::Sent {
                    reply: "250 2.0.0 Ok: queued".into(),
                },
            })
            .collect();
        store.record(&outcomes, now()).unwrap();
        recorded += outcomes.len() as u64;
    }
    let pass = started.elapsed().as_secs_f64();
    assert_eq!(recorded, size);
    assert_eq!(store.ledger_counts(issue.id).unwrap().sent, size);
    (snapshot, pass)
}

fn sqlite(size: u64) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdicts.db");
    drop(Store::open_sqlite(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO subscribers (email, email_key, status, source, created_at, status_changed_at, link_nonce,
                                  links_from)
         SELECT 'reader' || i || '@example.org', 'reader' || i || '@example.org', 'confirmed', 'import',
                '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', abs(random()),
                '2026-01-01T00:00:00.000000Z'
         FROM n",
        [size as i64],
    )
    .unwrap();
    drop(conn);
    measure(&Database::Sqlite(path), size)
}

fn postgres(admin: &str, size: u64) -> (f64, f64) {
    let name = format!("bench_snapshot_{}", std::process::id());
    let mut client = postgres::Client::connect(admin, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = admin
        .rsplit_once('/')
        .expect("the admin URL names a database");
    let url = format!("{base}/{name}");
    let database: Database = url.parse().unwrap();
    drop(Store::open(&database).unwrap());
    let mut seed = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    seed.execute(
        "INSERT INTO subscribers (email, email_key, status, source, created_at, status_changed_at, link_nonce,
                                  links_from)
         SELECT 'reader' || i || '@example.org', 'reader' || i || '@example.org', 'confirmed', 'import',
                '2026-01-01Z', '2026-01-01Z', i, '2026-01-01Z'
         FROM generate_series(1, $1::BIGINT) AS i",
        &[&(size as i64)],
    )
    .unwrap();
    // What autovacuum would have done to a list this size long before its next issue.
    seed.batch_execute("VACUUM ANALYZE subscribers").unwrap();
    drop(seed);
    let figures = measure(&database, size);
    client
        .batch_execute(&format!("DROP DATABASE {name}"))
        .unwrap();
    figures
}

fn report(backend: &str, size: u64, (snapshot, pass): (f64, f64)) {
    let rate = |seconds: f64| size as f64 / seconds / 1000.0;
    println!(
        "{backend:<10} {size:>8} subscribers: snapshot {snapshot:>6.2} s ({:>5.0}k rows/s); \
         page + record pass {pass:>6.2} s ({:>4.0}k rows/s)",
        rate(snapshot),
        rate(pass)
    );
}

fn main() {
    let sizes: Vec<u64> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .map(|a| a.parse().expect("sizes are numbers of subscribers"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        sizes
    };
    let admin = ["BENCH_POSTGRES_URL", "TEST_POSTGRES_URL"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|url| !url.is_empty()));
    if admin.is_none() {
        println!(
            "PostgreSQL skipped: set BENCH_POSTGRES_URL (or TEST_POSTGRES_URL) to a cluster's admin URL"
        );
    }
    for size in sizes {
        report("SQLite", size, sqlite(size));
        if let Some(admin) = &admin {
            report("PostgreSQL", size, postgres(admin, size));
        }
    }
}
