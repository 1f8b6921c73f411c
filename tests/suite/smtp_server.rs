//! Tests of the scriptable SMTP server in `support::smtp`, driven by lettre and by raw TCP.

use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::{ClientId, Extension};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::support::smtp::{Action, Received, Rule, Script, SmtpServer, Stage};

const WAIT: Duration = Duration::from_secs(5);

fn transport(server: &SmtpServer) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(server.port())
        .build()
}

fn letter(to: &[&str], body: &str) -> Message {
    let mut builder = Message::builder()
        .from("Verdicts <editor@verdicts.test>".parse().unwrap())
        .subject("This week's verdicts")
        .header(ContentType::TEXT_PLAIN);
    for address in to {
        builder = builder.to(address.parse().unwrap());
    }
    builder.body(body.to_owned()).unwrap()
}

/// Reads one reply, following "250-" continuation lines, and returns its lines joined by "\n".
async fn reply(reader: &mut BufReader<TcpStream>) -> String {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        let line = line.trim_end().to_owned();
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line);
        if last {
            return lines.join("\n");
        }
    }
}

#[tokio::test]
async fn message_sent_by_lettre_is_kept_byte_exactly_and_dot_unstuffed() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let email = letter(
        &["a@x.org", "b@x.org"],
        "Hello\r\n.leading dot\r\n.\r\n..two dots\r\nbye\r\n",
    );
    let expected = email.formatted();

    transport(&server).send(email).await.unwrap();

    let messages = server.wait_for_messages(1, WAIT).await;
    assert_eq!(messages.len(), 1);
    let received = &messages[0];
    assert_eq!(received.mail_from, "editor@verdicts.test");
    assert_eq!(received.rcpt_to, ["a@x.org", "b@x.org"]);
    assert_eq!(received.data, expected);
    assert!(
        received
            .raw_text()
            .contains("\r\n.leading dot\r\n.\r\n..two dots\r\n")
    );
    assert_eq!(received.connection, 1);
}

#[tokio::test]
async fn rcpt_rule_with_452_is_seen_as_transient_by_lettre() {
    let rule = Rule::at(Stage::Rcpt)
        .for_recipient("b@x.org")
        .reply("452 4.2.2 mailbox full");
    let server = SmtpServer::start(Script::accept_all().rule(rule)).await;

    let err = transport(&server)
        .send(letter(&["a@x.org", "b@x.org"], "hi"))
        .await
        .unwrap_err();

    assert!(err.is_transient(), "{err}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn rcpt_rule_with_550_is_seen_as_permanent_by_lettre() {
    let rule = Rule::at(Stage::Rcpt)
        .for_recipient("b@x.org")
        .reply("550 5.1.1 no such user");
    let server = SmtpServer::start(Script::accept_all().rule(rule)).await;
    let transport = transport(&server);

    let err = transport
        .send(letter(&["b@x.org"], "hi"))
        .await
        .unwrap_err();
    transport.send(letter(&["a@x.org"], "hi")).await.unwrap();

    assert!(err.is_permanent(), "{err}");
    let messages = server.wait_for_messages(1, WAIT).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].rcpt_to, ["a@x.org"]);
}

