//! The SQLite ledger beneath the interface: paging a large ledger walks the primary key. (The issue ledger's
//! behaviour is in the store suite, `tests/suite/store/`, on both backends.)

use crate::store::Store;

#[test]
fn paging_a_large_ledger_uses_the_primary_key_in_order() {
    let store = Store::open_in_memory().unwrap();
    let plan: Vec<String> = store
        .sqlite()
        .conn
        .prepare(
            "EXPLAIN QUERY PLAN
             SELECT d.subscriber_id, d.email, s.name, s.status, d.attempts
             FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             WHERE d.issue_id = ?1 AND d.subscriber_id > ?2
               AND (+d.state = 'pending' OR (+d.state = 'deferred' AND d.next_attempt_at <= ?3))
             ORDER BY d.subscriber_id LIMIT ?4",
        )
        .unwrap()
        .query_map([1, 0, 0, 10], |row| row.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let plan = plan.join("\n");
    assert!(!plan.contains("TEMP B-TREE"), "sorts each page:\n{plan}");
    assert!(plan.contains("PRIMARY KEY"), "{plan}");
}
