//! Where messages go: the outbox folder of `.eml` files (the default, so everything runs on a
//! fresh machine) or the configured SMTP relay. This seam carries one-off messages
//! (confirmation mails, test copies); the delivery engine reuses [`Outbox`] and opens its own
//! tuned SMTP connections for bulk sending.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, Secrets};

/// A folder of `.eml` files, one per message, named after the Message-ID, written atomically
/// (temporary file, then rename): a message sent twice is one file, never a torn one.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: &Path) -> Outbox {
        Outbox {
            dir: dir.to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one message; returns the file's path.
    pub fn deliver(&self, message_id: &str, raw: &[u8]) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating the outbox {}", self.dir.display()))?;
        let name = file_name(message_id);
        let path = self.dir.join(format!("{name}.eml"));
        let tmp = self.dir.join(format!(".{name}.eml.tmp"));
        std::fs::write(&tmp, raw).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}

/// A Message-ID as a safe file name: `<2026-W48.7.ab12@x.org>` → `2026-W48.7.ab12@x.org`.
fn file_name(message_id: &str) -> String {
    message_id
        .trim_matches(|c| c == '<' || c == '>')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@.-_+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The one-off message transport chosen by the configuration.
#[derive(Clone)]
pub enum Mailer {
    Outbox(Outbox),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    /// `smtp_url` set: lettre's pooled SMTP transport with the password from the environment;
    /// otherwise the outbox folder.
    pub fn from_config(config: &Config, secrets: &Secrets) -> Result<Mailer> {
        let Some(url) = &config.smtp_url else {
            return Ok(Mailer::Outbox(Outbox::new(&config.outbox_dir)));
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .with_context(|| format!("smtp_url {}", redact(url)))?;
        if let Some(password) = &secrets.smtp_password {
            let user = smtp_user(url).unwrap_or_default();
            builder = builder.credentials(Credentials::new(user, password.clone()));
        }
        Ok(Mailer::Smtp(builder.build()))
    }

    /// Sends one message; an error names the recipient.
    pub async fn send(&self, message: &Message) -> Result<()> {
        let to = recipients(message.envelope());
        match self {
            Mailer::Outbox(outbox) => {
                let id = message
                    .headers()
                    .get_raw("Message-ID")
                    .unwrap_or("message")
                    .to_string();
                outbox.deliver(&id, &message.formatted())?;
            }
            Mailer::Smtp(transport) => {
                let reply = transport
                    .send(message.clone())
                    .await
                    .with_context(|| format!("sending to {to}"))?;
                if !reply.is_positive() {
                    bail!("the relay refused the message to {to}: {}", reply.code());
                }
            }
        }
        Ok(())
    }
}

fn recipients(envelope: &Envelope) -> String {
    envelope
        .to()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The user name in `smtp://user@host`, percent-decoded.
pub fn smtp_user(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let (userinfo, _) = rest.split_once('@')?;
    let user = userinfo.split(':').next()?;
    Some(percent_decode(user))
}

/// The URL with any password in it replaced, for logs and errors.
pub fn redact(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| {
        let (userinfo, host) = rest.split_once('@')?;
        let user = userinfo.split(':').next()?;
        Some(format!("{scheme}://{user}:***@{host}"))
    }) {
        Some(redacted) if url.contains(':') && url.matches(':').count() > 1 => redacted,
        _ => url.to_string(),
    }
}

/// `%40` → `@`: the user and password parts of an SMTP URL.
pub(crate) fn percent_decode(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{Outbox, file_name, redact, smtp_user};

    #[test]
    fn outbox_names_files_after_the_message_id_and_overwrites_on_resend() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path());
        let first = outbox.deliver("<2026-W48.7.ab@x.org>", b"one").unwrap();
        let second = outbox.deliver("<2026-W48.7.ab@x.org>", b"two").unwrap();
        assert_eq!(first, second);
        assert_eq!(std::fs::read(&first).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn hostile_message_id_cannot_escape_the_outbox() {
        assert_eq!(file_name("<../../etc/passwd>"), ".._.._etc_passwd");
        assert!(!file_name("<a/b>").contains('/'));
    }

    #[test]
    fn password_in_url_is_redacted_and_user_decoded() {
        assert_eq!(
            redact("smtps://me%40x.org:hunter2@smtp.x.org:465"),
            "smtps://me%40x.org:***@smtp.x.org:465"
        );
        assert_eq!(redact("smtp://relay:25"), "smtp://relay:25");
        assert_eq!(
            smtp_user("smtps://me%40x.org@smtp.x.org").as_deref(),
            Some("me@x.org")
        );
    }
}
