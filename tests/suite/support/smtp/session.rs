//! One SMTP session: reading commands, asking the script what to do at each stage, keeping the transaction's
//! sender and recipients, reading and unstuffing the message data, and storing what was accepted.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::script::{Action, Stage};
use super::{Received, Shared, lock};

/// What a stage does once the script had its say.
enum Verdict {
    /// Go on; `Some` replaces the usual positive reply.
    Proceed(Option<String>),
    Refuse(String),
    Close,
}

const EHLO_REPLY: &str = "250-localhost greets you\r\n250-8BITMIME\r\n250-SIZE 52428800\r\n\
                          250-PIPELINING\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES";

pub(super) struct Session {
    connection: u64,
    shared: Arc<Shared>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
    /// The BDAT chunks of the message so far.
    chunks: Vec<u8>,
}

impl Session {
    pub(super) fn new(connection: u64, shared: Arc<Shared>) -> Self {
        Self {
            connection,
            shared,
            mail_from: None,
            rcpt_to: Vec::new(),
            chunks: Vec::new(),
        }
    }

    /// Ends on QUIT, on a scripted drop, when the client hangs up, or on any socket error.
    pub(super) async fn run(mut self, stream: TcpStream) {
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
                let usual = match verb {
                    "EHLO" if lock(&self.shared.script).chunking => {
                        format!("{EHLO_REPLY}\r\n250 CHUNKING")
                            .replace("250 ENHANCED", "250-ENHANCED")
                    }
                    "EHLO" => EHLO_REPLY.to_owned(),
                    _ => "250 localhost".to_owned(),
                };
                self.outcome(Stage::Ehlo, &usual).await?
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
            "BDAT" if lock(&self.shared.script).chunking => {
                return self.bdat(argument, reader).await;
            }
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
        self.finish_message(data).await
    }

    /// The `DataEnd` stage: the message is kept, or refused, or the connection closed, as the script says.
    async fn finish_message(&mut self, data: Vec<u8>) -> Option<String> {
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

    /// BDAT: reads the chunk's bytes whatever happens (they are not commands); the last chunk ends the message
    /// like the final dot (the `DataEnd` stage). Without a sender or a recipient the chunk is read and refused.
    async fn bdat(
        &mut self,
        argument: &str,
        reader: &mut BufReader<OwnedReadHalf>,
    ) -> Option<String> {
        let mut words = argument.split_whitespace();
        let size: Option<usize> = words.next().and_then(|n| n.parse().ok());
        let last = words.next().is_some_and(|w| w.eq_ignore_ascii_case("LAST"));
        let Some(size) = size else {
            return Some("501 5.5.4 syntax: BDAT size [LAST]".to_owned());
        };
        let mut chunk = vec![0; size];
        reader.read_exact(&mut chunk).await.ok()?;
        if self.mail_from.is_none() {
            self.chunks.clear();
            return Some("503 5.5.1 need MAIL first".to_owned());
        }
        if self.rcpt_to.is_empty() {
            self.reset();
            return Some("554 5.5.1 no valid recipients".to_owned());
        }
        self.chunks.extend_from_slice(&chunk);
        if !last {
            return Some(format!("250 2.0.0 {size} octets received"));
        }
        let data = std::mem::take(&mut self.chunks);
        self.finish_message(data).await
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
        self.chunks.clear();
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
