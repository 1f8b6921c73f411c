//! Store connections for handlers. A `Store` wraps a connection that must not be shared between threads, so
//! handlers borrow one from this pool for the length of a blocking task; at most [`MAX_CONNECTIONS`] are open at
//! once, and idle ones are kept for the next request (opening one runs the schema check).

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use tokio::sync::Semaphore;

use crate::store::{Database, Store};

/// Connections open at once. SQLite takes one writer at a time anyway; a few readers may overlap.
pub const MAX_CONNECTIONS: usize = 8;

/// A small pool of [`Store`]s over one database file. Clones share the pool.
#[derive(Clone)]
pub struct StorePool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    database: Database,
    idle: Mutex<Vec<Store>>,
    permits: Semaphore,
}

impl StorePool {
    /// A pool over the database at `path`; connections are opened on first need.
    pub fn new(database: &Database) -> StorePool {
        StorePool {
            inner: Arc::new(PoolInner {
                database: database.clone(),
                idle: Mutex::new(Vec::new()),
                permits: Semaphore::new(MAX_CONNECTIONS),
            }),
        }
    }

    pub fn database(&self) -> &Database {
        &self.inner.database
    }

    /// Runs `work` on a pooled connection in a blocking task.
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .context("the store pool is closed")?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = match pool.take_idle() {
                Some(store) => store,
                None => Store::open(&pool.inner.database)?,
            };
            let result = work(&mut store);
            pool.put_back(store);
            result
        })
        .await
        .context("a store task panicked")?
    }

    /// Keeps an open store for later requests.
    pub(crate) fn put_back(&self, store: Store) {
        let mut idle = self.inner.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_CONNECTIONS {
            idle.push(store);
        }
    }

    fn take_idle(&self) -> Option<Store> {
        self.inner
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
    }
}
