//! The archive as static files: `index.html`, `<key>/index.html` per issue and `feed.xml`, for hosting anywhere.
//!
//! Everything is written into a fresh sibling folder which then takes the output folder's place, so a reader never
//! sees half an archive. Because the old folder is replaced, only a folder this command wrote (it carries a
//! [`MARKER`] file) or an empty one is accepted as the output.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};

use super::{Links, feed, issue_page, views};
use crate::config::Config;
use crate::store::ArchivedIssue;

/// The file that marks a folder as written by `verdicts archive`, and so safe to replace.
pub const MARKER: &str = ".verdicts-archive";

/// What [`export`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub dir: PathBuf,
    /// Issue keys, newest first.
    pub keys: Vec<String>,
}

impl ExportSummary {
    /// The one-line report: "wrote archive-out/: index.html, feed.xml and 3 issue pages (2026-W46 to 2026-W48)".
    pub fn line(&self) -> String {
        if self.keys.is_empty() {
            return format!(
                "wrote {}/: index.html and feed.xml (no issue has been sent yet)",
                self.dir.display()
            );
        }
        let pages = match self.keys.len() {
            1 => "1 issue page".to_string(),
            n => format!("{n} issue pages"),
        };
        let range = match (self.keys.last(), self.keys.first()) {
            (Some(oldest), Some(newest)) if oldest != newest => format!(" ({oldest} to {newest})"),
            (Some(only), _) => format!(" ({only})"),
            _ => String::new(),
        };
        format!(
            "wrote {}/: index.html, feed.xml and {pages}{range}",
            self.dir.display()
        )
    }
}

/// Writes the archive of `issues` (newest first) into `out`, replacing an earlier export there.
/// `now` is the feed's `updated` time only while there is no issue.
pub fn export(
    issues: &[ArchivedIssue],
    config: &Config,
    out: &Path,
    now: DateTime<Utc>,
) -> Result<ExportSummary> {
    let Some(name) = out.file_name() else {
        bail!(
            "--out {} must name a folder (such as archive-out), not . or ..",
            out.display()
        );
    };
    check_replaceable(out)?;
    let parent = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let suffix = format!("{}-{}", std::process::id(), random_tag());
    let staging = parent.join(format!(".{}.new-{suffix}", name.to_string_lossy()));
    if let Err(error) = write_all(issues, config, &staging, now) {
        let _ = fs::remove_dir_all(&staging);
        return Err(error);
    }
    if out.exists() {
        let old = parent.join(format!(".{}.old-{suffix}", name.to_string_lossy()));
        fs::rename(out, &old).with_context(|| format!("moving the old {} aside", out.display()))?;
        if let Err(error) = fs::rename(&staging, out) {
            let _ = fs::rename(&old, out);
            let _ = fs::remove_dir_all(&staging);
            return Err(error)
                .with_context(|| format!("moving the new archive to {}", out.display()));
        }
        fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
    } else {
        fs::rename(&staging, out)
            .with_context(|| format!("moving the new archive to {}", out.display()))?;
    }
    Ok(ExportSummary {
        dir: out.to_path_buf(),
        keys: issues.iter().map(|issue| issue.key.clone()).collect(),
    })
}

/// Refuses to replace a folder that holds anything but an earlier export.
fn check_replaceable(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        bail!("{} exists and is not a folder", out.display());
    }
    let empty = fs::read_dir(out)
        .with_context(|| format!("reading {}", out.display()))?
        .next()
        .is_none();
    if !empty && !out.join(MARKER).exists() {
        bail!(
            "{} is not empty and was not written by `verdicts archive`; its contents would be replaced, \
             so choose a new or empty folder",
            out.display()
        );
    }
    Ok(())
}

fn write_all(
    issues: &[ArchivedIssue],
    config: &Config,
    dir: &Path,
    now: DateTime<Utc>,
) -> Result<()> {
    let write = |path: PathBuf, contents: &str| {
        fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))
    };
    fs::create_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    write(
        dir.join(MARKER),
        "Written by `verdicts archive`, which replaces this folder on every run.\n",
    )?;
    write(
        dir.join("index.html"),
        &views::index_page(issues, config, Links::Static).into_string(),
    )?;
    write(dir.join("feed.xml"), &feed::atom(issues, config, now))?;
    for issue in issues {
        if !is_safe_folder_name(&issue.key) {
            bail!("issue key {:?} cannot be a folder name", issue.key);
        }
        let folder = dir.join(&issue.key);
        fs::create_dir(&folder).with_context(|| format!("creating {}", folder.display()))?;
        write(folder.join("index.html"), &issue_page(issue, config))?;
    }
    Ok(())
}

/// Keys look like `2026-W48`; anything that could climb out of the folder is refused.
fn is_safe_folder_name(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('.')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn random_tag() -> String {
    let mut bytes = [0u8; 4];
    rand::fill(&mut bytes[..]);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
