//! The accept loop of `verdicts serve`, driving hyper's HTTP/1 connections ourselves so that no client can hold
//! the server: headers must arrive within `header_read_timeout` (which also ends an idle keep-alive), a
//! connection on which nothing moves for `idle_timeout` is closed, at most `max_connections` are open (past it a
//! new connection gets a 503 and is closed at once, while the open ones are served), running out of file
//! descriptors pauses accepting briefly instead of ending the loop, and shutdown drains for `drain_timeout`
//! and then closes whatever is left.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::config::Config;
use crate::web::idle_io::{Activity, Tracked};

/// How long accepting pauses after the process ran out of file descriptors (or another resource error).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A burst of accept errors is over (and logged as over) once accepting has worked this long after the last one.
const QUIET_AFTER_TROUBLE: Duration = Duration::from_secs(1);

/// File descriptors kept back from the connection cap for everything else the process opens: the store pool's
/// database, WAL and shared-memory files, SMTP connections, outbox files, logs.
const RESERVED_DESCRIPTORS: u64 = 128;

/// What a connection past the cap is told before it is closed.
const BUSY_RESPONSE: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\n\r\nThe server is busy.\r\n";

/// How `serve` treats connections; [`ServeOptions::from_config`] reads the settings.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    /// Connections open at once (at least 1).
    pub max_connections: usize,
    pub drain_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions::from_config(&Config::default())
    }
}

impl ServeOptions {
    /// The settings, with the connection cap fitted under the process's open-file limit.
    pub fn from_config(config: &Config) -> ServeOptions {
        let open_files = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        let reserve = RESERVED_DESCRIPTORS + config.concurrency as u64;
        ServeOptions {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_seconds),
            idle_timeout: Duration::from_secs(config.idle_timeout_seconds),
            max_connections: connection_cap(u64::from(config.max_connections), open_files, reserve),
            drain_timeout: Duration::from_secs(config.shutdown_drain_seconds),
        }
    }
}

/// The cap: the configured one (0: none), lowered to leave `reserve` descriptors under the open-file limit, but
/// never below half the limit (a tiny limit still gets a usable server) or 1.
fn connection_cap(configured: u64, open_files: Option<u64>, reserve: u64) -> usize {
    let configured = if configured == 0 {
        u64::MAX
    } else {
        configured
    };
    let cap = match open_files {
        Some(limit) => {
            let fitting = limit.saturating_sub(reserve).max(limit / 2);
            if configured != u64::MAX && configured > fitting {
                tracing::warn!(
                    "max_connections = {configured} does not fit under the open-file limit of {limit} \
                     (ulimit -n); using {fitting}"
                );
            }
            configured.min(fitting)
        }
        None if configured == u64::MAX => 100_000,
        None => configured,
    };
    usize::try_from(cap.max(1)).unwrap_or(usize::MAX)
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in progress finish for at most
/// `options.drain_timeout`. Client addresses come from the socket ([`ConnectInfo`]).
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(options.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    // When the last accept error happened, while a burst of them is going on (it was logged once).
    let mut trouble: Option<tokio::time::Instant> = None;
    let mut refusing = false;
    tokio::pin!(shutdown);
    tracing::debug!(?options, "accepting connections");
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        while connections.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(error) if is_per_connection(&error) => continue,
            Err(error) => {
                // EMFILE/ENFILE and the like: the waiting connection stays queued, so retry after a pause.
                if trouble.is_none() {
                    tracing::error!(
                        "cannot accept connections: {error}; pausing (logged once until accepting works again)"
                    );
                }
                trouble = Some(tokio::time::Instant::now());
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        if trouble.is_some_and(|last| last.elapsed() >= QUIET_AFTER_TROUBLE) {
            tracing::info!("accepting connections again");
            trouble = None;
        }
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            if !refusing {
                tracing::warn!(
                    max_connections = options.max_connections,
                    "too many open connections: refusing new ones until some close (logged once per burst)"
                );
                refusing = true;
            }
            // Best effort and never waiting: a client that is not reading gets the close alone.
            let _ = stream.try_write(BUSY_RESPONSE);
            continue;
        };
        refusing = false;
        let (app, options, stopping) = (app.clone(), options.clone(), stopping.clone());
        connections.spawn(async move {
            serve_connection(stream, peer, app, &options, stopping).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let open = connections.len();
    if open > 0 {
        tracing::info!(
            "waiting up to {}s for {open} open connection(s)",
            options.drain_timeout.as_secs()
        );
    }
    let drained = tokio::time::timeout(options.drain_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "{} connection(s) still open after {}s: closing them",
            connections.len(),
            options.drain_timeout.as_secs()
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// One connection, until the client closes it, hyper ends it (header timeout, keep-alive off, an error), it
/// sits idle too long, or the server drains (the request in progress is finished, then it is closed).
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    options: &ServeOptions,
    mut stopping: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let activity = Activity::new();
    let io = TokioIo::new(Tracked::new(stream, activity.clone()));
    let service = service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move { Ok::<_, Infallible>(app.oneshot(request).await.unwrap_or_else(|e| match e {})) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let mut draining = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%peer, "connection ended: {error}");
                }
                return;
            }
            _ = stopping.wait_for(|stop| *stop), if !draining => {
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
            () = activity.idle_for(options.idle_timeout) => {
                tracing::debug!(%peer, "closing a connection idle for {}s", options.idle_timeout.as_secs());
                return;
            }
        }
    }
}

/// Accept errors that concern only the connection being accepted (it was reset before we got to it).
fn is_per_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::connection_cap;

    #[test]
    fn the_cap_leaves_room_under_the_open_file_limit() {
        // Automatic: the limit less the reserve.
        assert_eq!(connection_cap(0, Some(1024), 132), 892);
        // A configured cap that fits is kept; one that does not is lowered.
        assert_eq!(connection_cap(50, Some(1024), 132), 50);
        assert_eq!(connection_cap(5000, Some(1024), 132), 892);
        // A tiny limit still leaves half of it for connections.
        assert_eq!(connection_cap(0, Some(100), 132), 50);
        assert_eq!(connection_cap(0, Some(1), 132), 1);
        // No limit (RLIM_INFINITY): the configured cap, or a large default.
        assert_eq!(connection_cap(300, None, 132), 300);
        assert_eq!(connection_cap(0, None, 132), 100_000);
    }
}
