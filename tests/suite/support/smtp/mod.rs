//! A real SMTP server (RFC 5321, no TLS) on 127.0.0.1 that keeps every accepted message in memory and
//! injects scripted faults (error replies, dropped sockets, stalls) at chosen stages of a session.
//!
//! `script.rs` holds the fault rules, `session.rs` speaks the protocol on one connection; this file owns the
//! server itself and what it captured.

mod script;
mod session;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

pub use script::{Action, Rule, Script, Stage};
use session::Session;

/// One message the server answered 250 to after the final dot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as the client meant it: dot-unstuffed, without the closing CRLF.CRLF.
    pub data: Vec<u8>,
    /// 1 for the first connection the server accepted, 2 for the next, ...
    pub connection: u64,
}

impl Received {
    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// The first header called `name` (any case), unfolded and trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = self.raw_text();
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(value) = found.as_mut() {
                if !line.starts_with([' ', '\t']) {
                    break;
                }
                value.push_str(line);
            } else if let Some((key, value)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                found = Some(value.to_owned());
            }
        }
        found.map(|value| value.trim().to_owned())
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<Script>,
    messages: Mutex<Vec<Received>>,
    commands: Mutex<Vec<(u64, String)>>,
    connections: AtomicU64,
}

/// Locks even after a session task panicked, so the test reports its own failure instead.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The running server; dropping it closes the listener and every open session.
pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl SmtpServer {
    pub async fn start(script: Script) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the test SMTP server");
        let addr = listener.local_addr().expect("test SMTP server address");
        let shared = Arc::new(Shared {
            script: Mutex::new(script),
            ..Shared::default()
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Self {
            addr,
            shared,
            accept,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn messages(&self) -> Vec<Received> {
        lock(&self.shared.messages).clone()
    }

    /// Polls until at least `n` messages arrived or `timeout` passed, and returns what it has.
    pub async fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || Instant::now() >= deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Every command line received, without its CRLF, with the connection it came on.
    pub fn commands(&self) -> Vec<(u64, String)> {
        lock(&self.shared.commands).clone()
    }

    /// Replaces the rules for every session from its next command on.
    pub fn set_script(&self, script: Script) {
        *lock(&self.shared.script) = script;
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Owning the sessions here means aborting this task aborts them too.
    let mut sessions = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        // Replies to pipelined commands go out at once, as a real relay's do.
        let _ = stream.set_nodelay(true);
        let connection = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
        sessions.spawn(Session::new(connection, Arc::clone(&shared)).run(stream));
        while sessions.try_join_next().is_some() {}
    }
}
