//! Helpers shared by the integration tests.

pub mod app;
pub mod smtp;
pub mod chromium;
