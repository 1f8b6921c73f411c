//! One module per command: each reads what it needs (config, content, store), calls the
//! library, and reports to the user. Nothing here is needed by tests of the logic itself.

pub mod archive;
mod as_of;
pub mod bounces;
pub use as_of::parse_as_of;
pub mod check;
pub mod preview;
pub mod schedule;
pub mod send;
pub mod serve;
pub mod status;
pub mod store;
pub mod subscribers;

use crate::config::Config;
use crate::content::{self, Comparison};

/// Loads the content folder, or prints every problem and says how many there were.
pub fn load_content(config: &Config) -> Result<Vec<Comparison>, usize> {
    content::load_dir(&config.content_dir, &config.base_url).map_err(|errors| {
        for error in &errors {
            eprintln!("error: {error}");
        }
        errors.len()
    })
}
