//! Tests of the migrations: applying them is idempotent, and a store left by an earlier release migrates with
//! its rows intact.

use crate::content::Categories;
use rusqlite::Connection;

use super::{MIGRATIONS, Migration, apply};

fn user_version(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn applying_twice_leaves_the_schema_at_the_latest_version() {
    let mut conn = Connection::open_in_memory().unwrap();
    apply(&mut conn).unwrap();
    apply(&mut conn).unwrap();
    assert_eq!(user_version(&conn), MIGRATIONS.len() as i64);
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(tables, 10);
}

/// A store at schema version 1, as the previous release left it: Ann pending, Bob confirmed, and Cat, who got
/// the id of a removed reader (ids were reused then).
fn version_1_store(path: &std::path::Path) {
    let mut conn = Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    let Migration::Sql(sql) = &MIGRATIONS[0] else {
        panic!("migration 1 is SQL")
    };
    tx.execute_batch(sql).unwrap();
    tx.pragma_update(None, "user_version", 1).unwrap();
    tx.execute_batch(
        "INSERT INTO subscribers (id, email, email_key, name, status, source, created_at, status_changed_at,
                                  confirmed_at, confirmation_sent_at)
         VALUES (1, 'ann@example.org', 'ann@example.org', 'Ann', 'pending', 'form',
                 '2026-11-20T09:00:00.000000Z', '2026-11-20T09:00:00.000000Z', NULL, '2026-11-20T09:00:00.000000Z'),
                (2, 'bob@example.org', 'bob@example.org', NULL, 'confirmed', 'cli',
                 '2026-11-01T09:00:00.000000Z', '2026-11-01T09:00:00.000000Z', '2026-11-01T09:00:00.000000Z', NULL),
                (3, 'cat@example.org', 'cat@example.org', NULL, 'pending', 'import',
                 '2024-01-01T00:00:00.000000Z', '2026-11-21T09:00:00.000000Z', NULL, NULL);
         INSERT INTO issues (id, key, window_start, window_end, subject, preheader, html, text, created_at)
         VALUES (1, '2026-W45', 'a', 'b', 's', 'p', 'h', 't', 'c');
         INSERT INTO deliveries (issue_id, subscriber_id, email, state) VALUES (1, 2, 'bob@example.org', 'sent');",
    )
    .unwrap();
    tx.commit().unwrap();
}

