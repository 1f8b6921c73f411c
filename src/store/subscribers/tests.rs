//! Every outcome of the subscriber lifecycle, against real SQLite.

use crate::content::Categories;
use rusqlite::params;

use crate::store::lifecycle_test_support::{email, now};
use crate::store::{Source, Status, Store};

#[test]
fn removing_deletes_the_subscriber_and_their_deliveries() {
    let mut store = Store::open_in_memory().unwrap();
    let ann = email("ann@example.org");
    let id = store
        .add(
            &ann,
            None,
            &Categories::everything(),
            Status::Confirmed,
            Source::Cli,
            now(),
        )
        .unwrap();
    let other = store
        .add(
            &email("bob@example.org"),
            None,
            &Categories::everything(),
            Status::Confirmed,
            Source::Cli,
            now(),
        )
        .unwrap();
    store
        .sqlite()
        .conn
        .execute(
            "INSERT INTO issues (id, key, window_start, window_end, subject, preheader, html, text, created_at)
             VALUES (1, '2026-W48', 'a', 'b', 's', 'p', 'h', 't', 'c')",
            [],
        )
        .unwrap();
    for subscriber in [id, other] {
        store
            .sqlite()
            .conn
            .execute(
                "INSERT INTO deliveries (issue_id, subscriber_id, email, state) VALUES (1, ?1, 'x', 'sent')",
                params![subscriber as i64],
            )
            .unwrap();
    }

    assert!(store.remove(&email("Ann@example.org"), now()).unwrap());
    assert_eq!(store.find_by_email(&ann).unwrap(), None);
    let left: Vec<i64> = store
        .sqlite()
        .conn
        .prepare("SELECT subscriber_id FROM deliveries")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(left, [other as i64]);
    assert!(!store.remove(&ann, now()).unwrap());
}
