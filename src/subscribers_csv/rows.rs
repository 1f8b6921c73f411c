//! One CSV row at a time: which column means what (from the header row) and the checks on each cell.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use csv::StringRecord;

use crate::content::{Categories, KnownCategories};
use crate::email_address::{SubscriberEmail, SubscriberName};
use crate::store::{ImportRow, Status};
use crate::subscribers_csv::RowError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Role {
    Email,
    Name,
    FirstName,
    LastName,
    Status,
    CreatedAt,
    ConfirmedAt,
    UnsubTime,
    CleanTime,
    Categories,
}

fn role_of(header: &str, categories_column: Option<&str>) -> Option<Role> {
    let normalized = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace('_', " ");
    if categories_column
        .is_some_and(|named| named.trim().to_lowercase().replace('_', " ") == normalized)
    {
        return Some(Role::Categories);
    }
    Some(match normalized.as_str() {
        "categories" => Role::Categories,
        "email" | "email address" | "e-mail" | "e-mail address" => Role::Email,
        "name" | "full name" => Role::Name,
        "first name" | "fname" | "firstname" => Role::FirstName,
        "last name" | "lname" | "lastname" => Role::LastName,
        "status" => Role::Status,
        "created at" | "optin time" => Role::CreatedAt,
        "confirmed at" | "confirm time" => Role::ConfirmedAt,
        "unsub time" => Role::UnsubTime,
        "clean time" => Role::CleanTime,
        _ => return None,
    })
}

/// Which column holds what, from the header row.
pub(super) struct Columns {
    headers: Vec<String>,
    index: HashMap<Role, usize>,
}

