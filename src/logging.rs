//! Log lines to stderr, filtered by `VERDICTS_LOG` (e.g. `debug`, `weekly_verdicts=trace`).

use std::io::IsTerminal;

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
        .with_ansi(colour_wanted(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").is_some(),
        ))
        .try_init();
}

/// Colour codes only for a person at a terminal: cron, systemd and `>>file` get plain lines,
/// and `NO_COLOR` (no-color.org) turns them off everywhere.
fn colour_wanted(stderr_is_terminal: bool, no_color: bool) -> bool {
    stderr_is_terminal && !no_color
}

#[cfg(test)]
mod tests {
    use super::colour_wanted;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour_wanted(true, false));
        assert!(!colour_wanted(false, false));
        assert!(!colour_wanted(true, true));
    }
}
