//! The one place that reads the wall clock. Library code takes `now` as a parameter;
//! only entry points (CLI commands, the HTTP server, the scheduler) call [`now`].

use chrono::{DateTime, Utc};

/// The current time. `clippy.toml` forbids `Utc::now` everywhere else.
#[allow(clippy::disallowed_methods)]
pub fn now() -> DateTime<Utc> {
    Utc::now()
}
