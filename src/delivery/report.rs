//! What the operator sees while and after a send: a progress bar with rate and ETA on a terminal, periodic log
//! lines otherwise, and always a summary.

use std::fmt;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::ledger::Tally;
use super::{RunEnd, RunSummary};

/// How progress is shown while sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A progress bar on stderr.
    Bar,
    /// An info log line every ten seconds.
    Log,
    Quiet,
}

impl Progress {
    /// The bar on a terminal, log lines otherwise (cron, systemd, CI).
    pub fn for_stderr() -> Progress {
        if std::io::stderr().is_terminal() {
            Progress::Bar
        } else {
            Progress::Log
        }
    }
}

/// The running display; [`Reporter::finish`] removes the bar.
pub struct Reporter {
    done: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Reporter {
    /// Shows progress towards `total` recorded outcomes.
    pub fn start(kind: Progress, key: &str, total: u64, tally: Arc<Tally>) -> Reporter {
        let (done, mut finished) = oneshot::channel();
        let task = match kind {
            Progress::Quiet => None,
            Progress::Bar => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template("{prefix} {wide_bar} {pos}/{len} ETA {eta} {msg}")
                        .expect("valid template"),
                );
                bar.set_prefix(format!("sending {key}"));
                Some(tokio::spawn(async move {
                    let mut ticks = tokio::time::interval(Duration::from_millis(250));
                    let started = std::time::Instant::now();
                    loop {
                        let counts = tally.counts();
                        let rate =
                            counts.total() as f64 / started.elapsed().as_secs_f64().max(0.001);
                        bar.set_length(total.max(counts.total()));
                        bar.set_position(counts.total());
                        bar.set_message(format!(
                            "{rate:.0} msg/s, deferred {}, failed {}",
                            counts.deferred, counts.failed
                        ));
                        tokio::select! {
                            _ = ticks.tick() => {}
                            _ = &mut finished => break,
                        }
                    }
                    bar.finish_and_clear();
                }))
            }
            Progress::Log => {
                let key = key.to_string();
                Some(tokio::spawn(async move {
                    let mut ticks = tokio::time::interval(Duration::from_secs(10));
                    ticks.tick().await;
                    let mut before = 0;
                    loop {
                        tokio::select! {
                            _ = ticks.tick() => {}
                            _ = &mut finished => break,
                        }
                        let counts = tally.counts();
                        let done = counts.total();
                        tracing::info!(
                            "{key}: {done} of {total} recorded ({}/s): sent {}, deferred {}, failed {}",
                            (done - before) / 10,
                            counts.sent,
                            counts.deferred,
                            counts.failed
                        );
                        before = done;
                    }
                }))
            }
        };
        Reporter {
            done: Some(done),
            task,
        }
    }

    pub async fn finish(mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.this_run;
        let seconds = self.elapsed.as_secs_f64();
        let rate = if seconds > 0.0 {
            c.sent as f64 / seconds
        } else {
            0.0
        };
        if let Some(recipients) = self.created {
            writeln!(
                f,
                "issue {}: created for {recipients} confirmed subscriber{} — {:?}",
                self.key,
                if recipients == 1 { "" } else { "s" },
                self.subject
            )?;
        } else {
            writeln!(f, "issue {}: resumed — {:?}", self.key, self.subject)?;
        }
        write!(
            f,
            "this run, by recipient: {} sent, {} deferred, {} failed",
            c.sent, c.deferred, c.failed
        )?;
        if c.skipped > 0 {
            write!(f, ", {} skipped", c.skipped)?;
        }
        if c.deferrals > c.deferred {
            // A recipient retried within the run is one deferred recipient, however many 4xx replies it got.
            write!(f, "; {} deferral replies counting retries", c.deferrals)?;
        }
        writeln!(f, " in {seconds:.1} s ({rate:.0} messages/s)")?;
        let l = &self.ledger;
        let why = l
            .skipped_by
            .words()
            .map(|words| format!(" ({words})"))
            .unwrap_or_default();
        writeln!(
            f,
            "ledger: {} sent, {} deferred, {} failed, {} skipped{why}, {} pending of {}",
            l.sent,
            l.deferred,
            l.failed,
            l.skipped,
            l.pending,
            l.total()
        )?;
        match &self.end {
            RunEnd::Complete => write!(f, "issue {} is delivered", self.key),
            RunEnd::Deferred { next_retry } => write!(
                f,
                "{} deferred; the next attempt is due at {}: run `verdicts send` again then",
                l.deferred,
                next_retry.map_or("?".to_string(), |t| t
                    .format("%Y-%m-%d %H:%M:%S UTC")
                    .to_string())
            ),
            RunEnd::Interrupted => write!(
                f,
                "interrupted: messages in flight were recorded; run `verdicts send` again to resume"
            ),
            RunEnd::Untrusted { reason } => write!(
                f,
                "stopped: {reason}. {} still to go once that is fixed",
                recipients(l.pending + l.deferred)
            ),
            RunEnd::Halted { reason } => write!(
                f,
                "paused: {reason}. {} still to go; run `verdicts send` again to resume",
                recipients(l.pending + l.deferred)
            ),
        }
    }
}

/// "1 recipient", "3 recipients".
fn recipients(n: u64) -> String {
    format!("{n} recipient{}", if n == 1 { "" } else { "s" })
}
