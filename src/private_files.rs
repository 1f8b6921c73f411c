//! Files only the owner may read: the store (every address, and the link-signing key when `VERDICTS_SECRET` is
//! unset) and the outbox (every mail, with its links). New ones are created 0600 (files) and 0700 (folders);
//! existing ones are left as they are, and [`loose`] reports those that other users can read, for
//! `verdicts check` and the `serve` start-up log.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::store::Database;

/// Creates `dir` and any missing parents with mode 0700; folders that exist keep their mode.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

/// Creates `file` empty with mode 0600 unless it exists (an existing file keeps its mode and content).
pub fn create_private_file(file: &Path) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating {}", file.display())),
    }
}

/// Writes `bytes` to `file`, created (or truncated) with mode 0600 when new.
pub fn write_private(file: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(file)
        .and_then(|mut f| f.write_all(bytes))
        .with_context(|| format!("writing {}", file.display()))
}

/// A file or folder that users other than its owner can get into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loose {
    pub path: PathBuf,
    /// Permission bits, e.g. 0o644.
    pub mode: u32,
}

impl std::fmt::Display for Loose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fix = if self.path.is_dir() { "700" } else { "600" };
        write!(
            f,
            "{} has mode {:o}: other users can read it (chmod {fix} {})",
            self.path.display(),
            self.mode,
            self.path.display()
        )
    }
}

/// The store file with its `-wal` and `-shm` companions, and the outbox folder (its mails are created 0600, but
/// ones written by earlier versions kept the process's umask, so the folder is what keeps them private), where they exist and give group or others any
/// access. The store's folder is not reported: its files guard themselves.
pub fn loose(database: &Database, outbox: &Path) -> Vec<Loose> {
    let store_files = match database.sqlite_path() {
        Some(file) => vec![
            file.to_path_buf(),
            companion(file, "-wal"),
            companion(file, "-shm"),
        ],
        None => Vec::new(),
    };
    store_files
        .into_iter()
        .chain([outbox.to_path_buf()])
        .filter_map(loose_one)
        .collect()
}

/// `verdicts.db` → `verdicts.db-wal`.
fn companion(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(unix)]
fn loose_one(path: PathBuf) -> Option<Loose> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(&path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(Loose { path, mode })
}

#[cfg(not(unix))]
fn loose_one(_path: PathBuf) -> Option<Loose> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use crate::store::Database;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::{create_private_dir, create_private_file, loose};

    fn mode(path: &std::path::Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_folders_and_files_are_private_and_existing_ones_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a").join("b");
        create_private_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        let file = nested.join("verdicts.db");
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o644);
    }

    #[test]
    fn loose_names_the_files_others_can_read_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("store").join("verdicts.db");
        let outbox = dir.path().join("outbox");
        create_private_dir(db.parent().unwrap()).unwrap();
        create_private_file(&db).unwrap();
        create_private_dir(&outbox).unwrap();
        assert_eq!(loose(&Database::Sqlite(db.clone()), &outbox), vec![]);
        fs::write(dir.path().join("store").join("verdicts.db-wal"), b"").unwrap();
        let wal = dir.path().join("store").join("verdicts.db-wal");
        fs::set_permissions(&wal, fs::Permissions::from_mode(0o644)).unwrap();
        let found = loose(&Database::Sqlite(db.clone()), &outbox);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].path, wal);
        assert!(found[0].to_string().contains("mode 644"), "{}", found[0]);
    }
}
