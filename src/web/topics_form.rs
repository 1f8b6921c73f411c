//! Reading a reader's topics from a request, at the edge and as pure functions: the category checkboxes (a
//! repeated `category` field, on the subscribe form and the preferences page; `"categories": [...]` in JSON) and
//! the preferences page's form (`action`, `pause`). Every refusal names the field and the value it refused.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::content::{Categories, KnownCategories};

/// The checkboxes' field, repeated once per ticked category.
pub const CATEGORY_FIELD: &str = "category";
/// The preferences page's pause select: empty (no pause), `keep`, or a number of weeks.
pub const PAUSE_FIELD: &str = "pause";
/// Which of the preferences page's two forms was sent: `save` or `unsubscribe`.
pub const ACTION_FIELD: &str = "action";
/// The longest pause a reader can choose, in weeks.
pub const MAX_PAUSE_WEEKS: u8 = 8;
/// Longer than any category name; a longer value is refused before it is looked up (or echoed).
const MAX_NAME_CHARS: usize = 100;
/// More ticked boxes than any page offers.
const MAX_CATEGORIES: usize = 200;

/// What was wrong with a form, naming the field and the value (Debug-quoted, so control characters show as
/// escapes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem(pub String);

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FieldProblem {}

/// The categories named by the ticked boxes (or a JSON list), checked against the content's: none is everything.
pub fn parse_categories<S: AsRef<str>>(
    field: &str,
    values: &[S],
    known: &KnownCategories,
) -> Result<Categories, FieldProblem> {
    if values.len() > MAX_CATEGORIES {
        return Err(FieldProblem(format!(
            "{field}: {} values sent; there are at most {MAX_CATEGORIES}",
            values.len()
        )));
    }
    for value in values {
        let value = value.as_ref();
        if value.chars().count() > MAX_NAME_CHARS {
            let start: String = value.chars().take(20).collect();
            return Err(FieldProblem(format!(
                "{field}: {start:?}… is longer than any category ({MAX_NAME_CHARS} characters at most)"
            )));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldProblem(format!(
                "{field}: {value:?} has a control character"
            )));
        }
        if value.contains([',', ';']) {
            return Err(FieldProblem(format!(
                "{field}: {value:?} is one category per value, without commas or semicolons"
            )));
        }
    }
    let list: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    Categories::parse(&list.join(";"), known)
        .map_err(|unknown| FieldProblem(format!("{field}: {unknown}")))
}

/// The pause chosen on the preferences page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// Send every week (ends a pause).
    None,
    /// Leave the current pause as it is.
    Keep,
    Weeks(u8),
}

impl Pause {
    /// The `paused_until` to store, given the current one.
    pub fn until(
        self,
        current: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        match self {
            Pause::None => None,
            Pause::Keep => current.filter(|until| *until > now),
            Pause::Weeks(weeks) => Some(now + Duration::weeks(i64::from(weeks))),
        }
    }
}

/// What the preferences page's form asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreferencesRequest {
    Save {
        categories: Categories,
        pause: Pause,
    },
    Unsubscribe,
}

/// The fields of an `application/x-www-form-urlencoded` body, decoded (invalid UTF-8 becomes U+FFFD, which no
/// category or choice contains).
pub fn fields(body: &[u8]) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    form_urlencoded::parse(body).collect()
}

/// The one value of a field that may be sent at most once.
fn single<'a>(
    fields: &'a [(Cow<'_, str>, Cow<'_, str>)],
    name: &str,
) -> Result<Option<&'a str>, FieldProblem> {
    let mut values = fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_ref());
    let first = values.next();
    if values.next().is_some() {
        return Err(FieldProblem(format!("{name}: sent more than once")));
    }
    Ok(first)
}

/// Every value of a repeated field.
pub fn repeated<'a>(fields: &'a [(Cow<'_, str>, Cow<'_, str>)], name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_ref())
        .collect()
}

/// Reads the preferences page's form (`kept`: the reader's current choice, whose names stay acceptable even when
/// the content no longer has them). Fields it does not know are ignored; `action` must be there, so a body that
/// is not the page's form never resets a choice.
pub fn parse_preferences(
    body: &[u8],
    known: &KnownCategories,
    kept: &Categories,
) -> Result<PreferencesRequest, FieldProblem> {
    let fields = fields(body);
    match single(&fields, ACTION_FIELD)? {
        Some("unsubscribe") => return Ok(PreferencesRequest::Unsubscribe),
        Some("save") => {}
        None => {
            return Err(FieldProblem(format!(
                "{ACTION_FIELD}: missing (save or unsubscribe)"
            )));
        }
        Some(other) => {
            return Err(FieldProblem(format!(
                "{ACTION_FIELD}: {other:?} is not save or unsubscribe"
            )));
        }
    }
    let pause = match single(&fields, PAUSE_FIELD)?.map(str::trim) {
        None | Some("" | "0") => Pause::None,
        Some("keep") => Pause::Keep,
        Some(value) => match value.parse::<u8>() {
            Ok(weeks @ 1..=MAX_PAUSE_WEEKS) => Pause::Weeks(weeks),
            _ => {
                return Err(FieldProblem(format!(
                    "{PAUSE_FIELD}: {value:?} is not a number of weeks from 1 to {MAX_PAUSE_WEEKS}"
                )));
            }
        },
    };
    let ticked = repeated(&fields, CATEGORY_FIELD);
    let (kept_names, others): (Vec<&str>, Vec<&str>) = ticked.iter().partition(|name| {
        !kept.is_everything() && kept.includes(name) && Categories::parse(name, known).is_err()
    });
    let parsed = parse_categories(CATEGORY_FIELD, &others, known)?;
    let categories = if kept_names.is_empty() {
        parsed
    } else {
        let kept_shown = kept.names().filter(|shown| {
            kept_names
                .iter()
                .any(|k| Categories::from_names([k]).includes(shown))
        });
        Categories::from_names(
            parsed
                .names()
                .chain(kept_shown)
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
    };
    Ok(PreferencesRequest::Save { categories, pause })
}

#[cfg(test)]
mod tests;
