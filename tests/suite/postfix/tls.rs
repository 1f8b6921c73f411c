//! STARTTLS to Postfix: the test CA trusted through `tls_ca_file` (or `SSL_CERT_FILE`), and a certificate
//! nothing trusts stopping the run at once, saying which host, what is wrong and which setting fixes it.

use super::{said, send};
use crate::delivery::{AS_OF, Fixture, address, assert_all_final, verdicts};
use crate::support::postfix::Postfix;

/// The exit code of a send stopped by a certificate the sender does not trust.
const TLS_UNTRUSTED: i32 = 7;

#[test]
fn starttls_to_postfix_trusting_the_test_ca_through_ssl_cert_file_delivers_encrypted() {
    let Some(postfix) = Postfix::start(&[]) else {
        return;
    };
    let fixture = Fixture::new(None, &[]);
    fixture.seed(3);
    let ca = postfix.ca_file().display().to_string();
    let url = format!("{}?tls=required", postfix.url(postfix.tls));

    let sent = send(&fixture, &url, &[("SSL_CERT_FILE", &ca)]);

    assert_eq!(sent.status.code(), Some(0), "{}", said(&sent));
    assert_all_final(&fixture, 3);
    for message in postfix.delivered(3) {
        assert!(
            message.received().contains("with ESMTPS"),
            "{}",
            message.received()
        );
    }
}

#[test]
fn starttls_to_postfix_with_tls_ca_file_delivers_encrypted_and_check_loads_the_file() {
    let Some(postfix) = Postfix::start(&[]) else {
        return;
    };
    let fixture = Fixture::new(None, &[]);
    fixture.seed(3);
    let ca = postfix.ca_file().display().to_string();
    let url = postfix.url(postfix.tls);

    let sent = send(&fixture, &url, &[("VERDICTS_TLS_CA_FILE", &ca)]);
    let test_copy = verdicts(&fixture, &url)
        .args(["send", "--as-of", AS_OF, "--to", "copy@example.org"])
        .env("VERDICTS_TLS_CA_FILE", &ca)
        .output()
        .unwrap();
    let checked = verdicts(&fixture, &url)
        .arg("check")
        .env("VERDICTS_TLS_CA_FILE", &ca)
        .output()
        .unwrap();
    let not_pem = fixture.dir.path().join("not-a-ca.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let refused = verdicts(&fixture, &url)
        .arg("check")
        .env("VERDICTS_TLS_CA_FILE", &not_pem)
        .output()
        .unwrap();

    assert_eq!(sent.status.code(), Some(0), "{}", said(&sent));
    assert_eq!(test_copy.status.code(), Some(0), "{}", said(&test_copy));
    assert_all_final(&fixture, 3);
    let messages = postfix.delivered(4);
    assert_eq!(messages.len(), 4);
    for message in &messages {
        assert!(
            message.received().contains("with ESMTPS"),
            "{}",
            message.received()
        );
    }
    assert_eq!(checked.status.code(), Some(0), "{}", said(&checked));
    assert_eq!(refused.status.code(), Some(3), "{}", said(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("tls_ca_file") && stderr.contains("not-a-ca.pem"),
        "{stderr}"
    );
}

#[test]
fn a_relay_certificate_the_sender_does_not_trust_stops_the_send_at_once_with_its_own_exit_code_and_the_fix()
 {
    let Some(postfix) = Postfix::start(&[]) else {
        return;
    };
    let url = postfix.url(postfix.untrusted);
    let rogue = postfix.rogue_file().display().to_string();
    // Unknown issuer: nothing vouches for the certificate. Then the certificate itself trusted, but it is a CA
    // certificate presented as a server's (what `openssl req -x509` makes).
    for (trust, what) in [
        (None, "unknown issuer"),
        (Some(rogue.as_str()), "CA certificate"),
    ] {
        let fixture = Fixture::new(None, &[]);
        fixture.seed(5);
        let mut env = vec![("VERDICTS_CONCURRENCY", "2")];
        if let Some(file) = trust {
            env.push(("VERDICTS_TLS_CA_FILE", file));
        }

        let sent = send(&fixture, &url, &env);

        assert_eq!(
            sent.status.code(),
            Some(TLS_UNTRUSTED),
            "{what}: {}",
            said(&sent)
        );
        let stderr = String::from_utf8_lossy(&sent.stderr);
        assert!(
            stderr.contains("127.0.0.1"),
            "{what}: names the host: {stderr}"
        );
        assert!(stderr.contains("certificate"), "{what}: {stderr}");
        assert!(
            stderr.contains("tls_ca_file"),
            "{what}: names the fix: {stderr}"
        );
        assert!(
            !stderr.contains("run `verdicts send` again"),
            "{what}: running again cannot help: {stderr}"
        );
        for row in fixture.ledger() {
            assert_eq!(
                (row.state.as_str(), row.attempts),
                ("pending", 0),
                "{what}: {row:?}"
            );
        }
        assert_eq!(fixture.row(&address(0)).attempts, 0);
    }
    postfix.wait_for_disconnects(std::time::Duration::from_secs(10));
    let sessions = postfix.disconnects();
    assert!(
        sessions.len() <= 4,
        "at most one try per worker and run, not a reconnect storm: {sessions:?}"
    );
    assert!(postfix.delivered(0).is_empty());
}
