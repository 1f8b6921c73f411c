//! What the issue, ledger and archive cases share: a fixed clock, issues to create, outcomes to record, and
//! subscribers made through the store or, for the PostgreSQL-only cases, straight in SQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use weekly_verdicts::content::Categories;
use weekly_verdicts::email_address::SubscriberEmail;
use weekly_verdicts::store::{
    Database, DeliveryResult, IssueComparison, IssueCreated, NewIssue, Outcome, Source, Status,
    Store, StoredIssue,
};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// A subscriber added the way `verdicts subscribers add` does.
pub fn add(store: &mut Store, address: &str, status: Status) -> u64 {
    let email = SubscriberEmail::parse(address).unwrap();
    store
        .add(
            &email,
            None,
            &Categories::everything(),
            status,
            Source::Cli,
            now(),
        )
        .unwrap()
}

pub fn new_issue(key: &str, window_end: DateTime<Utc>, slugs: &[&str]) -> NewIssue {
    NewIssue {
        key: key.to_string(),
        window_start: window_end - Duration::days(7),
        window_end,
        subject: format!("{key} subject"),
        preheader: "pre".into(),
        html: "<p>html</p>".into(),
        text: "text".into(),
        comparisons: slugs
            .iter()
            .map(|s| IssueComparison {
                slug: s.to_string(),
                title: format!("{s} title"),
            })
            .collect(),
    }
}

/// The issue and its recipient count, failing the test (naming the backend) unless it was created.
pub fn created(outcome: IssueCreated, backend: &str) -> (StoredIssue, u64) {
    match outcome {
        IssueCreated::Created { issue, recipients } => (issue, recipients),
        IssueCreated::Exists(issue) => panic!("{backend}: {} already existed", issue.issue.key),
        IssueCreated::NoRecipients => panic!("{backend}: nobody was confirmed"),
    }
}

pub fn outcome(issue_id: i64, subscriber_id: u64, result: DeliveryResult) -> Outcome {
    Outcome {
        issue_id,
        subscriber_id,
        at: now(),
        result,
    }
}

pub fn sent() -> DeliveryResult {
    DeliveryResult::Sent {
        reply: "250 ok".into(),
    }
}

/// A client on a PostgreSQL test database, for what the store interface does not show.
pub fn pg_client(database: &Database) -> postgres::Client {
    let Database::Postgres(url) = database else {
        panic!("not a PostgreSQL database: {database:?}");
    };
    url.config().connect(postgres::NoTls).unwrap()
}

/// Inserts `count` confirmed subscribers `r{first}@example.org`, … in one statement, straight in SQL (as many as a
/// benchmark wants, and without the subscriber code); their ids in order. The schema must exist.
pub fn insert_confirmed_pg(database: &Database, first: i32, count: i32) -> Vec<u64> {
    let mut client = pg_client(database);
    let mut ids: Vec<u64> = client
        .query(
            "INSERT INTO subscribers (email, email_key, status, source, created_at, status_changed_at,
                                      confirmed_at, link_nonce, links_from)
             SELECT 'r' || g || '@example.org', 'r' || g || '@example.org', 'confirmed', 'cli', $1, $1, $1, g, $1
             FROM generate_series($2::INTEGER, $3::INTEGER) AS g
             ORDER BY g
             RETURNING id",
            &[&now(), &first, &(first + count - 1)],
        )
        .unwrap()
        .iter()
        .map(|row| row.get::<_, i64>(0) as u64)
        .collect();
    ids.sort_unstable();
    ids
}
