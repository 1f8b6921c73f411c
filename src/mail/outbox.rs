//! The outbox: a folder of `.eml` files where mail goes when no `smtp_url` is set (the default, so everything
//! runs on a fresh machine).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::private_files::{create_private_dir, write_private};

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
        // Every mail carries its reader's address and personal links: the owner's eyes only.
        create_private_dir(&self.dir)
            .with_context(|| format!("creating the outbox {}", self.dir.display()))?;
        let name = file_name(message_id);
        let path = self.dir.join(format!("{name}.eml"));
        let tmp = self.dir.join(format!(".{name}.eml.tmp"));
        write_private(&tmp, raw)?;
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

#[cfg(test)]
mod tests {
    use super::{Outbox, file_name};

    #[cfg(unix)]
    #[test]
    fn outbox_folder_and_mails_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(&dir.path().join("new").join("outbox"));
        let path = outbox
            .deliver("<a@x.org>", b"Subject: hi\r\n\r\nbody\r\n")
            .unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(outbox.dir()), 0o700);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"Subject: hi\r\n\r\nbody\r\n"
        );
    }

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
}
