//! A real SMTP server (RFC 5321, no TLS) on 127.0.0.1 that keeps every accepted message in memory and
//! injects scripted faults (error replies, dropped sockets, stalls) at chosen stages of a session.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// Where in a session a [`Rule`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The 220 greeting.
    Connect,
    /// EHLO or HELO.
    Ehlo,
    Mail,
    Rcpt,
    /// The DATA command, before the 354.
    Data,
    /// The reply to the message, after the final dot.
    DataEnd,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A whole reply line such as "452 4.2.2 mailbox full". A 2xx or 3xx reply lets the stage
    /// succeed with that text; anything else refuses it, and a 421 also closes the connection.
    Reply(String),
    /// Close the socket without a reply.
    Drop,
    /// Say nothing for this long, then carry on as if no rule had matched.
    Stall(Duration),
    /// Say nothing for this long, then close the socket.
    StallThenDrop(Duration),
}

#[derive(Clone, Debug)]
pub struct Rule {
    stage: Stage,
    recipient: Option<String>,
    action: Action,
    remaining: Option<u32>,
}

impl Rule {
    /// A rule that answers "451 4.3.0 scripted failure" at `stage`, every time, until told otherwise.
    pub fn at(stage: Stage) -> Self {
        Self {
            stage,
            recipient: None,
            action: Action::Reply("451 4.3.0 scripted failure".to_owned()),
            remaining: None,
        }
    }

    /// Only fire for this recipient: at `Rcpt` when it is the address given, at `Data` and
    /// `DataEnd` when the transaction includes it. Such a rule never fires at earlier stages.
    pub fn for_recipient(mut self, address: &str) -> Self {
        self.recipient = Some(address.to_owned());
        self
    }

    pub fn reply(self, line: &str) -> Self {
        self.action(Action::Reply(line.to_owned()))
    }

    pub fn drop_connection(self) -> Self {
        self.action(Action::Drop)
    }

    pub fn stall(self, duration: Duration) -> Self {
        self.action(Action::Stall(duration))
    }

    pub fn stall_then_drop(self, duration: Duration) -> Self {
        self.action(Action::StallThenDrop(duration))
    }

    pub fn action(mut self, action: Action) -> Self {
        self.action = action;
        self
    }

    /// Fire at most `n` times, then behave as if the rule were absent.
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }

    fn matches(&self, stage: Stage, recipients: &[String]) -> bool {
        self.stage == stage
            && self.remaining != Some(0)
            && self
                .recipient
                .as_ref()
                .is_none_or(|wanted| recipients.iter().any(|r| r.eq_ignore_ascii_case(wanted)))
    }
}

/// Fault rules, tried in order; the first that matches fires.
#[derive(Clone, Debug, Default)]
pub struct Script {
    rules: Vec<Rule>,
}

impl Script {
    pub fn accept_all() -> Self {
        Self::default()
    }

    pub fn rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    fn fire(&mut self, stage: Stage, recipients: &[String]) -> Option<Action> {
        let rule = self
            .rules
            .iter_mut()
            .find(|r| r.matches(stage, recipients))?;
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        Some(rule.action.clone())
    }
}

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

/// What a stage does once the script had its say.
enum Verdict {
    /// Go on; `Some` replaces the usual positive reply.
    Proceed(Option<String>),
    Refuse(String),
    Close,
}

const EHLO_REPLY: &str = "250-localhost greets you\r\n250-8BITMIME\r\n250-SIZE 52428800\r\n\
                          250-PIPELINING\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES";

struct Session {
    connection: u64,
    shared: Arc<Shared>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
}

impl Session {
    fn new(connection: u64, shared: Arc<Shared>) -> Self {
        Self {
            connection,
            shared,
            mail_from: None,
            rcpt_to: Vec::new(),
        }
    }

