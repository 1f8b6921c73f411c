//! The integration suite: one binary, real processes, real sockets, real files.

mod check;
