//! `verdicts check` run as a real process on content folders: every error kind names the
//! file, the line and the field, every error in every file is reported, and the exit code is 3.

use std::path::Path;
use std::process::{Command, Output};

const VALID: &str = include_str!("../fixtures/content/2026-11-16-alpha-vs-beta.md");
const NAME: &str = "2026-11-16-alpha-vs-beta.md";

fn check(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .arg("check")
        .current_dir(dir)
        .env("VERDICTS_CONTENT_DIR", dir)
        .env_remove("VERDICTS_CONFIG")
        .output()
        .expect("verdicts runs")
}

/// Writes `files` into a fresh folder and runs `verdicts check` on it.
fn check_files(files: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let output = check(dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    (output.status.code().unwrap_or(-1), stderr)
}

/// The one error line for a file holding `text` named `name`, asserting exit code 3.
fn single_error(name: &str, text: &str) -> String {
    let (code, stderr) = check_files(&[(name, text)]);
    assert_eq!(code, 3, "exit code; stderr:\n{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one error expected:\n{stderr}");
    errors[0].to_string()
}

fn assert_names(error: &str, file: &str, line: usize, field: &str, message: &str) {
    assert!(error.contains(file), "file {file} in: {error}");
    assert!(
        error.contains(&format!(" line {line},")),
        "line {line} in: {error}"
    );
    assert!(
        error.contains(&format!("field `{field}`")),
        "field {field} in: {error}"
    );
    assert!(error.contains(message), "{message:?} in: {error}");
}

#[test]
fn valid_folder_with_bom_crlf_hidden_and_other_files_passes() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/content");
    let output = check(&fixtures);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("2 comparisons"), "{stdout}");
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let text = VALID.replace(
        "category = \"Developer Tools\"",
        "category = \"Developer Tools\"\nrating = 5",
    );
    let error = single_error(NAME, &text);
    assert_names(&error, NAME, 6, "rating", "unknown field");
}

#[test]
fn unknown_key_inside_a_tool_is_named() {
    let text = VALID.replace(
        "entry_price = \"Free\"",
        "entry_price = \"Free\"\npricing = 1",
    );
    let error = single_error(NAME, &text);
    assert_names(&error, NAME, 14, "pricing", "unknown field");
}

#[test]
fn missing_field_is_named() {
    let text = VALID.replace("question = \"Which one should you ship with?\"\n", "");
    let error = single_error(NAME, &text);
    assert!(error.contains("field `question`"), "{error}");
    assert!(error.contains(" line "), "{error}");
    assert!(error.contains("missing field"), "{error}");
}

#[test]
fn percentage_above_100_is_refused_with_its_value() {
    let text = VALID.replace("panel_ship = 75", "panel_ship = 140");
    let error = single_error(NAME, &text);
    assert_names(
        &error,
        NAME,
        10,
        "tools[0].panel_ship",
        "140 is not a percentage (0-100)",
    );
}

#[test]
fn a_category_with_a_comma_or_semicolon_is_refused_as_it_could_never_be_chosen() {
    for name in ["Data, Analytics", "R&D; Labs"] {
        let text = VALID.replace(
            "category = \"Developer Tools\"",
            &format!("category = \"{name}\""),
        );
        let error = single_error(NAME, &text);
        assert_names(
            &error,
            NAME,
            5,
            "category",
            "contains a comma or semicolon, which separate categories in readers' choices",
        );
    }
}

#[test]
fn negative_community_percentage_is_refused() {
    let text = VALID.replace("community_ship = 60", "community_ship = -5");
    let error = single_error(NAME, &text);
    assert_names(
        &error,
        NAME,
        11,
        "tools[0].community_ship",
        "-5 is not a percentage",
    );
}

#[test]
fn community_votes_without_community_ship_is_refused() {
    let text = VALID.replace("community_ship = 60\n", "");
    let error = single_error(NAME, &text);
    assert_names(
        &error,
        NAME,
        11,
        "tools[0].community_ship",
        "needs community_ship",
    );
}

