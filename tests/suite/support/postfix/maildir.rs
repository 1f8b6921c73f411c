//! What Postfix's virtual delivery agent wrote: every message in the one Maildir (`mail/readers/new`), with the
//! headers Postfix added on top (`Return-Path`, `Delivered-To`, `Received`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One delivered message, as stored.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub path: PathBuf,
    pub raw: Vec<u8>,
}

impl Delivered {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// Every value of header `name` (unfolded), in order.
    pub fn headers(&self, name: &str) -> Vec<String> {
        let text = self.text();
        let head = text
            .split("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .replace("\r\n", "\n");
        let mut values: Vec<String> = Vec::new();
        let mut current: Option<String> = None;
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = current.as_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            if let Some(value) = current.take() {
                values.push(value);
            }
            if let Some((key, value)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                current = Some(value.trim().to_string());
            }
        }
        values.extend(current);
        values
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers(name).into_iter().next()
    }

    /// The envelope recipient Postfix delivered it for.
    pub fn delivered_to(&self) -> String {
        self.header("Delivered-To")
            .unwrap_or_else(|| panic!("no Delivered-To in {}", self.path.display()))
    }

    /// Postfix's own `Received:` line (the first one): "from HELO (...) by postfix.test (Postfix) with ESMTP(S) …".
    pub fn received(&self) -> String {
        self.header("Received")
            .unwrap_or_else(|| panic!("no Received in {}", self.path.display()))
    }
}

/// Everything in `new/` now.
pub fn read(maildir: &Path) -> Vec<Delivered> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    let mut messages: Vec<Delivered> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter_map(|path| {
            let raw = std::fs::read(&path).ok()?;
            Some(Delivered { path, raw })
        })
        .collect();
    messages.sort_by(|a, b| a.path.cmp(&b.path));
    messages
}

/// Waits up to `patience` for at least `n` messages, then a moment for stragglers (duplicates would show).
pub fn wait_for(maildir: &Path, n: usize, patience: Duration) -> Vec<Delivered> {
    let deadline = Instant::now() + patience;
    while read(maildir).len() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    read(maildir)
}
