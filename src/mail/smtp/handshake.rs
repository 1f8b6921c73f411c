//! The start of a session with one EHLO per connection (a second one only after STARTTLS, as RFC 3207 requires).
//!
//! lettre's `connect_with_transport` reads the greeting and says EHLO itself, and keeps only the extensions it
//! uses: not PIPELINING. So lettre talks through [`Primed`], which copies what the relay says into a [`Tap`] for
//! us to read PIPELINING from. For STARTTLS the plain-text part is ours ([`starttls`]): greeting, EHLO, STARTTLS;
//! lettre then starts on the encrypted stream with the greeting replayed and says the second EHLO. When the relay
//! does not offer STARTTLS, lettre is handed the greeting and EHLO reply we already read, and its own EHLO is
//! swallowed rather than sent again.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

#[allow(deprecated)]
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::reply::{Failure, within};
use super::{ConnectError, Timeouts};
use crate::mail::relay::Relay;
use crate::mail::tls_stream::ImplicitTls;

/// What the relay said while lettre opened the session; [`Tap::take`] stops the copying.
#[derive(Debug, Clone)]
pub struct Tap(Arc<Mutex<Option<Vec<u8>>>>);

impl Tap {
    pub fn on() -> Tap {
        Tap(Arc::new(Mutex::new(Some(Vec::new()))))
    }

    fn record(&self, bytes: &[u8]) {
        if let Some(copy) = self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            copy.extend_from_slice(bytes);
        }
    }

    /// Everything copied so far; nothing is copied after this.
    pub fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_default()
    }
}

/// The stream lettre gets: first `replay` (replies we read ourselves), with lettre's first line swallowed when
/// `swallow_line` (its EHLO, already said); then `inner`. Everything lettre reads is copied into the tap.
#[derive(Debug)]
pub struct Primed<S> {
    inner: S,
    replay: Vec<u8>,
    at: usize,
    swallow_line: bool,
    tap: Tap,
}