#[test]
fn fewer_than_two_tools_is_refused() {
    let start = VALID.find("[[tools]]\nname = \"Beta\"").unwrap();
    let end = VALID.find("[[reviews]]").unwrap();
    let mut text = VALID.to_string();
    text.replace_range(start..end, "");
    let text = text.replace(
        "tool = \"Beta\"\nverdict = \"skip\"",
        "tool = \"Alpha\"\nverdict = \"skip\"",
    );
    let error = single_error(NAME, &text);
    assert_names(&error, NAME, 2, "tools", "at least two [[tools]], found 1");
}

#[test]
fn review_of_a_tool_not_in_the_comparison_is_refused() {
    let text = VALID.replace("tool = \"Alpha\"", "tool = \"Alpah\"");
    let error = single_error(NAME, &text);
    assert_names(
        &error,
        NAME,
        25,
        "reviews[0].tool",
        "\"Alpah\" is not one of this comparison's tools (Alpha, Beta)",
    );
}

#[test]
fn unknown_lens_is_refused() {
    let text = VALID.replace("lens = \"buyer\"", "lens = \"dx\"");
    let error = single_error(NAME, &text);
    assert_names(&error, NAME, 30, "lens", "unknown variant");
}

#[test]
fn impossible_date_is_refused() {
    let text = VALID.replace("2026-11-16T09:00:00Z", "2026-11-31T09:00:00Z");
    let error = single_error(NAME, &text);
    assert!(error.contains("line 4, field `published`"), "{error}");
}

#[test]
fn published_without_offset_is_refused() {
    let text = VALID.replace("2026-11-16T09:00:00Z", "2026-11-16T09:00:00");
    let error = single_error(NAME, &text);
    assert_names(
        &error,
        NAME,
        4,
        "published",
        "needs a date, a time and an offset",
    );
}

#[test]
fn file_name_date_that_differs_from_published_is_refused() {
    let error = single_error("2026-11-15-alpha-vs-beta.md", VALID);
    assert_names(
        &error,
        "2026-11-15-alpha-vs-beta.md",
        4,
        "published",
        "the file name says 2026-11-15",
    );
}

#[test]
fn file_name_without_the_date_pattern_is_refused() {
    let error = single_error("2026-11-6-alpha.md", VALID);
    assert!(error.contains("2026-11-6-alpha.md"), "{error}");
    assert!(error.contains("YYYY-MM-DD-slug.md"), "{error}");
}

#[test]
fn duplicate_slugs_name_both_files() {
    let later = VALID.replace("2026-11-16T09", "2026-11-18T09");
    let (code, stderr) = check_files(&[(NAME, VALID), ("2026-11-18-alpha-vs-beta.md", &later)]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("duplicate slug `alpha-vs-beta`"),
        "{stderr}"
    );
    assert!(stderr.contains("2026-11-18-alpha-vs-beta.md"), "{stderr}");
    assert!(stderr.contains(NAME), "{stderr}");
}

#[test]
fn missing_front_matter_is_refused_at_line_1() {
    let error = single_error(NAME, "title = \"x\"\n");
    assert!(error.contains(&format!("{NAME} line 1:")), "{error}");
    assert!(error.contains("+++"), "{error}");
}

#[test]
fn duplicate_lens_review_and_second_pull_quote_are_refused() {
    let extra = "\n[[reviews]]\nlens = \"buyer\"\ntool = \"Beta\"\nverdict = \"ship\"\npull = true\nquote = \"Again.\"\n+++";
    let text = VALID.replacen("\n+++", extra, 1);
    let (code, stderr) = check_files(&[(NAME, &text)]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("field `reviews[2].lens`: \"Beta\" has a second The buyer review"),
        "{stderr}"
    );
    assert!(
        stderr.contains("field `reviews[2].pull`: \"Beta\" already has a pull quote"),
        "{stderr}"
    );
}

