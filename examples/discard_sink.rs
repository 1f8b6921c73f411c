//! A lean SMTP sink for benchmarks: accepts every message, keeps none, and counts them.
//!
//! `cargo run --release --example discard_sink -- --listen 127.0.0.1:2525 [--quiet] [--exit-after N] [--no-chunking]`
//!
//! Prints `listening on ADDR` once ready and `discard_sink: N messages, M connections` on SIGINT,
//! SIGTERM or after N messages. Speaks enough SMTP for lettre and Postfix's `smtp-source`,
//! including pipelined commands, and BDAT (CHUNKING, as Postfix offers it) unless `--no-chunking`. Without `--quiet` it reports the rate on stderr every second.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Notify;

const USAGE: &str =
    "usage: discard_sink [--listen ADDR] [--quiet] [--exit-after N] [--no-chunking]";
const BUFFER: usize = 64 * 1024;
const TERMINATOR: &[u8; 5] = b"\r\n.\r\n";
const EHLO: &[u8] = b"250-discard-sink\r\n250-PIPELINING\r\n250-SIZE 104857600\r\n250-8BITMIME\r\n\
                      250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n";
const EHLO_CHUNKING: &[u8] =
    b"250-discard-sink\r\n250-PIPELINING\r\n250-SIZE 104857600\r\n250-8BITMIME\r\n\
                      250-SMTPUTF8\r\n250-CHUNKING\r\n250 ENHANCEDSTATUSCODES\r\n";

struct Options {
    listen: SocketAddr,
    quiet: bool,
    exit_after: Option<u64>,
    chunking: bool,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut options = Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 2525)),
            quiet: false,
            exit_after: None,
            chunking: true,
        };
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--listen" => {
                    let addr = value()?;
                    options.listen = addr
                        .parse()
                        .map_err(|_| format!("--listen {addr}: expected IP:PORT"))?;
                }
                "--exit-after" => {
                    let n = value()?;
                    let n = n
                        .parse()
                        .map_err(|_| format!("--exit-after {n}: expected a count"))?;
                    options.exit_after = Some(n);
                }
                "--quiet" => options.quiet = true,
                "--no-chunking" => options.chunking = false,
                _ => return Err(format!("unknown argument {arg}")),
            }
        }
        Ok(options)
    }
}

#[derive(Default)]
struct Counters {
    chunking: bool,
    messages: AtomicU64,
    connections: AtomicU64,
    open: AtomicU64,
    exit_after: Option<u64>,
    reached: Notify,
}

// One thread: the client under test needs the other core, and on loopback a single event loop
// beat the multi-threaded runtime (no cross-thread wake-ups).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("discard_sink: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(options.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("discard_sink: cannot listen on {}: {err}", options.listen);
            return ExitCode::FAILURE;
        }
    };
    let counters = Arc::new(Counters {
        exit_after: options.exit_after,
        chunking: options.chunking,
        ..Counters::default()
    });
    let Ok(addr) = listener.local_addr() else {
        return ExitCode::FAILURE;
    };
    println!("listening on {addr}");
    tokio::spawn(accept_loop(listener, Arc::clone(&counters)));
    if !options.quiet {
        tokio::spawn(report_rate(Arc::clone(&counters)));
    }
    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        return ExitCode::FAILURE;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
        () = counters.reached.notified() => let_clients_quit(&counters).await,
    }
    println!(
        "discard_sink: {} messages, {} connections",
        counters.messages.load(Ordering::Relaxed),
        counters.connections.load(Ordering::Relaxed)
    );
    ExitCode::SUCCESS
}

async fn accept_loop(listener: TcpListener, counters: Arc<Counters>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                counters.connections.fetch_add(1, Ordering::Relaxed);
                let counters = Arc::clone(&counters);
                counters.open.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let _ = serve(stream, &counters).await;
                    counters.open.fetch_sub(1, Ordering::Relaxed);
                });
            }
            // Out of file descriptors, say: back off instead of spinning on the error.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Gives clients a moment to send QUIT after their last message, so they see a clean end.
