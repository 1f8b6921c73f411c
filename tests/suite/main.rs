//! The integration suite: one binary, real processes, real sockets, real files. Shared helpers
//! live in `support`; one module per area under test.

mod check;
mod delivery;
mod smtp_server;
mod support;
