//! Subscriber lists as CSV: reading the exports of listmonk and Mailchimp (and our own) into checked import rows,
//! and writing our export. Pure over `Read`/`Write`; the store applies the rows (`Store::import`).
//!
//! Headers are matched case-insensitively, with `_` read as a space, and unknown columns are ignored:
//! - address: `email`, `Email Address`, `e-mail`; name: `name`, or `First Name` + `Last Name` (`FNAME`, `LNAME`);
//! - `status`: confirmed/subscribed/enabled, unconfirmed/pending, unsubscribed/blocklisted, cleaned/bounced; empty or
//!   absent means confirmed, except that Mailchimp's unsubscribed and cleaned exports (no status column, but
//!   `UNSUB_TIME` / `CLEAN_TIME`) import as unsubscribed and bounced, never as confirmed;
//! - times: `created_at` / `OPTIN_TIME`, `confirmed_at` / `CONFIRM_TIME`;
//! - `categories`: the categories followed, separated by `;` (or `,`), each one the content has; empty means
//!   everything. A Mailchimp group's column (named after the group, its cells the group names separated by
//!   commas) is read the same way when the import names it. listmonk's export has no lists column. `paused_until`
//!   is exported but not imported: a pause is the reader's own, made on their preferences page.
//!
//! The export is opened in spreadsheets, which run a cell that starts with `=`, `+`, `-` or `@` (or a tab or CR
//! before one) as a formula: a reader's name such as `=HYPERLINK(...)` would run on the operator's machine. So a
//! cell starting with one of those, or with `'`, gets a `'` in front (OWASP's CSV injection advice; the `'` itself
//! is escaped too so that the escaping can be undone), and import takes one such `'` off again: export followed by
//! import gives back exactly what was stored.

use std::collections::HashMap;
use std::fmt;
use std::io::{Read, Write};

use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::content::KnownCategories;
use crate::store::{ImportRow, Subscriber};

mod rows;

use rows::{Columns, Role, parse_row};

/// The export's columns; listmonk reads the same names (and ignores `categories`, `paused_until` and
/// `status_reason`: why a reader is bounced or complained, as the bounce or report said it).
pub const EXPORT_HEADER: [&str; 9] = [
    "email",
    "name",
    "status",
    "source",
    "created_at",
    "confirmed_at",
    "categories",
    "paused_until",
    "status_reason",
];

/// What to do with rows that fail their checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInvalid {
    /// Any bad row fails the whole file (the default: fix the file, then import it).
    Reject,
    /// Import the good rows and report the bad ones (`--skip-invalid`).
    Skip,
}

/// The rows to import, and (with [`OnInvalid::Skip`]) the problems of the rows left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedImport {
    pub rows: Vec<ImportRow>,
    pub skipped: Vec<RowError>,
}

/// A problem with one row (or with the header, on line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line of the file where the row starts (0 when the file could not be read at all).
    pub line: u64,
    /// The column's header as written in the file; `None` when the whole row is at fault.
    pub column: Option<String>,
    pub value: String,
    /// What is wrong, naming the value.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "line {}, column {column:?}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Reads a CSV subscriber list and checks every row. With [`OnInvalid::Reject`] any problem fails the whole file
/// and every problem is returned, by line; with [`OnInvalid::Skip`] only a bad header does.
pub fn parse_import<R: Read>(
    reader: R,
    on_invalid: OnInvalid,
) -> Result<ParsedImport, Vec<RowError>> {
    let known = KnownCategories::default();
    let options = ImportOptions {
        on_invalid,
        known: &known,
        categories_column: None,
    };
    parse_import_with(reader, &options)
}

/// How to read a list: what to do with bad rows, the categories the content has (a `categories` cell must name
/// only those), and which other column holds categories, if any.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions<'a> {
    pub on_invalid: OnInvalid,
    pub known: &'a KnownCategories,
    /// A Mailchimp group's column (named after the group, e.g. "Topics"), read like `categories`.
    pub categories_column: Option<&'a str>,
}

