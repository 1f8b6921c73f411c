//! DKIM signatures checked by an independent verifier (dkimpy), with the public key served by its `dnsfunc`.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use weekly_verdicts::config::Secrets;
use weekly_verdicts::mail::SIGNED_HEADERS;

use super::{Fixture, as_of};
use crate::support::smtp::{Script, SmtpServer};

/// A fresh 2048-bit RSA key: (PKCS#1 PEM, base64 DER public key for the DNS record).
pub fn test_key() -> (String, String) {
    let private = Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .stderr(Stdio::null())
        .output()
        .expect("openssl runs");
    assert!(private.status.success());
    let mut public = Command::new("openssl")
        .args(["rsa", "-pubout", "-outform", "DER"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    public
        .stdin
        .take()
        .unwrap()
        .write_all(&private.stdout)
        .unwrap();
    let der = public.wait_with_output().unwrap().stdout;
    (
        String::from_utf8(private.stdout).unwrap(),
        base64::engine::general_purpose::STANDARD.encode(der),
    )
}

/// dkimpy's verdict on `raw`, looking the key up as `test._domainkey.verdicts.example.org`.
pub fn dkimpy_verifies(raw: &[u8], public_key: &str) -> bool {
    let script = r#"
import sys, dkim
key = sys.argv[1].encode()
def dns(name, timeout=5):
    assert name == b"test._domainkey.verdicts.example.org.", name
    return b"v=DKIM1; k=rsa; p=" + key
print(dkim.verify(sys.stdin.buffer.read(), dnsfunc=dns))
"#;
    let mut python = Command::new("python3")
        .args(["-c", script, public_key])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    python.stdin.take().unwrap().write_all(raw).unwrap();
    let output = python.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "dkimpy failed (pip install dkimpy): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim() == "True"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_messages_verify_with_dkimpy_and_fail_once_a_signed_header_changes() {
    let (private_pem, public_key) = test_key();
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), &[("VERDICTS_DKIM_SELECTOR", "test")]);
    fixture.seed(2);
    let secrets = Secrets {
        dkim_key: Some(private_pem),
        ..Secrets::default()
    };

    super::send_job(&fixture.config, &secrets, as_of(), fixture.options())
        .await
        .unwrap();

    let messages = server.messages();
    assert_eq!(messages.len(), 2);
    let message = &messages[0];
    let signature = message.header("DKIM-Signature").expect("signed");
    assert!(signature.contains("c=relaxed/relaxed"), "{signature}");
    assert!(signature.contains("d=verdicts.example.org"), "{signature}");
    let signed: String = signature
        .split(';')
        .find_map(|tag| tag.trim().strip_prefix("h="))
        .unwrap()
        .split_whitespace()
        .collect();
    let signed: Vec<&str> = signed.split(':').collect();
    for header in SIGNED_HEADERS {
        assert!(
            signed.contains(&header.to_ascii_lowercase().as_str()),
            "{header} not in h={signed:?}"
        );
    }
    let mut raw = message.data.clone();
    raw.extend_from_slice(b"\r\n");
    assert!(
        dkimpy_verifies(&raw, &public_key),
        "an untouched message verifies"
    );

    let text = String::from_utf8(raw).unwrap();
    let unsubscribe = message.header("List-Unsubscribe-Post").unwrap();
    let tampered = text.replacen(
        &format!("List-Unsubscribe-Post: {unsubscribe}"),
        "List-Unsubscribe-Post: List-Unsubscribe=Two-Clicks",
        1,
    );
    assert_ne!(tampered, text);
    assert!(
        !dkimpy_verifies(tampered.as_bytes(), &public_key),
        "a changed header fails"
    );
    let subject_changed = text.replacen("Subject: ", "Subject: Re: ", 1);
    assert!(!dkimpy_verifies(subject_changed.as_bytes(), &public_key));
}

#[test]
fn a_selector_without_a_key_is_refused_with_advice() {
    let fixture = Fixture::new(None, &[("VERDICTS_DKIM_SELECTOR", "test")]);
    let err = weekly_verdicts::mail::DkimSigner::from_config(&fixture.config, &Secrets::default())
        .unwrap_err();
    assert!(err.to_string().contains("VERDICTS_DKIM_KEY"), "{err}");
}
