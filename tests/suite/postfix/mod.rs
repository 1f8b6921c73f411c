//! `verdicts` against a real Postfix 3.7 (`support/postfix`): what only a real MTA shows — idle timeouts,
//! certificate trust, EHLO and QUIT as Postfix counts them, headers Postfix adds before DKIM is checked, README's
//! bounce `pipe` wiring. Each test starts its own instance and skips, saying why, where Postfix cannot run.

mod bounce_pipe;
mod confirmations;
mod delivery;
mod session;
mod tls;

use std::collections::HashMap;
use std::process::Output;

use crate::delivery::{AS_OF, Fixture, verdicts};
use crate::support::postfix::Delivered;

/// `verdicts send --as-of AS_OF` to `url` with more `VERDICTS_*` settings.
pub fn send(fixture: &Fixture, url: &str, env: &[(&str, &str)]) -> Output {
    let mut command = verdicts(fixture, url);
    command.args(["send", "--as-of", AS_OF]);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// Exit code and stderr, for assertion messages.
pub fn said(output: &Output) -> String {
    format!(
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// How many copies each envelope recipient got.
pub fn per_recipient(messages: &[Delivered]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for message in messages {
        *counts.entry(message.delivered_to()).or_insert(0) += 1;
    }
    counts
}
