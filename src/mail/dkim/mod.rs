//! DKIM signing of each message's bytes: RSA-SHA256 when `dkim_selector` and `VERDICTS_DKIM_KEY` are set,
//! Ed25519-SHA256 (RFC 8463) beside it when `dkim_ed25519_selector` and `VERDICTS_DKIM_ED25519_KEY` are.
//!
//! Hand-written over the raw bytes rather than lettre's `dkim` feature: lettre signs only a `lettre::Message`
//! (the stamped fast path never builds one) and uses the `rsa` crate, about 7× slower than OpenSSL and open to
//! the Marvin timing attack (RUSTSEC-2023-0071). `aws-lc-rs` (AWS-LC, which keeps OpenSSL's RSA code paths,
//! AVX-512 IFMA included) signs in constant time at about OpenSSL's CPU cost per signature; `ring`, which rustls
//! still uses for TLS, took about 2.5 times that per RSA signature on the AVX-512 benchmark machine.
//!
//! relaxed/relaxed over every header a receiver judges (RFC 8058 section 4 wants List-Unsubscribe and
//! List-Unsubscribe-Post signed for one-click), with the headers a forger would add named once more than they
//! appear (over-signing), so that a copy added in transit breaks the signature.

mod body;
mod canon;
mod key;
mod pool;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use anyhow::{Result, anyhow, ensure};
use aws_lc_rs::digest::{Digest, SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::config::{Config, Secrets};
pub use body::BodyTemplate;
use canon::Message;
use pool::Pool;

/// The headers in `h=`, each named once per copy in the message and at least once (so one cannot be added
/// where there was none).
pub const SIGNED_HEADERS: [&str; 11] = [
    "From",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// The headers named once more than they appear: what a receiver shows, and the one-click unsubscribe.
pub const OVER_SIGNED: [&str; 4] = [
    "From",
    "Subject",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

enum Algorithm {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

struct Key {
    selector: String,
    algorithm: Algorithm,
}

struct Keys {
    domain: String,
    keys: Vec<Key>,
    random: SystemRandom,
}

/// Signs messages for the sender's domain, with one signature per configured key. Cheap to clone.
#[derive(Clone)]
pub struct DkimSigner {
    keys: Arc<Keys>,
    /// One signing thread per core.
    pool: Arc<Pool>,
}

/// A stamped message's body as its issue's template and the byte ranges of the message that differ from it:
/// the signer hashes the template's shared parts once per issue instead of the whole body per message.
#[derive(Debug, Clone)]
pub struct StampedBody {
    pub template: Arc<BodyTemplate>,
    pub slots: Vec<Range<usize>>,
}

impl fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl DkimSigner {
    /// `None` when DKIM is not configured; an error naming every problem (half a pair set, an unusable key).
    pub fn from_config(config: &Config, secrets: &Secrets) -> Result<Option<DkimSigner>> {
        DkimSigner::load(config, secrets).map_err(|problems| anyhow!(problems.join("\n")))
    }

    /// As `from_config`, with each problem apart (for `verdicts check`).
    pub fn load(config: &Config, secrets: &Secrets) -> Result<Option<DkimSigner>, Vec<String>> {
        let mut keys = Vec::new();
        let mut problems = Vec::new();
        let pairs = [
            (
                "dkim_selector",
                key::RSA_VAR,
                &config.dkim_selector,
                &secrets.dkim_key,
            ),
            (
                "dkim_ed25519_selector",
                key::ED25519_VAR,
                &config.dkim_ed25519_selector,
                &secrets.dkim_ed25519_key,
            ),
        ];
        for (setting, var, selector, value) in pairs {
            let loaded = match (selector, value) {
                (None, None) => continue,
                (Some(_), None) => Err(format!(
                    "{setting} is set but {var} is not: set it to the PEM private key (or a path to it), \
                     or remove {setting}"
                )),
                (None, Some(_)) => Err(format!(
                    "{var} is set but {setting} is not: set {setting} to the selector published in DNS \
                     ({{selector}}._domainkey.{})",
                    config.sender_domain()
                )),
                (Some(selector), Some(value)) => check_selector(setting, selector).and_then(|()| {
                    let algorithm = if var == key::RSA_VAR {
                        key::rsa(value).map(Algorithm::Rsa)
                    } else {
                        key::ed25519(value).map(Algorithm::Ed25519)
                    };
                    algorithm.map(|algorithm| Key {
                        selector: selector.clone(),
                        algorithm,
                    })
                }),
            };
            match loaded {
                Ok(key) => keys.push(key),
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        if keys.is_empty() {
            return Ok(None);
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Some(DkimSigner {
            keys: Arc::new(Keys {
                domain: config.sender_domain().to_string(),
                keys,
                random: SystemRandom::new(),
            }),
            pool: Arc::new(Pool::new(cores)),
        }))
    }

    /// What signs, for `check` and logs: `rsa-sha256 (selector s), ed25519-sha256 (selector e) for example.org`.
    pub fn describe(&self) -> String {
        let keys: Vec<String> = self
            .keys
            .keys
            .iter()
            .map(|key| format!("{} (selector {})", key.algorithm.tag(), key.selector))
            .collect();
        format!("{} for {}", keys.join(", "), self.keys.domain)
    }

    /// The message with a DKIM-Signature header per key in front of it.
    pub fn sign(&self, raw: &[u8]) -> Result<Vec<u8>> {
        let message = Message::split(raw);
        self.sign_split(raw, &message, canon::body_hash(message.body))
    }

    /// `sign` for a message stamped from `body`'s template: the same signatures, with the body hash taken
    /// from the template (the whole body is hashed when the message does not fit it). Debug builds (the test
    /// suite) also hash every whole body and fail on a difference; release builds compare the first message's
    /// and, on a difference, hash every body in full from then on.
    pub fn sign_stamped(&self, raw: &[u8], body: &StampedBody) -> Result<Vec<u8>> {
        let message = Message::split(raw);
        let hash = match body.template.body_hash(raw, &body.slots) {
            None => canon::body_hash(message.body),
            Some(hash) if !cfg!(debug_assertions) && !body.template.first_use() => hash,
            Some(hash) => {
                let whole = canon::body_hash(message.body);
                if hash.as_ref() != whole.as_ref() {
                    ensure!(
                        !cfg!(debug_assertions),
                        "the body hash from the issue's template differs from the message's"
                    );
                    tracing::warn!(
                        "a body hash from the issue's template differed from the whole body's; hashing each \
                         body in full"
                    );
                    body.template.turn_off();
                }
                whole
            }
        };
        self.sign_split(raw, &message, hash)
    }

    fn sign_split(&self, raw: &[u8], message: &Message, body_hash: Digest) -> Result<Vec<u8>> {
        let body_hash = STANDARD.encode(body_hash);
        let names = self.header_names(message);
        let signed = message.signed_headers(&names);
        let h = names.join(":").to_ascii_lowercase();
        let mut out = Vec::with_capacity(raw.len() + 1024);
        for key in &self.keys.keys {
            let header = format!(
                "DKIM-Signature: v=1; a={}; c=relaxed/relaxed; d={}; s={};\r\n\th={};\r\n\tbh={};\r\n\tb=",
                key.algorithm.tag(),
                self.keys.domain,
                key.selector,
                h,
                body_hash
            );
            let mut data = Vec::with_capacity(signed.len() + header.len());
            data.extend_from_slice(&signed);
            canon::relaxed_header(header.as_bytes(), &mut data);
            let signature = key.algorithm.sign(&data, &self.keys.random)?;
            out.extend_from_slice(header.as_bytes());
            fold_into(&STANDARD.encode(signature), &mut out);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(raw);
        Ok(out)
    }

    /// `sign` (or `sign_stamped` given the body's template) on one of the signing threads, one per core. RSA-2048
    /// costs about 0.4 ms of CPU per signature: on the async thread it would hold up every connection's
    /// replies, and one thread would use one core. The threads take messages from one queue as they finish the
    /// last, so with several connections waiting they never sleep between messages (a thread per message from
    /// tokio's blocking pool slept and was woken for each one). The message is still signed before it goes to
    /// the relay, and the ledger still records it after the relay answers, so a crash loses no more than before.
    pub async fn sign_pooled(&self, raw: Vec<u8>, body: Option<StampedBody>) -> Result<Vec<u8>> {
        let signer = self.clone();
        self.pool
            .run(move || match &body {
                Some(body) => signer.sign_stamped(&raw, body),
                None => signer.sign(&raw),
            })
            .await?
    }

    /// `h=`: each signed header once per copy present (at least once), the over-signed ones once more.
    fn header_names(&self, message: &Message) -> Vec<&'static str> {
        let mut names = Vec::with_capacity(SIGNED_HEADERS.len() + OVER_SIGNED.len() + 2);
        for name in SIGNED_HEADERS {
            let copies = message.count(name).max(1) + usize::from(OVER_SIGNED.contains(&name));
            names.extend(std::iter::repeat_n(name, copies));
        }
        names
    }
}

impl Algorithm {
    fn tag(&self) -> &'static str {
        match self {
            Algorithm::Rsa(_) => "rsa-sha256",
            Algorithm::Ed25519(_) => "ed25519-sha256",
        }
    }

    fn sign(&self, data: &[u8], random: &SystemRandom) -> Result<Vec<u8>> {
        match self {
            Algorithm::Rsa(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, random, data, &mut signature)
                    .map_err(|_| anyhow!("RSA signing failed"))?;
                Ok(signature)
            }
            // RFC 8463: Ed25519 signs the SHA-256 hash of the header data, not the data itself.
            Algorithm::Ed25519(key) => {
                Ok(key.sign(digest(&SHA256, data).as_ref()).as_ref().to_vec())
            }
        }
    }
}

/// A selector is one or more DNS labels.
fn check_selector(setting: &str, selector: &str) -> Result<(), String> {
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if selector.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(format!(
            "{setting} = {selector:?} is not a DNS name (letters, digits, '-' and '_', labels joined by '.')"
        ))
    }
}

/// The signature's base64 in lines short enough for any mail system (whitespace inside `b=` is ignored).
fn fold_into(base64: &str, out: &mut Vec<u8>) {
    for (i, chunk) in base64.as_bytes().chunks(72).enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n\t");
        }
        out.extend_from_slice(chunk);
    }
}
