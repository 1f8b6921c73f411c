//! The integration suite: one binary, real processes, real sockets, real files. Shared helpers
//! live in `support`; one module per area under test.

mod archive;
mod check;
mod scheduler;
mod smtp_server;
mod support;
