//! Where the store lives, parsed once at the configuration boundary: the path of a SQLite file (the default) or a
//! `postgres://` URL. Any other `scheme://` value is refused: taken as a path it would silently create an empty
//! store in a folder named after the scheme.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// The `database` setting.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Database {
    /// A SQLite file, created on first use.
    Sqlite(PathBuf),
    /// A PostgreSQL server; the database must exist (the schema is created on first use).
    Postgres(PostgresUrl),
}

/// A PostgreSQL connection URL (`postgres://user[:password]@host[:port]/dbname[?options]`). Its password, if any,
/// never shows in `Display` or `Debug`.
#[derive(Clone)]
pub struct PostgresUrl {
    config: Box<postgres::Config>,
    /// The URL with any password replaced by `***`, for messages.
    shown: String,
}

impl Database {
    /// The SQLite file, if the store is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Database::Sqlite(path) => Some(path),
            Database::Postgres(_) => None,
        }
    }

    /// Sets the PostgreSQL password from `VERDICTS_DATABASE_PASSWORD` unless the URL carries one.
    pub fn with_password(mut self, password: Option<&str>) -> Database {
        if let (Database::Postgres(url), Some(password)) = (&mut self, password)
            && url.config.get_password().is_none()
        {
            url.config.password(password);
        }
        self
    }
}

impl PostgresUrl {
    /// The client settings to connect with.
    pub fn config(&self) -> &postgres::Config {
        &self.config
    }
}

impl FromStr for Database {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Database> {
        // Not echoed: the value may hold a password.
        if text.chars().any(char::is_control) {
            bail!(
                "database holds a control character (a stray newline or escape?): give a path or a postgres:// URL"
            );
        }
        let Some(scheme) = url_scheme(text) else {
            if text.trim().is_empty() {
                bail!("database is empty: give the path of a SQLite file or a postgres:// URL");
            }
            return Ok(Database::Sqlite(PathBuf::from(text)));
        };
        if !matches!(
            scheme.to_ascii_lowercase().as_str(),
            "postgres" | "postgresql"
        ) {
            bail!(
                "database = \"{scheme}://…\": this build knows no {scheme}:// store; database must be the path of a \
                 SQLite file (e.g. subscribers/verdicts.db) or a postgres:// URL"
            );
        }
        let shown = redact(text);
        let config = postgres::Config::from_str(text)
            .map_err(|e| anyhow::anyhow!("database = {shown:?} is not a PostgreSQL URL: {e}"))?;
        if config.get_dbname().is_none() {
            bail!(
                "database = {shown:?} names no database: add it as the path, e.g. postgres://user@host/verdicts"
            );
        }
        Ok(Database::Postgres(PostgresUrl {
            config: Box::new(config),
            shown,
        }))
    }
}

impl TryFrom<String> for Database {
    type Error = anyhow::Error;

    fn try_from(text: String) -> Result<Database> {
        text.parse()
    }
}

impl From<Database> for String {
    fn from(database: Database) -> String {
        database.to_string()
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => url.fmt(f),
        }
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

impl PartialEq for PostgresUrl {
    fn eq(&self, other: &PostgresUrl) -> bool {
        self.shown == other.shown && self.config.get_password() == other.config.get_password()
    }
}

impl Eq for PostgresUrl {}

/// The scheme of a `scheme://…` value (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`), if it is one.
fn url_scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let starts_with_letter = chars.next()?.is_ascii_alphabetic();
    (starts_with_letter && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
        .then_some(scheme)
}

/// The URL with the password of its `user:password@` part, and any `password=` option, replaced by `***`.
fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    // The user information ends at the last `@`, as the client reads it: a password may hold `/`, `?` or `@`
    // unencoded, so the host part cannot be found first. An `@` further on only hides more than needed.
    let (user_info, after) = match rest.rfind('@') {
        Some(at) => rest.split_at(at),
        None => ("", rest),
    };
    let user_info = match user_info.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => user_info.to_string(),
    };
    let after = after
        .split('&')
        .map(|part| match part.split_once("password=") {
            Some((before, _)) => format!("{before}password=***"),
            None => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{scheme}://{user_info}{after}")
}

#[cfg(test)]
mod tests {
    use super::Database;

    #[test]
    fn a_plain_value_is_a_sqlite_path_even_with_a_colon() {
        let db: Database = "data/my:store.db".parse().unwrap();
        assert_eq!(
            db.sqlite_path(),
            Some(std::path::Path::new("data/my:store.db"))
        );
    }

    #[test]
    fn a_postgres_url_is_parsed_and_its_password_never_shown() {
        let db: Database = "postgres://mail:s3cret@db.example.org:6432/verdicts?password=s3cret"
            .parse()
            .unwrap();
        let Database::Postgres(url) = &db else {
            panic!("not postgres: {db}")
        };
        assert_eq!(url.config().get_dbname(), Some("verdicts"));
        assert_eq!(url.config().get_password(), Some(&b"s3cret"[..]));
        let shown = format!("{db} {db:?} {}", String::from(db.clone()));
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://mail:***@db.example.org:6432/verdicts"),
            "{shown}"
        );
    }

    #[test]
    fn a_password_with_unencoded_slash_question_mark_or_at_is_still_hidden() {
        for url in [
            "postgres://mail:hun/ter2@db/verdicts",
            "postgres://mail:hun?ter2@db/verdicts",
            "postgres://mail:hun@ter2@db/verdicts",
        ] {
            let db: Database = url.parse().unwrap();
            let shown = format!("{db} {db:?}");
            assert!(!shown.contains("ter2"), "{url}: {shown}");
            assert!(shown.contains("postgres://mail:***@db/verdicts"), "{shown}");
        }
    }

    #[test]
    fn a_control_character_is_refused_without_echoing_the_value() {
        for value in [
            "postgres://u:hunter2@h/db\u{1}",
            "subscribers/verdicts.db\n",
        ] {
            let err = value.parse::<Database>().unwrap_err().to_string();
            assert!(
                err.contains("control character") && !err.contains("hunter2"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_password_setting_fills_in_only_a_missing_password() {
        let bare: Database = "postgresql://mail@db/verdicts".parse().unwrap();
        let Database::Postgres(url) = bare.with_password(Some("from-env")) else {
            panic!()
        };
        assert_eq!(url.config().get_password(), Some(&b"from-env"[..]));
        let given: Database = "postgres://mail:inline@db/verdicts".parse().unwrap();
        let Database::Postgres(url) = given.with_password(Some("from-env")) else {
            panic!()
        };
        assert_eq!(url.config().get_password(), Some(&b"inline"[..]));
    }

    #[test]
    fn unknown_schemes_and_urls_without_a_database_are_refused_by_name() {
        let err = "mysql://root:pw@db/verdicts"
            .parse::<Database>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("mysql://") && !err.contains("pw"), "{err}");
        let err = "postgres://mail:pw@db"
            .parse::<Database>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("names no database") && !err.contains("pw@"),
            "{err}"
        );
        assert!("".parse::<Database>().is_err());
    }
}
