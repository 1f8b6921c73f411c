//! Asking a send to stop: SIGINT/SIGTERM for the CLI, a handle for the scheduler and tests. A stopping run takes
//! no new message, finishes and records those in flight, and can be resumed.

use tokio::sync::watch;

/// Cloneable; every clone sees the same stop.
#[derive(Clone, Debug)]
pub struct StopSignal(watch::Receiver<bool>);

/// Stops every [`StopSignal`] made with it.
#[derive(Debug)]
pub struct StopHandle(watch::Sender<bool>);

impl StopHandle {
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl StopSignal {
    pub fn new() -> (StopHandle, StopSignal) {
        let (tx, rx) = watch::channel(false);
        (StopHandle(tx), StopSignal(rx))
    }

    /// A signal that never fires.
    pub fn never() -> StopSignal {
        let (handle, signal) = StopSignal::new();
        // The receiver sees the last value forever once the sender is gone.
        drop(handle);
        signal
    }

    /// Fires on SIGINT or SIGTERM. Must be called inside a tokio runtime.
    pub fn on_signals() -> std::io::Result<StopSignal> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let (handle, stop) = StopSignal::new();
        tokio::spawn(async move {
            let name = tokio::select! {
                _ = interrupt.recv() => "SIGINT",
                _ = terminate.recv() => "SIGTERM",
            };
            tracing::warn!("{name}: finishing the messages in flight, then stopping");
            handle.stop();
            // Keep the handlers installed so a second signal does not kill the process mid-record.
            loop {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
        });
        Ok(stop)
    }

    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once stopped; never, for [`StopSignal::never`].
    pub async fn stopped(&mut self) {
        if self.0.wait_for(|stopped| *stopped).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