async fn let_clients_quit(counters: &Counters) {
    for _ in 0..50 {
        if counters.open.load(Ordering::Relaxed) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn report_rate(counters: Arc<Counters>) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    let mut before = 0;
    loop {
        ticks.tick().await;
        let now = counters.messages.load(Ordering::Relaxed);
        if now != before {
            eprintln!("discard_sink: {now} messages, {}/s", now - before);
            before = now;
        }
    }
}

/// Ends when the client quits or hangs up; socket errors end it the same way.
async fn serve(mut stream: TcpStream, counters: &Counters) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    stream.write_all(b"220 discard-sink ESMTP\r\n").await?;
    let mut session = Session {
        chunking: counters.chunking,
        ..Session::default()
    };
    let mut buf = vec![0; BUFFER];
    let mut replies = Vec::with_capacity(4096);
    let mut kept = 0;
    loop {
        let n = stream.read(&mut buf[kept..]).await?;
        if n == 0 {
            return Ok(());
        }
        let filled = kept + n;
        let fed = session.feed(&buf[..filled], &mut replies);
        kept = filled - fed.consumed;
        if kept == BUFFER {
            replies.extend_from_slice(b"500 5.5.0 Error: line too long\r\n");
        }
        if replies.is_empty() {
            // Mid-message, with no reply to carry the ACK: lettre leaves Nagle on and holds its
            // final "\r\n.\r\n" until the body is acknowledged, so a delayed ACK costs 40 ms.
            stream.set_quickack(true)?;
        } else {
            // One write answers every command this read held, as PIPELINING expects.
            stream.write_all(&replies).await?;
            replies.clear();
        }
        if fed.accepted > 0 {
            let total = counters.messages.fetch_add(fed.accepted, Ordering::Relaxed) + fed.accepted;
            if counters
                .exit_after
                .is_some_and(|n| total >= n && total - fed.accepted < n)
            {
                counters.reached.notify_one();
            }
        }
        if fed.quit || kept == BUFFER {
            return stream.shutdown().await;
        }
        buf.copy_within(fed.consumed..filled, 0);
    }
}

#[derive(Default)]
struct Session {
    chunking: bool,
    recipients: usize,
    in_data: bool,
    end: DataEnd,
    /// Bytes of the current BDAT chunk still to come, and whether it is the last.
    chunk: Option<(usize, bool)>,
}

struct Fed {
    /// Bytes used up; the rest is an incomplete command line.
    consumed: usize,
    accepted: u64,
    quit: bool,
}

impl Session {
    fn feed(&mut self, input: &[u8], replies: &mut Vec<u8>) -> Fed {
        let mut fed = Fed {
            consumed: 0,
            accepted: 0,
            quit: false,
        };
        while fed.consumed < input.len() && !fed.quit {
            let rest = &input[fed.consumed..];
            if let Some((left, last)) = self.chunk {
                let take = rest.len().min(left);
                fed.consumed += take;
                if take < left {
                    self.chunk = Some((left - take, last));
                    break;
                }
                fed.accepted += self.end_chunk(last, replies);
            } else if self.in_data {
                let Some(end) = self.end.find(rest) else {
                    fed.consumed = input.len();
                    break;
                };
                fed.consumed += end;
                fed.accepted += 1;
                self.in_data = false;
                self.recipients = 0;
                replies.extend_from_slice(b"250 2.0.0 Ok: queued\r\n");
            } else {
                let Some(newline) = find_byte(rest, b'\n') else {
                    break;
                };
                fed.consumed += newline + 1;
                fed.quit = self.command(&rest[..newline + 1], replies);
                if let Some((0, last)) = self.chunk {
                    fed.accepted += self.end_chunk(last, replies);
                }
            }
        }
        fed
    }

