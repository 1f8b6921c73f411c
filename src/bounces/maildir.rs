//! A Maildir of returned messages: every message in `new/` is handled once and then moved to `cur/` (with the
//! Maildir "seen" flag), in name order. The move comes after the handler's store write has committed, so a crash
//! in between leaves the message in `new/` to be handled again next run, and the store write is idempotent per
//! report (see `store/bounces.rs`): never lost, never counted twice. A message that cannot be understood is moved
//! to the Maildir++ folder `.not-understood` (readable with any mail client) instead of being retried forever.
//! Messages are read up to [`super::MAX_MESSAGE_BYTES`]; the rest of a larger file is never read.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::MAX_MESSAGE_BYTES;
use super::apply::Handled;

/// The folder unreadable messages are moved to.
pub const NOT_UNDERSTOOD: &str = ".not-understood";

/// One message read from a file or a stream, at most [`MAX_MESSAGE_BYTES`] of it.
pub struct Bounded {
    pub bytes: Vec<u8>,
    /// The input was longer; only the first [`MAX_MESSAGE_BYTES`] were read.
    pub truncated: bool,
}

/// Reads at most [`MAX_MESSAGE_BYTES`] of `input`, and one byte more to tell whether there was more.
pub fn read_bounded(input: &mut impl Read) -> std::io::Result<Bounded> {
    let mut bytes = Vec::new();
    input.take(MAX_MESSAGE_BYTES).read_to_end(&mut bytes)?;
    let mut probe = [0u8; 1];
    let truncated = bytes.len() as u64 == MAX_MESSAGE_BYTES && input.read(&mut probe)? == 1;
    Ok(Bounded { bytes, truncated })
}

/// Handles every message in `dir/new` with `handle` (given the file's name and its bytes), moving each once its
/// handling returned; stops at the first error, leaving that message and the rest in `new/`.
pub fn ingest(
    dir: &Path,
    mut handle: impl FnMut(&str, &Bounded) -> Result<Handled>,
) -> Result<Vec<(String, Handled)>> {
    let new = dir.join("new");
    let cur = dir.join("cur");
    anyhow::ensure!(
        new.is_dir() && cur.is_dir(),
        "{} is not a Maildir (it needs new/ and cur/ folders)",
        dir.display()
    );
    let mut names: Vec<String> = fs::read_dir(&new)
        .with_context(|| format!("reading {}", new.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    let mut done = Vec::with_capacity(names.len());
    for name in names {
        let path = new.join(&name);
        let message = match File::open(&path) {
            Ok(mut file) => {
                read_bounded(&mut file).with_context(|| format!("reading {}", path.display()))?
            }
            // Taken meanwhile by another run: its business now.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
        };
        let handled = handle(&name, &message)?;
        let target = if handled.understood() {
            cur.join(seen(&name))
        } else {
            not_understood_folder(dir)?.join(seen(&name))
        };
        move_file(&path, &target)?;
        done.push((name, handled));
    }
    Ok(done)
}

/// The `cur/` of the `.not-understood` Maildir++ folder, created with its `new/` and `tmp/` on first use.
fn not_understood_folder(dir: &Path) -> Result<PathBuf> {
    let folder = dir.join(NOT_UNDERSTOOD);
    for sub in ["cur", "new", "tmp"] {
        crate::private_files::create_private_dir(&folder.join(sub))
            .with_context(|| format!("creating {}", folder.join(sub).display()))?;
    }
    Ok(folder.join("cur"))
}

/// The name with the Maildir "seen" flag, as a file in `cur/` is named.
fn seen(name: &str) -> String {
    match name.split_once(":2,") {
        Some((base, flags)) if flags.contains('S') => format!("{base}:2,{flags}"),
        Some((base, flags)) => {
            let mut flags: Vec<char> = flags.chars().chain(['S']).collect();
            flags.sort_unstable();
            format!("{base}:2,{}", flags.into_iter().collect::<String>())
        }
        None => format!("{name}:2,S"),
    }
}

fn move_file(from: &Path, to: &Path) -> Result<()> {
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        // Another run handled and moved it at the same time; the store write was idempotent.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !from.exists() => Ok(()),
        Err(e) => Err(e).with_context(|| format!("moving {} to {}", from.display(), to.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::{read_bounded, seen};
    use crate::bounces::MAX_MESSAGE_BYTES;

    #[test]
    fn a_file_in_cur_gets_the_seen_flag_once() {
        assert_eq!(seen("1701.M1.host"), "1701.M1.host:2,S");
        assert_eq!(seen("1701.M1.host:2,F"), "1701.M1.host:2,FS");
        assert_eq!(seen("1701.M1.host:2,S"), "1701.M1.host:2,S");
    }

    #[test]
    fn a_long_input_is_read_only_up_to_the_bound() {
        let mut endless = std::io::repeat(b'x');
        let read = read_bounded(&mut endless).unwrap();
        assert!(read.truncated);
        assert_eq!(read.bytes.len() as u64, MAX_MESSAGE_BYTES);
        let read = read_bounded(&mut &b"short"[..]).unwrap();
        assert!(!read.truncated);
        assert_eq!(read.bytes, b"short");
    }
}
