//! DKIM signatures checked by an independent verifier (dkimpy, see `support/dkim.rs`): both signatures, tampering,
//! headers added in transit, both RSA key formats; `verdicts check` on bad and misplaced keys.

use std::path::Path;
use std::process::Command;

use weekly_verdicts::config::Secrets;
use weekly_verdicts::mail::{OVER_SIGNED, SIGNED_HEADERS};

use super::{Fixture, as_of, content_dir};
use crate::support::dkim::{dkimpy, ed25519_key, rsa_key};
use crate::support::smtp::{Script, SmtpServer};

/// Sends the week's issue to one subscriber over SMTP, signed with `secrets`' keys under `selectors`
/// (`VERDICTS_*` pairs); the message as the relay received it.
async fn signed_message(selectors: &[(&str, &str)], secrets: Secrets) -> Vec<u8> {
    let server = SmtpServer::start(Script::accept_all()).await;
    let fixture = Fixture::new(Some(&server.url()), selectors);
    fixture.seed(1);
    super::send_job(&fixture.config, &secrets, as_of(), fixture.options())
        .await
        .unwrap();
    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let mut raw = messages[0].data.clone();
    raw.extend_from_slice(b"\r\n");
    raw
}

/// A message signed with a PKCS#8 RSA key in the variable and an Ed25519 key named by a path, with its records.
async fn doubly_signed() -> (String, Vec<(&'static str, String)>) {
    let (rsa, ed) = (rsa_key(false), ed25519_key());
    let dir = tempfile::tempdir().unwrap();
    let ed_path = dir.path().join("ed25519.pem");
    std::fs::write(&ed_path, &ed.pem).unwrap();
    let secrets = Secrets {
        dkim_key: Some(rsa.pem.clone()),
        dkim_ed25519_key: Some(ed_path.display().to_string()),
        ..Secrets::default()
    };
    let selectors = [
        ("VERDICTS_DKIM_SELECTOR", "rsa"),
        ("VERDICTS_DKIM_ED25519_SELECTOR", "ed"),
    ];
    let raw = signed_message(&selectors, secrets).await;
    (
        String::from_utf8(raw).unwrap(),
        vec![("rsa", rsa.record), ("ed", ed.record)],
    )
}

fn verdicts_of(text: &str, records: &[(&'static str, String)]) -> Vec<bool> {
    let records: Vec<(&str, &str)> = records.iter().map(|(s, r)| (*s, r.as_str())).collect();
    dkimpy(text.as_bytes(), &records)
}

/// The `h=` names of every signature, lower-cased.
fn signed_names(text: &str) -> Vec<Vec<String>> {
    let unfolded = text.replace("\r\n\t", " ");
    unfolded
        .lines()
        .filter(|line| line.starts_with("DKIM-Signature:"))
        .map(|line| {
            let h = line
                .split(';')
                .find_map(|tag| tag.trim().strip_prefix("h="))
                .unwrap();
            h.split(':').map(|n| n.trim().to_string()).collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_and_ed25519_signatures_both_verify_with_dkimpy_and_a_changed_header_or_body_fails_both()
 {
    let (text, records) = doubly_signed().await;
    assert!(text.contains("a=rsa-sha256; c=relaxed/relaxed; d=verdicts.example.org; s=rsa;"));
    assert!(text.contains("a=ed25519-sha256; c=relaxed/relaxed; d=verdicts.example.org; s=ed;"));
    for names in signed_names(&text) {
        for header in SIGNED_HEADERS {
            let copies = names
                .iter()
                .filter(|n| **n == header.to_ascii_lowercase())
                .count();
            let expected = if OVER_SIGNED.contains(&header) { 2 } else { 1 };
            assert_eq!(copies, expected, "{header} in h={names:?}");
        }
    }
    assert_eq!(verdicts_of(&text, &records), [true, true], "untouched");

    let post = "List-Unsubscribe-Post: List-Unsubscribe=One-Click";
    assert!(text.contains(post));
    let changed = [
        text.replacen(
            post,
            "List-Unsubscribe-Post: List-Unsubscribe=Two-Clicks",
            1,
        ),
        text.replacen("\r\nSubject: ", "\r\nSubject: Re: ", 1),
        text.replacen(
            "Content-Type: multipart/alternative",
            "Content-Type: multipart/mixed",
            1,
        ),
        text.replacen(
            "verdicts.example.org/archive/",
            "evil.example.org/archive/",
            1,
        ),
    ];
    for tampered in changed {
        assert_ne!(tampered, text);
        assert_eq!(verdicts_of(&tampered, &records), [false, false]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_from_or_subject_added_in_transit_breaks_both_signatures() {
    let (text, records) = doubly_signed().await;
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    // An unsigned header added in transit is harmless: the failures below are the over-signing's doing.
    let relayed = format!("X-Scanned: yes\r\n{head}\r\nX-Spam-Score: 0\r\n\r\n{body}");
    assert_eq!(verdicts_of(&relayed, &records), [true, true]);
    for added in [
        format!("From: Security Team <security@evil.example>\r\n{head}\r\n\r\n{body}"),
        format!("{head}\r\nFrom: Security Team <security@evil.example>\r\n\r\n{body}"),
        format!("{head}\r\nSubject: Your account is suspended\r\n\r\n{body}"),
        format!("Subject: Your account is suspended\r\n{head}\r\n\r\n{body}"),
    ] {
        assert_eq!(
            verdicts_of(&added, &records),
            [false, false],
            "{added:.200}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkcs1_and_pkcs8_rsa_keys_both_sign_messages_that_verify() {
    for pkcs1 in [true, false] {
        let key = rsa_key(pkcs1);
        let secrets = Secrets {
            dkim_key: Some(key.pem),
            ..Secrets::default()
        };
        let raw = signed_message(&[("VERDICTS_DKIM_SELECTOR", "test")], secrets).await;
        assert_eq!(
            dkimpy(&raw, &[("test", &key.record)]),
            [true],
            "PKCS#1: {pkcs1}"
        );
    }
}

/// `verdicts check` on the sample content with `env`; (exit code, stdout, stderr).
fn check(env: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .arg("check")
        .current_dir(dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env_remove("VERDICTS_DKIM_KEY")
        .env_remove("VERDICTS_DKIM_ED25519_KEY")
        .env("VERDICTS_CONTENT_DIR", content_dir())
        .envs(env.iter().copied())
        .output()
        .expect("verdicts runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_loads_every_key_names_a_bad_key_file_and_says_which_variable_a_misplaced_key_belongs_in() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let (rsa, ed) = (rsa_key(false), ed25519_key());
    let rsa_path = write("rsa.pem", &rsa.pem);
    let ed_path = write("ed.pem", &ed.pem);
    let bad = write(
        "broken.pem",
        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
    );
    let selectors = [
        ("VERDICTS_DKIM_SELECTOR", "rsa"),
        ("VERDICTS_DKIM_ED25519_SELECTOR", "ed"),
    ];
    let with = |rsa: &str, ed: &str| {
        let mut env = selectors.to_vec();
        env.extend([
            ("VERDICTS_DKIM_KEY", rsa),
            ("VERDICTS_DKIM_ED25519_KEY", ed),
        ]);
        check(&env)
    };

    let (code, stdout, stderr) = with(&rsa_path, &ed_path);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "DKIM: rsa-sha256 (selector rsa), ed25519-sha256 (selector ed) for verdicts.example.org"
        ),
        "{stdout}"
    );

    let (code, _, stderr) = with(&bad, &ed_path);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(&format!("VERDICTS_DKIM_KEY (file {bad})")),
        "{stderr}"
    );

    let (code, _, stderr) = with(&ed_path, &rsa_path);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("holds an Ed25519 key: put it in VERDICTS_DKIM_ED25519_KEY"),
        "{stderr}"
    );
    assert!(
        stderr.contains("holds an RSA key: put it in VERDICTS_DKIM_KEY"),
        "{stderr}"
    );

    let missing = dir.path().join("missing.pem").display().to_string();
    let (code, _, stderr) = with(&rsa_path, &missing);
    assert_eq!(code, 3);
    assert!(
        stderr.contains(&format!("cannot read the key file {missing}")),
        "{stderr}"
    );
    assert!(!Path::new(&missing).exists());
}

#[test]
fn a_selector_without_a_key_is_refused_with_advice() {
    let fixture = Fixture::new(None, &[("VERDICTS_DKIM_SELECTOR", "test")]);
    let err = weekly_verdicts::mail::DkimSigner::from_config(&fixture.config, &Secrets::default())
        .unwrap_err();
    assert!(err.to_string().contains("VERDICTS_DKIM_KEY"), "{err}");
}
