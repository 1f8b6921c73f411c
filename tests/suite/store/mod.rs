//! The store suite: every case runs on each backend (a SQLite file, and a PostgreSQL database when the test
//! cluster runs, see `support/postgres.rs`), through the one `Store` interface the program uses.

mod archive;
mod bounces;
mod claims;
mod confirmation_mails;
mod consent;
mod deliveries;
mod health;
mod import;
mod issue_fixtures;
mod issues;
mod keys;
mod lease;
mod ledger_editions;
mod links;
mod people;
mod pg_ledger;
mod remove_and_bounce;
mod scheduler_state;
mod subscriber_queries;
mod subscriber_races;
mod subscribers;
mod topics;
mod unsubscribe_links;