impl Columns {
    /// `categories_column` names a column holding categories besides `categories` (a Mailchimp group's column,
    /// which is named after the group).
    pub(super) fn from_header(
        header: &StringRecord,
        categories_column: Option<&str>,
    ) -> Result<Columns, Vec<RowError>> {
        let headers: Vec<String> = header
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
            .collect();
        let mut index = HashMap::new();
        let mut errors = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            let Some(role) = role_of(h, categories_column) else {
                continue;
            };
            if let Some(&first) = index.get(&role) {
                errors.push(header_error(
                    h,
                    format!(
                        "columns {:?} and {h:?} mean the same thing; keep one of them",
                        headers[first]
                    ),
                ));
            } else {
                index.insert(role, i);
            }
        }
        if !index.contains_key(&Role::Email) {
            let found = headers
                .iter()
                .map(|h| format!("{h:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            errors.push(RowError {
                line: 1,
                column: None,
                value: header.iter().collect::<Vec<_>>().join(","),
                message: format!(
                    "no email column: the header row has {found}; name the address column \"email\" (listmonk) \
                     or \"Email Address\" (Mailchimp)"
                ),
            });
        }
        if let Some(named) = categories_column.filter(|_| !index.contains_key(&Role::Categories)) {
            errors.push(RowError {
                line: 1,
                column: None,
                value: header.iter().collect::<Vec<_>>().join(","),
                message: format!(
                    "--categories-column {named:?}: the header row has no such column (it has {})",
                    headers
                        .iter()
                        .map(|h| format!("{h:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        if errors.is_empty() {
            Ok(Columns { headers, index })
        } else {
            Err(errors)
        }
    }

    /// The cell for `role` and its header, if the file has that column: trimmed, and with the export's formula
    /// escaping undone.
    pub(super) fn cell<'r>(&self, record: &'r StringRecord, role: Role) -> Option<(&str, &'r str)> {
        let i = *self.index.get(&role)?;
        let cell = record.get(i).unwrap_or("").trim();
        Some((self.headers[i].as_str(), super::unescape_cell(cell)))
    }
}

pub(super) fn parse_row(
    record: &StringRecord,
    line: u64,
    columns: &Columns,
    known: &KnownCategories,
) -> Result<ImportRow, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut error = |(column, value): (&str, &str), message: String| {
        errors.push(RowError {
            line,
            column: Some(column.to_owned()),
            value: value.to_owned(),
            message,
        });
    };

    let email_cell = columns
        .cell(record, Role::Email)
        .expect("checked in the header");
    let email = SubscriberEmail::parse(email_cell.1)
        .map_err(|e| error(email_cell, e.to_string()))
        .ok();

    let full_name = columns
        .cell(record, Role::Name)
        .filter(|(_, v)| !v.is_empty());
    let name_cell = full_name
        .map(|(h, v)| (h.to_owned(), v.to_owned()))
        .or_else(|| {
            let parts: Vec<(&str, &str)> = [Role::FirstName, Role::LastName]
                .into_iter()
                .filter_map(|role| columns.cell(record, role))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            (!parts.is_empty()).then(|| {
                let header = parts
                    .iter()
                    .map(|(h, _)| *h)
                    .collect::<Vec<_>>()
                    .join(" + ");
                let value = parts.iter().map(|(_, v)| *v).collect::<Vec<_>>().join(" ");
                (header, value)
            })
        });
    let name = match &name_cell {
        None => None,
        Some((header, value)) => SubscriberName::parse_optional(value)
            .map_err(|e| error((header, value), e.to_string()))
            .ok()
            .flatten(),
    };

    let status = match columns
        .cell(record, Role::Status)
        .filter(|(_, v)| !v.is_empty())
    {
        Some(cell) => status_from_import(cell.1)
            .map_err(|message| error(cell, message))
            .ok(),
        None if columns
            .cell(record, Role::UnsubTime)
            .is_some_and(|(_, v)| !v.is_empty()) =>
        {
            Some(Status::Unsubscribed)
        }
        None if columns
            .cell(record, Role::CleanTime)
            .is_some_and(|(_, v)| !v.is_empty()) =>
        {
            Some(Status::Bounced)
        }
        None => Some(Status::Confirmed),
    };

    let mut time = |role: Role| match columns.cell(record, role).filter(|(_, v)| !v.is_empty()) {
        None => None,
        Some(cell) => time_from_import(cell.1)
            .map_err(|message| error(cell, message))
            .ok(),
    };
    let created_at = time(Role::CreatedAt);
    let confirmed_at = time(Role::ConfirmedAt);

    // `;` in ours, `,` in a Mailchimp group's column: both separate names. Each must be a category the content
    // has, so a typo cannot leave a reader following nothing.
    let categories = match columns.cell(record, Role::Categories) {
        None => Some(Categories::everything()),
        Some(cell) => Categories::parse(cell.1, known)
            .map_err(|unknown| error(cell, unknown.to_string()))
            .ok(),
    };

    match (email, status, categories) {
        (Some(email), Some(status), Some(categories)) if errors.is_empty() => Ok(ImportRow {
            email,
            name,
            status,
            categories,
            created_at,
            confirmed_at,
        }),
        _ => Err(errors),
    }
}

fn status_from_import(value: &str) -> Result<Status, String> {
    match value.to_lowercase().as_str() {
        "confirmed" | "subscribed" | "enabled" => Ok(Status::Confirmed),
        "unconfirmed" | "pending" => Ok(Status::Pending),
        "unsubscribed" | "blocklisted" => Ok(Status::Unsubscribed),
        "cleaned" | "bounced" => Ok(Status::Bounced),
        "complained" => Ok(Status::Complained),
        _ => Err(format!(
            "{value:?} is not a status this import knows: use confirmed (or subscribed, enabled), pending \
             (or unconfirmed), unsubscribed (or blocklisted), bounced (or cleaned), complained, or leave it empty for confirmed"
        )),
    }
}

fn time_from_import(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.f").map(|t| t.and_utc())
        })
        .map_err(|_| {
            format!(
                "{value:?} is not a date and time: write it as 2026-11-23T09:00:00Z (RFC 3339) or \
                 2026-11-23 09:00:00 (UTC), or leave it empty"
            )
        })
}

fn header_error(header: &str, message: String) -> RowError {
    RowError {
        line: 1,
        column: Some(header.to_owned()),
        value: header.to_owned(),
        message,
    }
}
