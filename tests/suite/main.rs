//! The integration suite: one binary, real processes, real sockets, real files. Shared helpers
//! live in `support`; one module per area under test.

mod browser;
mod check;
mod email_quality;
mod hostile_content;
mod preview;
mod smtp_server;
mod support;
