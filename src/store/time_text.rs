//! Times as text: the SQLite store keeps every timestamp in this form, and both backends keep the scheduler's last
//! fire in `settings` (a text table) in it. Fixed width and UTC, so string order is time order and SQL can compare
//! them directly.

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDateTime, Utc};

const TS_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// Formats a time for storage (see `TS_FORMAT`).
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format(TS_FORMAT).to_string()
}

/// Parses a time written by [`ts`].
pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.fZ")
        .map(|naive| naive.and_utc())
        .with_context(|| format!("{s:?} is not a stored timestamp (expected {TS_FORMAT})"))
}