    /// A BDAT chunk is all read: the reply, and 1 when it ended a message with recipients.
    fn end_chunk(&mut self, last: bool, replies: &mut Vec<u8>) -> u64 {
        self.chunk = None;
        if !last {
            replies.extend_from_slice(b"250 2.0.0 Ok: chunk received\r\n");
            return 0;
        }
        let recipients = std::mem::take(&mut self.recipients);
        if recipients == 0 {
            replies.extend_from_slice(b"554 5.5.1 Error: no valid recipients\r\n");
            return 0;
        }
        replies.extend_from_slice(b"250 2.0.0 Ok: queued\r\n");
        1
    }

    /// Appends the reply to one command line; true after QUIT.
    fn command(&mut self, line: &[u8], replies: &mut Vec<u8>) -> bool {
        let mut verb = [0; 4];
        if let Some(head) = line.get(..4) {
            verb.copy_from_slice(head);
            verb.make_ascii_uppercase();
        }
        let reply: &[u8] = match &verb {
            b"EHLO" if self.chunking => EHLO_CHUNKING,
            b"EHLO" => EHLO,
            b"BDAT" if self.chunking => {
                // "BDAT <size> [LAST]": the reply comes once the chunk's bytes are read (see `feed`).
                let text = String::from_utf8_lossy(line);
                let mut words = text.split_whitespace().skip(1);
                let size = words.next().and_then(|n| n.parse::<usize>().ok());
                let last = words.next().is_some_and(|w| w.eq_ignore_ascii_case("LAST"));
                match size {
                    Some(size) => {
                        self.chunk = Some((size, last));
                        return false;
                    }
                    None => b"501 5.5.4 Syntax: BDAT size [LAST]\r\n",
                }
            }
            b"HELO" => b"250 discard-sink\r\n",
            b"MAIL" => b"250 2.1.0 Ok\r\n",
            b"RCPT" => {
                self.recipients += 1;
                b"250 2.1.5 Ok\r\n"
            }
            b"DATA" if self.recipients == 0 => b"554 5.5.1 Error: no valid recipients\r\n",
            b"DATA" => {
                self.in_data = true;
                self.end = DataEnd::default();
                b"354 End data with <CR><LF>.<CR><LF>\r\n"
            }
            b"RSET" => {
                self.recipients = 0;
                b"250 2.0.0 Ok\r\n"
            }
            b"NOOP" => b"250 2.0.0 Ok\r\n",
            b"VRFY" => b"252 2.0.0 Ok\r\n",
            b"QUIT" => {
                replies.extend_from_slice(b"221 2.0.0 Bye\r\n");
                return true;
            }
            _ => b"500 5.5.2 Error: command not recognized\r\n",
        };
        replies.extend_from_slice(reply);
        false
    }
}

/// Finds the CRLF.CRLF that ends a message in data arriving in pieces of any size.
struct DataEnd {
    /// The last bytes seen, so a terminator split across reads is still found.
    tail: [u8; 4],
    tail_len: usize,
}

impl Default for DataEnd {
    /// The CRLF ending the DATA command counts, so "." as the very first line ends the message.
    fn default() -> Self {
        Self {
            tail: [b'\r', b'\n', 0, 0],
            tail_len: 2,
        }
    }
}

impl DataEnd {
    /// How many bytes of `data` run up to and including the terminator, if it is there.
    fn find(&mut self, data: &[u8]) -> Option<usize> {
        let head = &data[..data.len().min(4)];
        let mut seam = [0; 8];
        let seam_len = self.tail_len + head.len();
        seam[..self.tail_len].copy_from_slice(&self.tail[..self.tail_len]);
        seam[self.tail_len..seam_len].copy_from_slice(head);
        // With at most 4 bytes of `data` in the seam, any match there starts in the tail.
        if let Some(start) = seam[..seam_len].windows(5).position(|w| w == TERMINATOR) {
            return Some(start + 5 - self.tail_len);
        }
        if let Some(end) = find_within(data) {
            return Some(end);
        }
        let last = if data.len() >= 4 {
            &data[data.len() - 4..]
        } else {
            &seam[seam_len.saturating_sub(4)..seam_len]
        };
        self.tail[..last.len()].copy_from_slice(last);
        self.tail_len = last.len();
        None
    }
}