impl<S> Primed<S> {
    pub fn new(inner: S, replay: Vec<u8>, swallow_line: bool, tap: Tap) -> Primed<S> {
        Primed {
            inner,
            replay,
            at: 0,
            swallow_line,
            tap,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Primed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.at < this.replay.len() {
            let n = (this.replay.len() - this.at).min(buf.remaining());
            let bytes = &this.replay[this.at..this.at + n];
            buf.put_slice(bytes);
            this.tap.record(bytes);
            this.at += n;
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.tap.record(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Primed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.swallow_line {
            return Poll::Ready(Ok(match memchr::memchr(b'\n', buf) {
                Some(end) => {
                    self.swallow_line = false;
                    end + 1
                }
                None => buf.len(),
            }));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S: AsyncTokioStream> AsyncTokioStream for Primed<S> {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.inner.peer_addr()
    }
}

/// Whether an EHLO reply (among other reply lines) announces the extension `keyword` (PIPELINING, CHUNKING).
pub fn offers(replies: &[u8], keyword: &str) -> bool {
    String::from_utf8_lossy(replies).lines().any(|line| {
        let rest = line
            .strip_prefix("250-")
            .or_else(|| line.strip_prefix("250 "));
        rest.and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|word| word.eq_ignore_ascii_case(keyword))
    })
}

/// How the plain-text start of a STARTTLS session ended.
pub enum PlainStart {
    /// The relay said 220 to STARTTLS: do the TLS handshake now, then replay `greeting` to lettre.
    Upgrade { greeting: Vec<u8> },
    /// The relay does not offer STARTTLS: go on in plain text, replaying `replies` (greeting and EHLO reply).
    NotOffered { replies: Vec<u8> },
}

/// Why the plain-text start failed.
pub enum StartError {
    Io(io::Error),
    /// The relay answered with this reply where another was due.
    Reply {
        what: &'static str,
        reply: String,
    },
}

/// Greeting, EHLO `hello`, and STARTTLS when the relay offers it.
pub async fn starttls(tcp: &mut TcpStream, hello: &ClientId) -> Result<PlainStart, StartError> {
    let greeting = read_reply(tcp).await?;
    expect(&greeting, "220", "greeting")?;
    tcp.write_all(format!("EHLO {hello}\r\n").as_bytes())
        .await
        .map_err(StartError::Io)?;
    let ehlo = read_reply(tcp).await?;
    expect(&ehlo, "250", "EHLO")?;
    if !offers(&ehlo, "STARTTLS") {
        let mut replies = greeting;
        replies.extend_from_slice(&ehlo);
        return Ok(PlainStart::NotOffered { replies });
    }
    tcp.write_all(b"STARTTLS\r\n")
        .await
        .map_err(StartError::Io)?;
    let ready = read_reply(tcp).await?;
    expect(&ready, "220", "STARTTLS")?;
    Ok(PlainStart::Upgrade { greeting })
}

fn expect(reply: &[u8], code: &str, what: &'static str) -> Result<(), StartError> {
    if reply.starts_with(code.as_bytes()) {
        Ok(())
    } else {
        Err(StartError::Reply {
            what,
            reply: String::from_utf8_lossy(reply)
                .trim_end()
                .replace("\r\n", " / "),
        })
    }
}

/// One whole reply, all its lines. Reads a byte at a time: the relay says nothing more until we speak, and no
/// byte of the TLS handshake that follows may end up in a buffer here.
async fn read_reply(tcp: &mut TcpStream) -> Result<Vec<u8>, StartError> {
    let mut reply = Vec::new();
    let mut line_start = 0;
    loop {
        let byte = tcp.read_u8().await.map_err(StartError::Io)?;
        reply.push(byte);
        if byte == b'\n' {
            let line = &reply[line_start..];
            // "250-more follows", "250 last line".
            if line.len() < 4 || line[3] != b'-' {
                return Ok(reply);
            }
            line_start = reply.len();
        }
        if reply.len() > 64 * 1024 {
            return Err(StartError::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                "a reply longer than 64 KiB",
            )));
        }
    }
}

fn tls_parameters(relay: &Relay) -> Result<TlsParameters, ConnectError> {
    crate::mail::tls_trust::parameters(&relay.host, &relay.roots)
        .map_err(|e| ConnectError::Refused(format!("TLS settings for {relay}: {e}")))
}

/// The TLS handshake over `tcp`; a certificate we do not trust is [`ConnectError::Untrusted`].
pub async fn encrypt(
    relay: &Relay,
    tcp: TcpStream,
    timeouts: Timeouts,
    what: &str,
) -> Result<ImplicitTls, ConnectError> {
    let params = tls_parameters(relay)?;
    #[allow(deprecated)]
    let mut tls = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
    match within(timeouts.connect, tls.upgrade_tls(params)).await {
        Ok(()) => Ok(ImplicitTls(tls)),
        Err(Failure::Smtp(e)) => Err(
            match crate::mail::tls_trust::untrusted(&e, &relay.to_string()) {
                Some(sentence) => ConnectError::Untrusted(sentence),
                None => ConnectError::Unavailable(format!("{what} {relay}: {e}")),
            },
        ),
        Err(e) => Err(ConnectError::Unavailable(format!("{what} {relay}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::offers;

    #[test]
    fn extensions_are_read_from_ehlo_reply_lines_only() {
        let ehlo =
            b"220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-CHUNKING\r\n\
                     250 8BITMIME\r\n";
        assert!(offers(ehlo, "PIPELINING"));
        assert!(offers(ehlo, "CHUNKING"));
        assert!(offers(b"250-mx\r\n250 pipelining\r\n", "PIPELINING"));
        assert!(!offers(
            b"220 mx PIPELINING CHUNKING ready\r\n250-mx\r\n250 8BITMIME\r\n",
            "PIPELINING"
        ));
        assert!(!offers(b"220 mx CHUNKING\r\n250 8BITMIME\r\n", "CHUNKING"));
        assert!(!offers(b"250-mx\r\n250 XPIPELINING\r\n", "PIPELINING"));
    }
}
