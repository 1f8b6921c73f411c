//! Helpers shared by the integration tests.

pub mod app;
pub mod chromium;
pub mod http;
pub mod mime;
pub mod newsletter;
pub mod postfix;
pub mod preview;
pub mod smtp;
pub mod tools;
