//! Log lines to stderr, filtered by `VERDICTS_LOG` (e.g. `debug`, `weekly_verdicts=trace`).

use tracing_subscriber::EnvFilter;

/// `verbose` raises the default level from `info` to `debug`.
pub fn init(verbose: bool) {
    let default = if verbose { "debug" } else { "info" };
    let filter =
        EnvFilter::try_from_env("VERDICTS_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
