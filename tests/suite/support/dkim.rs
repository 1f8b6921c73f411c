//! DKIM test keys made by the `openssl` command line as people make them, and dkimpy (with PyNaCl for Ed25519)
//! as the independent verifier, the public keys served by its `dnsfunc`.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A private key as PEM and its DNS record (`v=DKIM1; k=...; p=...`).
pub struct TestKey {
    pub pem: String,
    pub record: String,
}

/// Runs `openssl args`, feeding `input`; its standard output.
pub fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "openssl {args:?}");
    output.stdout
}

/// A fresh 2048-bit RSA key: PKCS#1 (`-traditional`) or, as OpenSSL 3 writes by default, PKCS#8.
pub fn rsa_key(pkcs1: bool) -> TestKey {
    let args: &[&str] = if pkcs1 {
        &["genrsa", "-traditional", "2048"]
    } else {
        &["genrsa", "2048"]
    };
    let pem = String::from_utf8(openssl(args, b"")).unwrap();
    let marker = if pkcs1 {
        "BEGIN RSA PRIVATE KEY"
    } else {
        "BEGIN PRIVATE KEY"
    };
    assert!(pem.contains(marker), "{pem}");
    let public = openssl(&["pkey", "-pubout", "-outform", "DER"], pem.as_bytes());
    TestKey {
        record: format!("v=DKIM1; k=rsa; p={}", STANDARD.encode(public)),
        pem,
    }
}

/// A fresh Ed25519 key as `openssl genpkey` writes it; the record carries the bare 32-byte public key.
pub fn ed25519_key() -> TestKey {
    let pem = String::from_utf8(openssl(&["genpkey", "-algorithm", "ed25519"], b"")).unwrap();
    let public = openssl(&["pkey", "-pubout", "-outform", "DER"], pem.as_bytes());
    TestKey {
        record: format!(
            "v=DKIM1; k=ed25519; p={}",
            STANDARD.encode(&public[public.len() - 32..])
        ),
        pem,
    }
}

/// dkimpy's verdict on each DKIM-Signature of `raw`, in order; `records` maps selectors of
/// `verdicts.example.org` to their DNS records.
pub fn dkimpy(raw: &[u8], records: &[(&str, &str)]) -> Vec<bool> {
    let script = r#"
import sys, json, dkim
records = json.loads(sys.argv[1])
def dns(name, timeout=5):
    selector, domain = name.decode().split("._domainkey.")
    assert domain == "verdicts.example.org.", name
    return records[selector].encode()
message = sys.stdin.buffer.read()
d = dkim.DKIM(message)
count = sum(1 for line in message.split(b"\r\n") if line.lower().startswith(b"dkim-signature:"))
def verify(i):
    try:
        return d.verify(idx=i, dnsfunc=dns)
    except dkim.ValidationError:  # a body hash mismatch is raised, not returned
        return False
print(" ".join(str(verify(i)) for i in range(count)))
"#;
    let records: serde_json::Map<String, serde_json::Value> = records
        .iter()
        .map(|(s, r)| (s.to_string(), r.to_string().into()))
        .collect();
    let mut python = Command::new("python3")
        .args([
            "-c",
            script,
            &serde_json::Value::Object(records).to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    python.stdin.take().unwrap().write_all(raw).unwrap();
    let output = python.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "dkimpy failed (pip install dkimpy pynacl): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(|word| word == "True")
        .collect()
}
