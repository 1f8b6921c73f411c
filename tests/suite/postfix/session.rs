//! The SMTP session as Postfix counts it in its `disconnect from … ehlo=N … quit=N` log line: one EHLO per
//! connection (two with STARTTLS, as RFC 3207 requires), the configured `helo_name`, messages as BDAT chunks
//! (Postfix offers CHUNKING) rather than DATA, and QUIT at the end.

use std::time::Duration;

use super::{said, send};
use crate::delivery::{Fixture, assert_all_final};
use crate::support::postfix::Postfix;

#[test]
fn digest_connections_say_ehlo_once_with_the_helo_name_and_end_with_quit() {
    let Some(postfix) = Postfix::start(&[]) else {
        return;
    };
    let ca = postfix.ca_file().display().to_string();
    for port in [postfix.plain, postfix.tls] {
        let fixture = Fixture::new(None, &[]);
        fixture.seed(10);

        let sent = send(
            &fixture,
            &postfix.url(port),
            &[
                ("VERDICTS_CONCURRENCY", "2"),
                ("VERDICTS_HELO_NAME", "mta.verdicts.example.org"),
                ("VERDICTS_TLS_CA_FILE", &ca),
            ],
        );

        assert_eq!(sent.status.code(), Some(0), "{}", said(&sent));
        assert_all_final(&fixture, 10);
    }
    postfix.wait_for_disconnects(Duration::from_secs(10));
    let disconnects = postfix.disconnects();
    assert!(disconnects.len() >= 2, "{disconnects:?}");
    for line in &disconnects {
        let expected = if line.contains("starttls=1") {
            "ehlo=2 starttls=1"
        } else {
            "ehlo=1 mail="
        };
        assert!(line.contains(expected), "{line}");
        assert!(line.contains("quit=1"), "{line}");
        assert!(
            line.contains(" bdat=") && !line.contains(" data="),
            "{line}"
        );
    }
    assert!(disconnects.iter().any(|line| line.contains("starttls=1")));
    for message in postfix.delivered(20) {
        assert!(
            message
                .received()
                .starts_with("from mta.verdicts.example.org "),
            "{}",
            message.received()
        );
    }
}