#[test]
fn migrating_a_version_1_store_keeps_rows_and_ledger_and_never_reuses_an_id_again() {
    use crate::email_address::SubscriberEmail;
    use crate::store::{Channel, Origin, Source, Status, Store};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdicts.db");
    version_1_store(&path);
    let mut store = Store::open_sqlite(&path).unwrap();
    assert_eq!(user_version(&store.sqlite().conn), MIGRATIONS.len() as i64);
    let rows = store.list(None).unwrap();
    assert_eq!(
        rows.iter()
            .map(|s| (s.id, s.email.as_str(), s.status))
            .collect::<Vec<_>>(),
        [
            (1, "ann@example.org", Status::Pending),
            (2, "bob@example.org", Status::Confirmed),
            (3, "cat@example.org", Status::Pending)
        ]
    );
    assert_eq!(rows[0].name.as_deref(), Some("Ann"));
    let ledger: i64 = store
        .sqlite()
        .conn
        .query_row(
            "SELECT count(*) FROM deliveries WHERE subscriber_id = 2",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(ledger, 1);
    let bob = SubscriberEmail::parse("bob@example.org").unwrap();
    let history = store.consent_history(&bob).unwrap();
    assert_eq!(
        history.iter().map(|r| r.event.as_str()).collect::<Vec<_>>(),
        ["add", "confirm"]
    );

    let now = crate::store::sqlite::parse_ts("2026-11-23T09:00:00Z").unwrap();
    let cat = SubscriberEmail::parse("cat@example.org").unwrap();
    assert!(store.remove(&cat, now).unwrap());
    let dan = SubscriberEmail::parse("dan@example.org").unwrap();
    let origin = Origin::new(Channel::Form);
    let dan_id = store
        .subscribe(
            &dan,
            None,
            &Categories::everything(),
            Source::Form,
            &origin,
            now,
        )
        .unwrap()
        .subscriber_id;
    assert_eq!(
        dan_id, 4,
        "the removed reader's id 3 is not given out again"
    );
}

#[test]
fn links_sent_before_the_migration_work_for_their_own_subscription_only() {
    use crate::store::{Channel, ConfirmOutcome, Origin, Store, UnsubscribeOutcome};
    use crate::tokens::Link;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdicts.db");
    version_1_store(&path);
    let mut store = Store::open_sqlite(&path).unwrap();
    let at = |s: &str| crate::store::sqlite::parse_ts(s).unwrap();
    let now = at("2026-11-23T09:00:00Z");
    let link = |id, issued: &str| Link {
        subscriber_id: id,
        nonce: None,
        issued_at: at(issued),
    };
    let origin = Origin::new(Channel::Link);
    // Cat's row (id 3) reused the id of someone who got a confirm link before Cat's row existed.
    assert_eq!(
        store
            .confirm(&link(3, "2026-11-19T09:00:00Z"), &origin, now)
            .unwrap(),
        ConfirmOutcome::Superseded
    );
    assert_eq!(
        store
            .unsubscribe(&link(3, "2026-11-10T09:00:00Z"), &origin, now)
            .unwrap(),
        UnsubscribeOutcome::Stale
    );
    // Ann's own confirm link and Bob's own unsubscribe link still work.
    assert_eq!(
        store
            .confirm(&link(1, "2026-11-20T09:00:00Z"), &origin, now)
            .unwrap(),
        ConfirmOutcome::Confirmed
    );
    assert_eq!(
        store
            .unsubscribe(&link(2, "2026-11-16T09:00:00Z"), &origin, now)
            .unwrap(),
        UnsubscribeOutcome::Unsubscribed
    );
}

#[test]
fn a_ledger_from_before_the_skipped_state_keeps_its_rows_and_calls_the_unattempted_ones_skipped() {
    let mut conn = Connection::open_in_memory().unwrap();
    let Migration::Sql(sql) = &MIGRATIONS[0] else {
        panic!("migration 1 is SQL")
    };
    conn.execute_batch(&format!("{sql}PRAGMA user_version = 1;"))
        .unwrap();
    conn.execute_batch(
        "INSERT INTO subscribers VALUES (1, 'a@x.org', 'a@x.org', NULL, 'unsubscribed', 'cli', 't', 't', NULL, NULL, NULL);
         INSERT INTO subscribers VALUES (2, 'b@x.org', 'b@x.org', NULL, 'bounced', 'cli', 't', 't', NULL, NULL, NULL);
         INSERT INTO issues (id, key, window_start, window_end, subject, preheader, html, text, created_at)
           VALUES (1, '2026-W47', 't', 't', 's', 'p', 'h', 't', 't');
         INSERT INTO deliveries (issue_id, subscriber_id, email, state, attempts, last_error) VALUES
           (1, 1, 'a@x.org', 'failed', 0, 'not sent: the subscriber is unsubscribed since the issue was created'),
           (1, 2, 'b@x.org', 'failed', 1, '550 5.1.1 no such user');",
    )
    .unwrap();
    apply(&mut conn).unwrap();
    let states: Vec<String> = conn
        .prepare("SELECT state FROM deliveries ORDER BY subscriber_id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(states, ["skipped", "failed"]);
}

#[test]
fn a_store_from_a_newer_build_is_refused_with_advice() {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    let err = apply(&mut conn).unwrap_err();
    assert!(err.to_string().contains("newer verdicts"), "{err}");
}

#[test]
fn a_store_is_opened_twice_on_one_file_without_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdicts.db");
    drop(crate::store::Store::open_sqlite(&path).unwrap());
    let store = crate::store::Store::open_sqlite(&path).unwrap();
    assert_eq!(user_version(&store.sqlite().conn), MIGRATIONS.len() as i64);
}

/// A store at the schema version before the bounce reports, made by running the earlier migrations.
fn store_before_bounce_reports(conn: &mut Connection) {
    let before = MIGRATIONS.len() - 1;
    conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
    let tx = conn.transaction().unwrap();
    for migration in &MIGRATIONS[..before] {
        match migration {
            Migration::Sql(sql) => tx.execute_batch(sql).unwrap(),
            Migration::Code(migrate) => migrate(&tx).unwrap(),
        }
    }
    tx.pragma_update(None, "user_version", before as i64)
        .unwrap();
    tx.commit().unwrap();
}

#[test]
fn the_complained_status_migration_keeps_rows_ids_indexes_and_the_largest_id_ever_given_out() {
    let mut conn = Connection::open_in_memory().unwrap();
    store_before_bounce_reports(&mut conn);
    conn.execute_batch(
        "INSERT INTO subscribers (email, email_key, status, source, created_at, status_changed_at, link_nonce,
                                  links_from)
         VALUES ('a@example.org', 'a@example.org', 'confirmed', 'cli', '2026-11-01T00:00:00.000000Z',
                 '2026-11-01T00:00:00.000000Z', 1, '2026-11-01T00:00:00.000000Z'),
                ('b@example.org', 'b@example.org', 'bounced', 'cli', '2026-11-01T00:00:00.000000Z',
                 '2026-11-01T00:00:00.000000Z', 2, '2026-11-01T00:00:00.000000Z'),
                ('c@example.org', 'c@example.org', 'pending', 'cli', '2026-11-01T00:00:00.000000Z',
                 '2026-11-01T00:00:00.000000Z', 3, '2026-11-01T00:00:00.000000Z');
         DELETE FROM subscribers WHERE email_key = 'c@example.org';",
    )
    .unwrap();

    apply(&mut conn).unwrap();

    let rows: Vec<(i64, String)> = conn
        .prepare("SELECT id, status FROM subscribers ORDER BY id")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(rows, [(1, "confirmed".into()), (2, "bounced".into())]);
    conn.execute_batch(
        "INSERT INTO subscribers (email, email_key, status, source, created_at, status_changed_at, link_nonce,
                                  links_from)
         VALUES ('d@example.org', 'd@example.org', 'complained', 'cli', '2026-11-01T00:00:00.000000Z',
                 '2026-11-01T00:00:00.000000Z', 4, '2026-11-01T00:00:00.000000Z');",
    )
    .unwrap();
    let newest: i64 = conn
        .query_row("SELECT max(id) FROM subscribers", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        newest, 4,
        "the removed reader's id 3 is not given out again"
    );
    let index: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'subscribers_by_status'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(index, 1);
    let refused = conn.execute("UPDATE subscribers SET status = 'gone' WHERE id = 1", []);
    assert!(refused.is_err(), "the status constraint still holds");
}
