//! The health check's write: it passes on a working store and fails, promptly, on one that cannot be written.

use weekly_verdicts::store::{Database, Store};

use crate::store::people::{now, pg_client};
use crate::support::postgres::backends;

#[test]
fn a_store_that_can_be_read_but_not_written_fails_the_health_check() {
    for backend in backends("a_store_that_can_be_read_but_not_written_fails_the_health_check") {
        let mut store = Store::open(&backend.database).unwrap();
        store.check_writable(now()).unwrap();
        store.check_writable(now()).unwrap();
        // Another connection holds what the check must write; reads still work, the write waits and gives up.
        match &backend.database {
            Database::Sqlite(path) => {
                let holder = rusqlite::Connection::open(path).unwrap();
                holder.execute_batch("BEGIN IMMEDIATE").unwrap();
                assert!(store.subscriber(1).is_ok(), "{}", backend.name);
                assert!(store.check_writable(now()).is_err(), "{}", backend.name);
                holder.execute_batch("ROLLBACK").unwrap();
            }
            Database::Postgres(url) => {
                let mut holder = pg_client(url);
                let mut tx = holder.transaction().unwrap();
                tx.batch_execute("LOCK TABLE health_check IN ACCESS EXCLUSIVE MODE")
                    .unwrap();
                assert!(store.subscriber(1).is_ok(), "{}", backend.name);
                let err = store.check_writable(now()).unwrap_err();
                assert!(
                    format!("{err:#}").contains("lock timeout"),
                    "{}: {err:#}",
                    backend.name
                );
                tx.rollback().unwrap();
            }
        }
        store.check_writable(now()).unwrap();
    }
}

#[test]
fn many_instances_checking_a_new_store_at_once_all_pass() {
    // PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a concurrent create of the same table; the
    // first checks of several instances race exactly there.
    for backend in backends("many_instances_checking_a_new_store_at_once_all_pass") {
        let barrier = std::sync::Barrier::new(8);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    let mut store = Store::open(&backend.database).unwrap();
                    barrier.wait();
                    store.check_writable(now()).unwrap();
                });
            }
        });
    }
}
