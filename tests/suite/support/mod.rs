//! Helpers shared by the integration tests.

pub mod app;
pub mod chromium;
pub mod smtp;