/// [`parse_import`] with the content's categories and a group column.
pub fn parse_import_with<R: Read>(
    mut reader: R,
    options: &ImportOptions<'_>,
) -> Result<ParsedImport, Vec<RowError>> {
    let on_invalid = options.on_invalid;
    let mut data = Vec::new();
    if let Err(e) = reader.read_to_end(&mut data) {
        return Err(vec![file_error(
            0,
            &format!("the file cannot be read: {e}"),
        )]);
    }
    let lines = LineIndex::new(&data);
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(data.as_slice());
    let header = match csv.headers() {
        Ok(header) if header.iter().any(|h| !h.trim().is_empty()) => header.clone(),
        Ok(_) => {
            return Err(vec![file_error(
                1,
                "the file is empty; expected a header row with an email column",
            )]);
        }
        Err(e) => {
            return Err(vec![file_error(
                1,
                &format!("the header row cannot be read: {e}"),
            )]);
        }
    };
    let columns = Columns::from_header(&header, options.categories_column)?;

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    for result in csv.records() {
        let record = match result {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                errors.push(file_error(line, &row_read_problem(&e)));
                continue;
            }
        };
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        match parse_row(&record, line, &columns, options.known) {
            Ok(row) => match first_line_of.get(&row.email.key()) {
                Some(&first) => {
                    let (column, value) = columns
                        .cell(&record, Role::Email)
                        .expect("checked in the header");
                    errors.push(RowError {
                        line,
                        column: Some(column.to_owned()),
                        value: value.to_owned(),
                        message: format!("{value:?} is the same address as line {first}; keep one of the two rows"),
                    });
                }
                None => {
                    first_line_of.insert(row.email.key(), line);
                    rows.push(row);
                }
            },
            Err(row_errors) => errors.extend(row_errors),
        }
    }
    match on_invalid {
        OnInvalid::Reject if !errors.is_empty() => Err(errors),
        OnInvalid::Reject => Ok(ParsedImport {
            rows,
            skipped: Vec::new(),
        }),
        OnInvalid::Skip => Ok(ParsedImport {
            rows,
            skipped: errors,
        }),
    }
}

/// Line numbers from byte offsets. The csv crate's own line count is off after blank lines and in CRLF files
/// (it counts a line break when it reads past it, after the next record's position is taken).
struct LineIndex<'d> {
    data: &'d [u8],
    /// Byte offset where each line starts; line 1 starts at 0.
    starts: Vec<usize>,
}

impl<'d> LineIndex<'d> {
    fn new(data: &'d [u8]) -> LineIndex<'d> {
        let mut starts = vec![0];
        for (i, &b) in data.iter().enumerate() {
            let ends_line = b == b'\n' || (b == b'\r' && data.get(i + 1) != Some(&b'\n'));
            if ends_line {
                starts.push(i + 1);
            }
        }
        LineIndex { data, starts }
    }

    /// The line of the first character at or after `byte` that is not a line break: where the csv reader says a
    /// record starts is before the line breaks (and blank lines) that precede it.
    fn line_at(&self, byte: u64) -> u64 {
        let mut at = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        while matches!(self.data.get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        self.starts.partition_point(|&start| start <= at) as u64
    }
}

fn row_read_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!(
                "the row has {len} fields but the header has {expected_len}; check for a stray or missing comma"
            )
        }
        csv::ErrorKind::Utf8 { .. } => {
            "the row is not valid UTF-8; save the file as UTF-8".to_owned()
        }
        _ => format!("the row cannot be read: {e}"),
    }
}

fn file_error(line: u64, message: &str) -> RowError {
    RowError {
        line,
        column: None,
        value: String::new(),
        message: message.to_owned(),
    }
}

/// Characters that make a spreadsheet read a cell as a formula, and the escape itself.
const ESCAPED_STARTS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// A cell as written to the export: prefixed with `'` when a spreadsheet would run it (see the module docs).
pub fn escape_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(ESCAPED_STARTS) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Undoes [`escape_cell`]: one `'` in front of an escaped character comes off.
pub fn unescape_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(ESCAPED_STARTS) => rest,
        _ => cell,
    }
}

/// Writes subscribers as CSV with [`EXPORT_HEADER`]; times are RFC 3339 in UTC. Text cells are escaped with
/// [`escape_cell`].
pub fn write_export<W: Write>(writer: W, subscribers: &[Subscriber]) -> Result<()> {
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(EXPORT_HEADER)
        .context("writing the export header")?;
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    for s in subscribers {
        csv.write_record([
            &escape_cell(&s.email),
            &escape_cell(s.name.as_deref().unwrap_or("")),
            s.status.as_str(),
            s.source.as_str(),
            &time(s.created_at),
            &s.confirmed_at.map(time).unwrap_or_default(),
            &escape_cell(&s.categories.names().collect::<Vec<_>>().join(";")),
            &s.paused_until.map(time).unwrap_or_default(),
            &escape_cell(s.status_reason.as_deref().unwrap_or("")),
        ])
        .with_context(|| format!("writing {} to the export", s.email))?;
    }
    csv.flush().context("finishing the export")?;
    Ok(())
}

#[cfg(test)]
mod categories_tests;
#[cfg(test)]
mod tests;