    /// Ends on QUIT, on a scripted drop, when the client hangs up, or on any socket error.
    async fn run(mut self, stream: TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        let greeting = match self.verdict(Stage::Connect, &[]).await {
            Verdict::Proceed(text) => text.unwrap_or("220 localhost ESMTP test server".to_owned()),
            Verdict::Refuse(text) => text,
            Verdict::Close => return,
        };
        if send(&mut write, &greeting).await.is_err() || closes(&greeting) {
            return;
        }
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let command = String::from_utf8_lossy(&line).trim_end().to_owned();
            lock(&self.shared.commands).push((self.connection, command.clone()));
            let Some(reply) = self.answer(&command, &mut reader, &mut write).await else {
                return;
            };
            if send(&mut write, &reply).await.is_err() || closes(&reply) {
                return;
            }
        }
    }

    /// The reply to one command, or `None` when the session must end without one.
    async fn answer(
        &mut self,
        command: &str,
        reader: &mut BufReader<OwnedReadHalf>,
        write: &mut OwnedWriteHalf,
    ) -> Option<String> {
        let (verb, argument) = command.split_once(' ').unwrap_or((command, ""));
        let reply = match verb.to_ascii_uppercase().as_str() {
            verb @ ("EHLO" | "HELO") => {
                self.reset();
                let usual = if verb == "EHLO" {
                    EHLO_REPLY
                } else {
                    "250 localhost"
                };
                self.outcome(Stage::Ehlo, usual).await?
            }
            "MAIL" if self.mail_from.is_some() => "503 5.5.1 nested MAIL command".to_owned(),
            "MAIL" => match path(argument, "FROM:") {
                None => "501 5.5.4 syntax: MAIL FROM:<address>".to_owned(),
                Some(from) => {
                    let reply = self.outcome(Stage::Mail, "250 2.1.0 sender ok").await?;
                    if reply.starts_with('2') {
                        self.mail_from = Some(from);
                    }
                    reply
                }
            },
            "RCPT" if self.mail_from.is_none() => "503 5.5.1 need MAIL first".to_owned(),
            "RCPT" => match path(argument, "TO:") {
                None => "501 5.5.4 syntax: RCPT TO:<address>".to_owned(),
                Some(to) => match self.verdict(Stage::Rcpt, std::slice::from_ref(&to)).await {
                    Verdict::Proceed(text) => {
                        self.rcpt_to.push(to);
                        text.unwrap_or("250 2.1.5 recipient ok".to_owned())
                    }
                    Verdict::Refuse(text) => text,
                    Verdict::Close => return None,
                },
            },
            "DATA" if self.mail_from.is_none() => "503 5.5.1 need MAIL first".to_owned(),
            "DATA" if self.rcpt_to.is_empty() => "554 5.5.1 no valid recipients".to_owned(),
            "DATA" => return self.data(reader, write).await,
            "RSET" => {
                self.reset();
                "250 2.0.0 reset".to_owned()
            }
            "NOOP" => "250 2.0.0 ok".to_owned(),
            "VRFY" => "252 2.5.0 cannot verify, will try delivery".to_owned(),
            "QUIT" => "221 2.0.0 bye".to_owned(),
            _ => "500 5.5.2 command not recognized".to_owned(),
        };
        Some(reply)
    }

    async fn data(
        &mut self,
        reader: &mut BufReader<OwnedReadHalf>,
        write: &mut OwnedWriteHalf,
    ) -> Option<String> {
        let recipients = self.rcpt_to.clone();
        match self.verdict(Stage::Data, &recipients).await {
            Verdict::Proceed(text) => {
                let go_ahead = text.unwrap_or("354 end data with <CR><LF>.<CR><LF>".to_owned());
                send(write, &go_ahead).await.ok()?;
            }
            Verdict::Refuse(text) => return Some(text),
            Verdict::Close => return None,
        }
        let data = read_data(reader).await?;
        let mail_from = self.mail_from.take().unwrap_or_default();
        let rcpt_to = std::mem::take(&mut self.rcpt_to);
        match self.verdict(Stage::DataEnd, &rcpt_to).await {
            Verdict::Proceed(text) => {
                let mut messages = lock(&self.shared.messages);
                messages.push(Received {
                    mail_from,
                    rcpt_to,
                    data,
                    connection: self.connection,
                });
                Some(text.unwrap_or(format!("250 2.0.0 ok: queued as {}", messages.len())))
            }
            Verdict::Refuse(text) => Some(text),
            Verdict::Close => None,
        }
    }

    /// The reply for a stage without recipients: the scripted one or `usual`.
    async fn outcome(&self, stage: Stage, usual: &str) -> Option<String> {
        match self.verdict(stage, &[]).await {
            Verdict::Proceed(text) => Some(text.unwrap_or(usual.to_owned())),
            Verdict::Refuse(text) => Some(text),
            Verdict::Close => None,
        }
    }

    async fn verdict(&self, stage: Stage, recipients: &[String]) -> Verdict {
        let action = lock(&self.shared.script).fire(stage, recipients);
        match action {
            None => Verdict::Proceed(None),
            Some(Action::Reply(text)) if text.starts_with(['2', '3']) => {
                Verdict::Proceed(Some(text))
            }
            Some(Action::Reply(text)) => Verdict::Refuse(text),
            Some(Action::Drop) => Verdict::Close,
            Some(Action::Stall(duration)) => {
                tokio::time::sleep(duration).await;
                Verdict::Proceed(None)
            }
            Some(Action::StallThenDrop(duration)) => {
                tokio::time::sleep(duration).await;
                Verdict::Close
            }
        }
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
    }
}

/// Reads up to the lone "." line and returns the dot-unstuffed message without the CRLF before
/// that dot. A line starts only after CRLF, as lettre's encoder assumes, so a bare LF followed by
/// a dot is kept as it came. `None` when the client hangs up first.
async fn read_data(reader: &mut BufReader<OwnedReadHalf>) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    let mut at_line_start = true;
    loop {
        line.clear();
        if reader.buffer().is_empty() {
            // lettre leaves Nagle on and holds its final "\r\n.\r\n" until the body is
            // acknowledged; without this each message would wait out a 40 ms delayed ACK.
            reader.get_ref().as_ref().set_quickack(true).ok()?;
        }
        if reader.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        if at_line_start && line == b".\r\n" {
            if data.ends_with(b"\r\n") {
                data.truncate(data.len() - 2);
            }
            return Some(data);
        }
        let unstuffed = if at_line_start && line.starts_with(b".") {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(unstuffed);
        at_line_start = line.ends_with(b"\r\n");
    }
}

/// The address in "FROM:<a@b> SIZE=1" after `keyword`; "<>" gives the empty address.
fn path(argument: &str, keyword: &str) -> Option<String> {
    let head = argument.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = argument[keyword.len()..].trim_start().strip_prefix('<')?;
    let (address, _parameters) = rest.split_once('>')?;
    Some(address.to_owned())
}

/// 221 answers QUIT; 421 is how a server says it is closing the channel (RFC 5321 3.8).
fn closes(reply: &str) -> bool {
    reply.starts_with("221") || reply.starts_with("421")
}

async fn send(write: &mut OwnedWriteHalf, reply: &str) -> std::io::Result<()> {
    write.write_all(format!("{reply}\r\n").as_bytes()).await
}
