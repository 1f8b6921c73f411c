//! The store suite: every case runs on each backend (a SQLite file, and a PostgreSQL database when the test
//! cluster runs, see `support/postgres.rs`), through the one `Store` interface the program uses.

mod archive;
mod deliveries;
mod issue_fixtures;
mod issues;
mod keys;
mod lease;
mod pg_ledger;
mod scheduler_state;