#[test]
fn every_error_in_every_file_is_reported() {
    let first = VALID
        .replace("panel_ship = 75", "panel_ship = 101")
        .replace("panel_ship = 50", "panel_ship = 200")
        .replace("tool = \"Alpha\"", "tool = \"Nope\"");
    let second = VALID
        .replace("alpha", "other")
        .replace("2026-11-16T09", "2026-11-17T09")
        .replace("community_votes = 40", "community_votes = 0");
    let (code, stderr) = check_files(&[
        (NAME, &first),
        ("2026-11-17-other.md", &second),
        ("2026-11-18-broken.md", "+++\ntitle = \n+++\n"),
    ]);
    assert_eq!(code, 3, "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 5, "{stderr}");
    assert!(stderr.contains("5 problems found"), "{stderr}");
    assert!(stderr.contains("2026-11-18-broken.md line 2"), "{stderr}");
}

#[test]
fn file_that_is_not_utf8_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = VALID.as_bytes().to_vec();
    let at = VALID.find("Fast and small").unwrap();
    bytes[at] = 0xff;
    std::fs::write(dir.path().join(NAME), bytes).unwrap();
    let output = check(dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&format!("{NAME} line 9")), "{stderr}");
    assert!(stderr.contains("not valid UTF-8"), "{stderr}");
}

#[test]
fn a_tls_ca_file_without_a_certificate_is_refused_naming_the_setting_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(NAME), VALID).unwrap();
    let not_pem = dir.path().join("relay-ca.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    for smtp_url in [None, Some("smtp://127.0.0.1:2525")] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_verdicts"));
        command
            .arg("check")
            .current_dir(dir.path())
            .env("VERDICTS_CONTENT_DIR", dir.path())
            .env("VERDICTS_TLS_CA_FILE", &not_pem)
            .env_remove("VERDICTS_CONFIG")
            .env_remove("VERDICTS_SMTP_URL");
        if let Some(url) = smtp_url {
            command.env("VERDICTS_SMTP_URL", url);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{smtp_url:?}: {stderr}");
        assert!(
            stderr.contains("tls_ca_file")
                && stderr.contains("relay-ca.pem")
                && stderr.contains("no PEM"),
            "{smtp_url:?}: {stderr}"
        );
    }
}

#[test]
fn a_retry_cap_below_the_first_retry_is_refused_naming_both_keys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(NAME), VALID).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_verdicts"))
        .arg("check")
        .current_dir(dir.path())
        .env("VERDICTS_CONTENT_DIR", dir.path())
        .env_remove("VERDICTS_CONFIG")
        .env("VERDICTS_RETRY_BASE_SECONDS", "600")
        .env("VERDICTS_RETRY_MAX_SECONDS", "300")
        .output()
        .expect("verdicts runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("retry_max_seconds = 300 must be at least retry_base_seconds = 600"),
        "{stderr}"
    );
}

#[test]
fn a_database_url_of_an_unknown_scheme_is_refused_everywhere_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["check"][..],
        &["subscribers", "count"],
        &["subscribers", "add", "a@example.org", "--confirmed"],
        &["status"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_verdicts"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("VERDICTS_CONFIG")
            .env(
                "VERDICTS_DATABASE",
                "mysql://verdicts:hunter2@db.example.org/verdicts",
            )
            .output()
            .expect("verdicts runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(stderr.contains("mysql://"), "{args:?}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{args:?}: {stderr}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing created: {left:?}");
}

#[test]
fn check_reaches_a_postgres_store_without_changing_it_and_names_one_it_cannot_reach() {
    let Some(database) = crate::support::postgres::fresh_database("check_reaches_a_postgres_store")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_verdicts"))
            .arg("check")
            .current_dir(dir.path())
            .env_remove("VERDICTS_CONFIG")
            .env("VERDICTS_DATABASE", url)
            .env("VERDICTS_DATABASE_PASSWORD", "hunter2")
            .env(
                "VERDICTS_CONTENT_DIR",
                Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
            )
            .output()
            .expect("verdicts runs")
    };
    let output = run(&database.to_string());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        stdout.contains("PostgreSQL")
            && stdout.contains("empty: the schema is created on first use"),
        "{stdout}"
    );
    // Nothing was created: a second look still finds the database empty.
    let again = String::from_utf8_lossy(&run(&database.to_string()).stdout).to_string();
    assert!(again.contains("empty"), "{again}");

    // A port nobody listens on: exit 3, the URL named, the password not.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let output = run(&format!("postgres://verdicts@127.0.0.1:{port}/verdicts"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("postgres://verdicts@127.0.0.1:{port}/verdicts")),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing created"
    );
}

