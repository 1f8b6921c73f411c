//! Connections that sit idle: closed with QUIT before the relay times them out, and checked with RSET before a
//! message goes over one that waited. A relay closes idle clients (Postfix after `smtpd_timeout`, 300 s by
//! default; others much sooner), and a connection it closed fails the next command with a 421 or a reset.

use std::time::Duration;

use super::Courier;

/// A connection idle longer than this is checked (RSET) before it carries a message.
const PROBE_AFTER: Duration = Duration::from_secs(1);

/// A connection idle this long is closed with QUIT: relays close idle clients (Postfix after 300 s, others much
/// sooner), and a connection they closed fails the next command with a 421 or a reset.
pub const QUIT_AFTER: Duration = Duration::from_secs(2);

impl Courier {
    /// A connection that sat idle longer than [`PROBE_AFTER`] is checked with RSET before it carries a message;
    /// one the relay closed meanwhile is dropped without counting as a failure, and the next step reconnects.
    pub(super) async fn check_idle(&mut self) {
        let Some(connection) = self.connection.as_mut() else {
            return;
        };
        if connection.idle_for() > PROBE_AFTER && !connection.still_open().await {
            tracing::debug!("an idle connection was closed by the relay; reconnecting");
            self.disconnect();
        }
    }

    /// When the open connection will have been idle for [`QUIT_AFTER`].
    pub fn idle_deadline(&self) -> Option<tokio::time::Instant> {
        let connection = self.connection.as_ref()?;
        let left = QUIT_AFTER.saturating_sub(connection.idle_for());
        Some(tokio::time::Instant::now() + left)
    }

    /// Says QUIT on a connection that will sit idle (no message waiting for this worker), so the relay never
    /// has to time it out; the next message opens a new one.
    pub async fn close_idle(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.shared.connection_closed();
            connection.quit().await;
        }
    }
}