/// The end of the first CRLF.CRLF wholly inside `data`. Dots are rarer than line ends in mail,
/// so it looks for the dot and checks the bytes around it.
fn find_within(data: &[u8]) -> Option<usize> {
    let mut from = 2;
    while from + 3 <= data.len() {
        let dot = from + find_byte(&data[from..data.len() - 2], b'.')?;
        if data[dot - 2..dot] == *b"\r\n" && data[dot + 1..dot + 3] == *b"\r\n" {
            return Some(dot + 3);
        }
        from = dot + 1;
    }
    None
}

/// A std-only memchr: the fixed-width test over 32 bytes compiles to SIMD compares.
fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    let (chunks, rest) = haystack.as_chunks::<32>();
    for (i, chunk) in chunks.iter().enumerate() {
        if chunk.iter().fold(false, |seen, &b| seen | (b == needle)) {
            return chunk.iter().position(|&b| b == needle).map(|j| i * 32 + j);
        }
    }
    rest.iter()
        .position(|&b| b == needle)
        .map(|j| chunks.len() * 32 + j)
}

#[cfg(test)]
mod tests {
    use super::{DataEnd, Session};

    #[test]
    fn a_pipelined_bdat_transaction_is_accepted_however_the_reads_split_it() {
        let input = b"MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nBDAT 10 LAST\r\nhi\r\n.\r\nx\r\n\
                      MAIL FROM:<a@x.org>\r\nBDAT 0 LAST\r\nQUIT\r\n";
        for split in 1..input.len() {
            let mut session = Session {
                chunking: true,
                ..Session::default()
            };
            let (mut replies, mut accepted, mut kept) = (Vec::new(), 0, Vec::new());
            for piece in [&input[..split], &input[split..]] {
                kept.extend_from_slice(piece);
                let fed = session.feed(&kept, &mut replies);
                accepted += fed.accepted;
                kept.drain(..fed.consumed);
            }
            assert_eq!(accepted, 1, "split at {split}");
            assert_eq!(
                String::from_utf8_lossy(&replies),
                "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: queued\r\n250 2.1.0 Ok\r\n\
                 554 5.5.1 Error: no valid recipients\r\n221 2.0.0 Bye\r\n",
                "split at {split}"
            );
        }
    }

    /// Feeds `message` in pieces of `size` bytes and returns the offset just past the terminator.
    fn end_in_pieces(message: &[u8], size: usize) -> Option<usize> {
        let mut end = DataEnd::default();
        let mut offset = 0;
        for piece in message.chunks(size) {
            if let Some(n) = end.find(piece) {
                return Some(offset + n);
            }
            offset += piece.len();
        }
        None
    }

    #[test]
    fn terminator_is_found_wherever_the_reads_split_it() {
        let cases: [(&[u8], Option<usize>); 6] = [
            (b".\r\nMAIL", Some(3)),
            (b"a\r\n..\r\nb\r\n.\r\nQUIT", Some(13)),
            (b"x.\r\n.x\r\n.\r\n", Some(11)),
            (b"\r\n\r\n.\r\n", Some(7)),
            (b"a\r\n.\r", None),
            (b"no end.\r\n", None),
        ];
        for (message, expected) in cases {
            for size in 1..=message.len() {
                assert_eq!(
                    end_in_pieces(message, size),
                    expected,
                    "{message:?} in {size}s"
                );
            }
        }
    }

    #[test]
    fn terminator_is_found_after_a_long_body_full_of_dots() {
        let mut message = b"line. with. dots.\r\n..stuffed\r\n".repeat(2000);
        message.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
        let expected = Some(message.len() - 6);
        for size in [1, 7, 31, 32, 33, 4096, message.len()] {
            assert_eq!(end_in_pieces(&message, size), expected, "in {size}s");
        }
    }
}
