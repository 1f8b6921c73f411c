//! The sending socket itself: TCP_NODELAY is set (lettre's default Nagle + the receiver's delayed ACK cost
//! 43 ms per message), and MAIL, RCPT and DATA are pipelined when the relay offers PIPELINING.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use weekly_verdicts::mail::{Attempt, Relay, SmtpConnection, Timeouts};

use crate::support::smtp::{Script, SmtpServer};

#[tokio::test]
async fn the_sending_socket_has_tcp_nodelay_set() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let relay = Relay::parse(&server.url(), None, "verdicts.example.org").unwrap();

    let connection = SmtpConnection::open(&relay, Timeouts::default())
        .await
        .unwrap();

    assert!(
        connection.nodelay().unwrap(),
        "TCP_NODELAY as the kernel reports it"
    );
    assert!(connection.pipelining(), "the test server offers PIPELINING");
}

async fn next_line(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    line.trim_end().to_string()
}

/// A relay that answers nothing until it has read MAIL, RCPT and DATA: a client waiting for each reply would
/// never get past MAIL.
#[tokio::test]
async fn mail_rcpt_and_data_go_out_before_any_reply_when_the_relay_pipelines() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let relay_side = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 strict pipeliner\r\n").await.unwrap();
        // One EHLO: the client learns PIPELINING from its reply, without asking twice.
        assert!(next_line(&mut lines).await.starts_with("EHLO"));
        write
            .write_all(b"250-strict pipeliner\r\n250 PIPELINING\r\n")
            .await
            .unwrap();
        let group = [
            next_line(&mut lines).await,
            next_line(&mut lines).await,
            next_line(&mut lines).await,
        ];
        write
            .write_all(b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n")
            .await
            .unwrap();
        loop {
            if next_line(&mut lines).await == "." {
                break;
            }
        }
        write
            .write_all(b"250 2.0.0 queued as P1\r\n")
            .await
            .unwrap();
        group
    });
    let relay = Relay::parse(&url, None, "verdicts.example.org").unwrap();
    let mut connection = SmtpConnection::open(&relay, Timeouts::default())
        .await
        .unwrap();

    let attempt = tokio::time::timeout(
        Duration::from_secs(20),
        connection.send(
            &"digest@verdicts.example.org".parse().unwrap(),
            &"ann@example.org".parse().unwrap(),
            b"Subject: hi\r\n\r\nhello\r\n",
        ),
    )
    .await
    .expect("the client waited for a reply the relay never sends before DATA");

    assert_eq!(
        attempt,
        Attempt::Sent {
            reply: "250 2.0.0 queued as P1".into()
        }
    );
    let group = relay_side.await.unwrap();
    assert!(
        group[0].starts_with("MAIL FROM:<digest@verdicts.example.org>"),
        "{group:?}"
    );
    assert_eq!(group[1], "RCPT TO:<ann@example.org>");
    assert_eq!(group[2], "DATA");
}
