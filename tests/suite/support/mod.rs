//! Helpers shared by the integration tests.

pub mod smtp;
pub mod app;
