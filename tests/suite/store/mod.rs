//! The store suite: every case runs on each backend (a SQLite file, and a PostgreSQL database when the test
//! cluster runs, see `support/postgres.rs`), through the one `Store` interface the program uses.

mod confirmation_mails;
mod consent;
mod health;
mod import;
mod keys;
mod links;
mod people;
mod subscriber_queries;
mod subscriber_races;
mod subscribers;
