//! The integration suite: one binary, real processes, real sockets, real files. Shared helpers
//! live in `support`; one module per area under test.

mod archive;
mod bounces;
mod browser;
mod check;
mod delivery;
mod email_quality;
mod hostile_content;
mod metrics;
mod operate;
mod page_shell;
mod postfix;
mod postgres_tls;
mod preview;
mod private_store;
mod scheduler;
mod smtp_server;
mod store;
mod store_copy;
mod subscribers_cli;
mod subscribers_cli_postgres;
mod support;
mod web_browser;
mod web_confirmation_queue;
mod web_connections;
mod web_flow;
mod web_flow_postgres;
mod web_hostile;
mod web_rate_limit;
mod web_records;
mod web_serve;
mod web_webhooks;
mod web_webhooks_effects;
mod web_webhooks_ses;