#[test]
fn categories_are_listed_with_counts_and_ones_differing_only_in_case_or_spacing_get_a_warning() {
    let second = VALID
        .replace(
            "category = \"Developer Tools\"",
            "category = \"Developer  tools\"",
        )
        .replace("title = \"Alpha vs Beta\"", "title = \"Alpha vs Gamma\"");
    let third = VALID
        .replace("category = \"Developer Tools\"", "category = \"Search\"")
        .replace("title = \"Alpha vs Beta\"", "title = \"Alpha vs Delta\"");
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        (NAME, VALID.to_string()),
        ("2026-11-16-alpha-vs-gamma.md", second),
        ("2026-11-16-alpha-vs-delta.md", third),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let output = check(dir.path());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "a warning only: {stderr}");
    assert!(
        stdout.contains("categories: Developer tools (2), Search (1)"),
        "one category to readers, shown with single spaces: {stdout}"
    );
    assert!(
        stdout.contains("ok: configuration and 3 comparisons"),
        "{stdout}"
    );
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("warning: categories differ only in case or spacing"))
        .unwrap_or_else(|| panic!("a warning in: {stderr}"));
    assert!(
        warning.contains("\"Developer  tools\" (alpha-vs-gamma)")
            && warning.contains("\"Developer Tools\" (alpha-vs-beta)"),
        "{warning}"
    );
}

#[test]
fn categories_spelled_alike_get_no_warning() {
    let second = VALID.replace("title = \"Alpha vs Beta\"", "title = \"Alpha vs Gamma\"");
    let (code, stderr) = check_files(&[
        (NAME, VALID),
        ("2026-11-16-alpha-vs-gamma.md", second.as_str()),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning: categories"), "{stderr}");
}

#[test]
fn a_category_only_the_newest_week_uses_gets_a_warning_naming_it_and_its_comparisons() {
    let newer = VALID
        .replace(
            "published = 2026-11-16T09:00:00Z",
            "published = 2026-11-23T09:00:00Z",
        )
        .replace("title = \"Alpha vs Beta\"", "title = \"Alpha vs Gamma\"");
    let typo = newer
        .replace(
            "category = \"Developer Tools\"",
            "category = \"Developer Tols\"",
        )
        .replace("title = \"Alpha vs Gamma\"", "title = \"Alpha vs Delta\"");
    let (code, stderr) = check_files(&[
        (NAME, VALID),
        ("2026-11-23-alpha-vs-gamma.md", newer.as_str()),
        ("2026-11-23-alpha-vs-delta.md", typo.as_str()),
    ]);
    assert_eq!(code, 0, "a warning only: {stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("is new in")).collect();
    assert_eq!(warnings.len(), 1, "only the typo is new: {stderr}");
    assert!(
        warnings[0].starts_with(
            "warning: category \"Developer Tols\" is new in 2026-W48 (alpha-vs-delta)"
        ),
        "{}",
        warnings[0]
    );
}

#[test]
fn in_the_first_week_no_category_counts_as_new() {
    let (code, stderr) = check_files(&[(NAME, VALID)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("is new in"), "{stderr}");
}