#[tokio::test]
async fn rule_limited_to_one_time_fires_once_then_the_retry_succeeds() {
    let rule = Rule::at(Stage::DataEnd)
        .reply("451 4.3.0 try again later")
        .times(1);
    let server = SmtpServer::start(Script::accept_all().rule(rule)).await;
    let transport = transport(&server);

    let first = transport.send(letter(&["a@x.org"], "hi")).await;
    let retry = transport.send(letter(&["a@x.org"], "hi")).await;

    assert!(first.unwrap_err().is_transient());
    retry.unwrap();
    assert_eq!(server.wait_for_messages(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn drop_after_the_final_dot_is_a_connection_error_and_keeps_nothing() {
    let rule = Rule::at(Stage::DataEnd).drop_connection();
    let server = SmtpServer::start(Script::accept_all().rule(rule)).await;

    let err = transport(&server)
        .send(letter(&["a@x.org"], "hi"))
        .await
        .unwrap_err();

    assert!(!err.is_transient() && !err.is_permanent(), "{err}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn data_end_rule_for_one_recipient_fires_only_when_the_transaction_includes_it() {
    let rule = Rule::at(Stage::DataEnd)
        .for_recipient("b@x.org")
        .reply("554 5.7.1 rejected");
    let server = SmtpServer::start(Script::accept_all().rule(rule)).await;
    let transport = transport(&server);

    transport
        .send(letter(&["a@x.org", "c@x.org"], "hi"))
        .await
        .unwrap();
    let err = transport
        .send(letter(&["a@x.org", "B@x.org"], "hi"))
        .await
        .unwrap_err();

    assert!(err.is_permanent(), "{err}");
    let messages = server.wait_for_messages(1, WAIT).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].rcpt_to, ["a@x.org", "c@x.org"]);
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let mut client = BufReader::new(TcpStream::connect(server.addr()).await.unwrap());
    assert!(reply(&mut client).await.starts_with("220 "));

    client
        .get_mut()
        .write_all(b"EHLO me\r\nMAIL FROM:<> BODY=8BITMIME\r\nRCPT TO:<a@x.org>\r\nDATA\r\n")
        .await
        .unwrap();
    let ehlo = reply(&mut client).await;
    for extension in [
        "8BITMIME",
        "SIZE",
        "PIPELINING",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
    ] {
        assert!(ehlo.contains(extension), "{ehlo}");
    }
    assert!(reply(&mut client).await.starts_with("250 "));
    assert!(reply(&mut client).await.starts_with("250 "));
    assert!(reply(&mut client).await.starts_with("354 "));
    client
        .get_mut()
        .write_all(b"Subject: hi\r\n\r\n..dot\r\n.\r\nVRFY a\r\nXYZZY\r\nNOOP\r\nRSET\r\nQUIT\r\n")
        .await
        .unwrap();
    let mut codes = Vec::new();
    for _ in 0..6 {
        codes.push(reply(&mut client).await[..3].to_owned());
    }

    assert_eq!(codes, ["250", "252", "500", "250", "250", "221"]);
    let messages = server.wait_for_messages(1, WAIT).await;
    assert_eq!(messages[0].data, b"Subject: hi\r\n\r\n.dot");
    assert_eq!(messages[0].mail_from, "");
    let commands: Vec<String> = server
        .commands()
        .into_iter()
        .map(|(_, line)| line)
        .collect();
    assert_eq!(commands[1], "MAIL FROM:<> BODY=8BITMIME");
    assert_eq!(commands.last().unwrap(), "QUIT");
}

#[tokio::test]
async fn lettre_connection_sees_the_advertised_extensions() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let hello = ClientId::Domain("tests.verdicts.test".to_owned());
    let mut connection =
        AsyncSmtpConnection::connect_tokio1(server.addr(), Some(WAIT), &hello, None, None)
            .await
            .unwrap();

    assert!(
        connection
            .server_info()
            .supports_feature(Extension::EightBitMime)
    );
    assert!(
        connection
            .server_info()
            .supports_feature(Extension::SmtpUtfEight)
    );
    let envelope = Envelope::new(None, vec!["ü@x.org".parse().unwrap()]).unwrap();
    connection
        .send(&envelope, "Subject: é\r\n\r\nbody".as_bytes())
        .await
        .unwrap();
    connection.quit().await.unwrap();

    let messages = server.wait_for_messages(1, WAIT).await;
    assert_eq!(messages[0].rcpt_to, ["ü@x.org"]);
    assert_eq!(messages[0].header("subject").as_deref(), Some("é"));
    assert_eq!(
        server.commands()[0],
        (1, "EHLO tests.verdicts.test".to_owned())
    );
}

#[tokio::test]
async fn transport_built_from_the_server_url_delivers() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&server.url())
        .unwrap()
        .build();

    transport.send(letter(&["a@x.org"], "hi")).await.unwrap();

    assert_eq!(server.wait_for_messages(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn stall_at_the_greeting_delays_the_220() {
    let stall = Duration::from_millis(300);
    let server =
        SmtpServer::start(Script::accept_all().rule(Rule::at(Stage::Connect).stall(stall))).await;
    let started = Instant::now();

    let mut client = BufReader::new(TcpStream::connect(server.addr()).await.unwrap());
    let greeting = reply(&mut client).await;

    assert!(greeting.starts_with("220 "), "{greeting}");
    assert!(started.elapsed() >= stall);
}

#[tokio::test]
async fn stall_at_data_end_keeps_the_client_waiting_then_accepts() {
    let rule = Rule::at(Stage::DataEnd).stall(Duration::from_millis(300));
    let server = SmtpServer::start(Script::accept_all().rule(rule)).await;
    let transport = transport(&server);

    let send = transport.send(letter(&["a@x.org"], "hi"));
    let waited = tokio::time::timeout(Duration::from_millis(100), send).await;

    assert!(waited.is_err(), "the reply came before the stall ended");
    assert!(server.messages().is_empty());
    assert_eq!(server.wait_for_messages(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn stall_then_drop_at_mail_closes_the_connection_without_a_reply() {
    let rule = Rule::at(Stage::Mail).stall_then_drop(Duration::from_millis(50));
    let server = SmtpServer::start(Script::accept_all().rule(rule)).await;

    let err = transport(&server)
        .send(letter(&["a@x.org"], "hi"))
        .await
        .unwrap_err();

    assert!(!err.is_transient() && !err.is_permanent(), "{err}");
    assert!(
        server
            .commands()
            .iter()
            .any(|(_, line)| line.starts_with("MAIL FROM:"))
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn set_script_changes_faults_on_a_running_server() {
    let server = SmtpServer::start(Script::accept_all()).await;
    let transport = transport(&server);
    transport.send(letter(&["a@x.org"], "hi")).await.unwrap();

    let refuse = Rule::at(Stage::Mail).action(Action::Reply("421 4.3.2 shutting down".to_owned()));
    server.set_script(Script::accept_all().rule(refuse));
    let refused = transport.send(letter(&["a@x.org"], "hi")).await;
    server.set_script(Script::accept_all());
    transport.send(letter(&["a@x.org"], "hi")).await.unwrap();

    assert!(refused.unwrap_err().is_transient());
    assert_eq!(server.wait_for_messages(2, WAIT).await.len(), 2);
    assert!(
        server.connections() >= 2,
        "a refused transaction ends lettre's connection"
    );
}

#[test]
fn header_is_the_first_match_unfolded() {
    let received = Received {
        mail_from: String::new(),
        rcpt_to: Vec::new(),
        data: b"Subject: one\r\n\ttwo\r\nsubject: later\r\nTo: a@x.org\r\n\r\nX-Body: no".to_vec(),
        connection: 1,
    };

    assert_eq!(received.header("SUBJECT").as_deref(), Some("one\ttwo"));
    assert_eq!(received.header("to").as_deref(), Some("a@x.org"));
    assert_eq!(received.header("X-Body"), None);
}
