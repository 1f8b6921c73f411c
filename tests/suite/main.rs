//! The one integration-test binary: shared helpers in `support`, one module per area under test.

mod smtp_server;
mod support;
