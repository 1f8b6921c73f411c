//! The link-signing key: made once per store, the same for every connection after.

use weekly_verdicts::store::Store;

use crate::support::postgres::backends;

#[test]
fn the_token_key_is_made_once_and_every_connection_reads_the_same_one() {
    for backend in backends("the_token_key_is_made_once") {
        let key = Store::open(&backend.database).unwrap().token_key().unwrap();
        assert_eq!(key.len(), 32, "{}", backend.name);
        let mut other = Store::open(&backend.database).unwrap();
        assert_eq!(other.token_key().unwrap(), key, "{}", backend.name);
    }
}

#[tokio::test]
async fn the_store_works_from_inside_an_async_runtime_too() {
    // The delivery engine and the web side call the store from async code; the PostgreSQL client must not try to
    // start its own runtime there.
    for backend in backends("the_store_works_from_inside_an_async_runtime") {
        let mut store = Store::open(&backend.database).unwrap();
        assert_eq!(store.token_key().unwrap().len(), 32, "{}", backend.name);
        drop(store);
    }
}
