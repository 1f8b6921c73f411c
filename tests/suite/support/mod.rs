//! Helpers shared by the integration tests.

pub mod app;
pub mod chromium;
pub mod dkim;
pub mod http;
pub mod mime;
pub mod newsletter;
pub mod pki;
pub mod postfix;
pub mod postgres;
pub mod preview;
pub mod serve_process;
pub mod served;
pub mod smtp;
pub mod sns;
pub mod tools;
