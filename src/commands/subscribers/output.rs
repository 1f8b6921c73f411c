//! What `verdicts subscribers` writes: the aligned tables of subscribers and consent history on stdout, and
//! files (exports) readable by their owner only.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::store::{ConsentRecord, Subscriber};

/// One line per entry: time (UTC), event, channel, client address, subscriber id, detail.
pub(super) fn print_history(records: &[ConsentRecord]) -> Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    writeln!(
        out,
        "{:<20}  {:<11}  {:<11}  {:<15}  {:>6}  detail",
        "at (UTC)", "event", "channel", "client", "id"
    )?;
    for r in records {
        writeln!(
            out,
            "{:<20}  {:<11}  {:<11}  {:<15}  {:>6}  {}",
            r.at.format("%Y-%m-%d %H:%M:%S"),
            r.event,
            r.channel,
            r.client.as_deref().unwrap_or("-"),
            r.subscriber_id,
            r.detail.as_deref().unwrap_or("")
        )?;
    }
    out.flush()?;
    if records.is_empty() {
        eprintln!("(no history for this address)");
    }
    Ok(())
}

/// Aligned columns: id, email, name, status, source, created (UTC), the categories followed ("-": everything;
/// "paused until …" after them while a pause lasts), and why a reader is bounced or complained when any listed
/// one has a reason.
pub(super) fn print_table(subscribers: &[Subscriber], now: DateTime<Utc>) -> Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    let width = subscribers
        .iter()
        .map(|s| s.email.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let name_width = subscribers
        .iter()
        .map(|s| s.name.as_deref().unwrap_or("-").chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 30);
    let reasons = subscribers.iter().any(|s| s.status_reason.is_some());
    writeln!(
        out,
        "{:>6}  {:<width$}  {:<name_width$}  {:<12}  {:<6}  {:<16}  categories{}",
        "id",
        "email",
        "name",
        "status",
        "source",
        "created",
        if reasons { "  reason" } else { "" }
    )?;
    for s in subscribers {
        let name: String = s.name.as_deref().unwrap_or("-").chars().take(30).collect();
        let mut topics = if s.categories.is_everything() {
            "-".to_string()
        } else {
            s.categories.names().collect::<Vec<_>>().join(", ")
        };
        if let Some(until) = s.paused_at(now) {
            topics.push_str(&format!(
                " (paused until {})",
                until.format("%Y-%m-%d %H:%M")
            ));
        }
        writeln!(
            out,
            "{:>6}  {:<width$}  {:<name_width$}  {:<12}  {:<6}  {:<16}  {}{}",
            s.id,
            s.email,
            name,
            s.status.as_str(),
            s.source.as_str(),
            s.created_at.format("%Y-%m-%d %H:%M"),
            topics,
            match (&s.status_reason, reasons) {
                (Some(reason), _) => format!("  {reason}"),
                (None, true) => "  -".to_string(),
                (None, false) => String::new(),
            }
        )?;
    }
    out.flush()?;
    if subscribers.is_empty() {
        eprintln!("(no subscribers)");
    }
    Ok(())
}

/// Writes through a temporary file renamed into place, readable by its owner only.
pub(super) fn write_private_file(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<()>,
) -> Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    write(&mut file)?;
    file.sync_all()
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
