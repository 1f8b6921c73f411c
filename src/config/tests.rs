//! Configuration parsing: defaults, environment overrides, and errors that name the setting.

use super::{Config, line_of};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn empty_file_gives_the_defaults() {
    let config = Config::parse("", &[]).unwrap();
    assert_eq!(config.base_url.as_str(), "https://verdicts.example.org");
    assert_eq!(config.sender_domain(), "verdicts.example.org");
    assert_eq!(config.timezone, chrono_tz::UTC);
    assert_eq!(
        config.unsubscribe_mailbox(),
        "unsubscribe@verdicts.example.org"
    );
}

#[test]
fn unsubscribe_mailbox_can_be_set_and_must_be_an_address() {
    let config = Config::parse(
        "",
        &env(&[("VERDICTS_UNSUBSCRIBE_MAILBOX", "leave@lists.example.com")]),
    )
    .unwrap();
    assert_eq!(config.unsubscribe_mailbox(), "leave@lists.example.com");
    let err = Config::parse("unsubscribe_mailbox = \"not an address\"", &[]).unwrap_err();
    assert!(
        format!("{err:#}").contains("unsubscribe_mailbox"),
        "{err:#}"
    );
}

#[test]
fn environment_overrides_the_file_with_typed_values() {
    let config = Config::parse(
        "concurrency = 2\ntimezone = \"Europe/Berlin\"\n",
        &env(&[
            ("VERDICTS_CONCURRENCY", "16"),
            ("VERDICTS_SMTP_URL", "smtp://127.0.0.1:2525"),
            ("VERDICTS_SECRET", "not a setting"),
            ("PATH", "/bin"),
        ]),
    )
    .unwrap();
    assert_eq!(config.concurrency, 16);
    assert_eq!(config.smtp_url.as_deref(), Some("smtp://127.0.0.1:2525"));
    assert_eq!(config.timezone, chrono_tz::Europe::Berlin);
}

#[test]
fn unknown_key_in_file_is_an_error_naming_it() {
    let err = Config::parse("sitename = \"x\"\n", &[]).unwrap_err();
    assert!(format!("{err:#}").contains("sitename"), "{err:#}");
}

#[test]
fn unknown_environment_setting_is_an_error_naming_it() {
    let err = Config::parse("", &env(&[("VERDICTS_CONCURENCY", "3")])).unwrap_err();
    assert!(format!("{err:#}").contains("concurency"), "{err:#}");
}

#[test]
fn bad_values_are_refused_with_the_value() {
    for (text, needle) in [
        ("timezone = \"Mars/Olympus\"", "Mars/Olympus"),
        ("base_url = \"verdicts.example.org\"", "base_url"),
        ("concurrency = 0", "concurrency"),
        ("from = \"not an address\"", "from"),
        ("smtp_url = \"http://x\"", "smtp_url"),
        ("schedule = \"0 9 * * 8\"", "0 9 * * 8"),
        ("retry_base_seconds = 0", "retry_base_seconds"),
        ("retry_base_seconds = -5", "retry_base_seconds"),
        (
            "retry_base_seconds = 600\nretry_max_seconds = 300",
            "retry_max_seconds = 300 must be at least retry_base_seconds = 600",
        ),
    ] {
        let err = Config::parse(text, &[]).unwrap_err();
        assert!(format!("{err:#}").contains(needle), "{text}: {err:#}");
    }
    let err = Config::parse("", &env(&[("VERDICTS_CONCURRENCY", "many")])).unwrap_err();
    assert!(
        format!("{err:#}").contains("VERDICTS_CONCURRENCY"),
        "{err:#}"
    );
}

#[test]
fn the_retry_schedule_can_be_shortened_from_the_environment() {
    let config = Config::parse(
        "",
        &env(&[
            ("VERDICTS_RETRY_BASE_SECONDS", "1"),
            ("VERDICTS_RETRY_MAX_SECONDS", "2"),
            ("VERDICTS_RETRY_WAIT_IN_RUN_SECONDS", "0"),
        ]),
    )
    .unwrap();
    assert_eq!(
        (
            config.retry_base_seconds,
            config.retry_max_seconds,
            config.retry_wait_in_run_seconds
        ),
        (1, 2, 0)
    );
    assert_eq!(
        (
            Config::default().retry_base_seconds,
            Config::default().retry_max_seconds
        ),
        (300, 4000)
    );
}

#[test]
fn syntax_error_names_the_line() {
    let err = Config::parse("site_name = \"a\"\nlisten = \n", &[]).unwrap_err();
    assert!(format!("{err:#}").starts_with("line 2"), "{err:#}");
}

#[test]
fn base_url_loses_its_trailing_slash() {
    let config = Config::parse("base_url = \"https://news.example.com/\"", &[]).unwrap();
    assert_eq!(config.base_url.as_str(), "https://news.example.com");
    assert_eq!(line_of("a\nb\nc", 4), 3);
}

#[test]
fn helo_name_defaults_to_the_sender_domain_and_must_be_a_host_name() {
    let config = Config::parse("", &[]).unwrap();
    assert_eq!(config.helo_name(), "verdicts.example.org");
    let config = Config::parse("helo_name = \"mta.example.org\"", &[]).unwrap();
    assert_eq!(config.helo_name(), "mta.example.org");
    let config = Config::parse("", &env(&[("VERDICTS_HELO_NAME", "[192.0.2.1]")])).unwrap();
    assert_eq!(config.helo_name(), "[192.0.2.1]");
    for bad in [
        "mta example.org",
        "mta..example.org",
        "-mta.example.org",
        "mta\r\nRSET",
    ] {
        let err = Config::parse("", &env(&[("VERDICTS_HELO_NAME", bad)])).unwrap_err();
        assert!(err.to_string().contains("helo_name"), "{bad:?}: {err}");
    }
}

#[test]
fn a_relay_list_names_the_relay_with_a_bad_scheme_and_relay_passwords_are_not_settings() {
    let err = Config::parse(
        "smtp_url = \"smtp://a, http://me:secret@b\"",
        &env(&[("VERDICTS_SMTP_PASSWORD_2", "x")]),
    )
    .unwrap_err();
    let err = format!("{err:#}");
    assert!(
        err.contains("smtp_url relay 2 of 2 = \"http://me:***@b\""),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
    let config = Config::parse(
        "smtp_url = \"smtp://a, smtp://b\"\nrelay_cooldown_seconds = 5",
        &env(&[("VERDICTS_SMTP_PASSWORD_2", "x")]),
    )
    .unwrap();
    assert_eq!(config.relay_cooldown_seconds, 5);
}

#[test]
fn the_example_configuration_parses_and_shows_every_key() {
    let example = include_str!("../../verdicts.example.toml");
    Config::parse(example, &[]).unwrap();
    // Keys without a default (None) are not serialized: they are shown commented out.
    let optional = [
        "reply_to",
        "smtp_url",
        "dkim_selector",
        "unsubscribe_mailbox",
        "thank_you_url",
        "helo_name",
        "tls_ca_file",
        "ses_certificate_file",
    ];
    let defaults = toml::Table::try_from(Config::default()).unwrap();
    for key in defaults.keys().map(String::as_str).chain(optional) {
        assert!(
            example.contains(&format!("\n{key} = ")) || example.contains(&format!("\n# {key} = ")),
            "verdicts.example.toml does not show {key}"
        );
    }
}

#[test]
fn an_unknown_database_scheme_is_refused_naming_it_without_the_rest() {
    for url in [
        "mysql://verdicts:hunter2@db.example.org/verdicts",
        "sqlite:///srv/verdicts.db",
    ] {
        let err = format!(
            "{:#}",
            Config::parse("", &env(&[("VERDICTS_DATABASE", url)])).unwrap_err()
        );
        let scheme = url.split_once("://").unwrap().0;
        assert!(err.contains(&format!("{scheme}://")), "{err}");
        assert!(
            !err.contains("hunter2"),
            "no password in the message: {err}"
        );
    }
    let config = Config::parse("", &env(&[("VERDICTS_DATABASE", "data/my:store.db")])).unwrap();
    assert_eq!(
        config.database.sqlite_path(),
        Some(std::path::Path::new("data/my:store.db"))
    );
}

#[test]
fn a_postgres_database_takes_its_password_from_the_environment_and_never_shows_it() {
    let config = Config::parse(
        "database = \"postgres://verdicts@db.example.org/verdicts\"",
        &env(&[("VERDICTS_DATABASE_PASSWORD", "hunter2")]),
    )
    .unwrap();
    let weekly_verdicts_db = &config.database;
    assert_eq!(weekly_verdicts_db.sqlite_path(), None);
    let crate::store::Database::Postgres(url) = weekly_verdicts_db else {
        panic!("not postgres: {weekly_verdicts_db}")
    };
    assert_eq!(url.config().get_password(), Some(&b"hunter2"[..]));
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[test]
fn the_metrics_token_is_a_secret_read_from_the_environment_and_refused_in_the_file() {
    let config = Config::parse("", &env(&[("VERDICTS_METRICS_TOKEN", "s3cret-token")])).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cret-token"), "{shown}");
    let err =
        Config::parse("site_name = \"A\"\nmetrics_token = \"s3cret-token\"\n", &[]).unwrap_err();
    let err = format!("{err:#}");
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("VERDICTS_METRICS_TOKEN"), "{err}");
    assert!(!err.contains("s3cret-token"), "{err}");
}

#[test]
fn the_send_lease_time_defaults_to_two_minutes_and_out_of_range_values_are_refused_by_name() {
    assert_eq!(Config::default().send_lease_seconds, 120);
    assert_eq!(
        Config::parse("send_lease_seconds = 3", &[])
            .unwrap()
            .send_lease_seconds,
        3
    );
    for value in ["0", "86401"] {
        let err = Config::parse("", &env(&[("VERDICTS_SEND_LEASE_SECONDS", value)])).unwrap_err();
        assert!(
            format!("{err:#}").contains(&format!("send_lease_seconds = {value}")),
            "{err:#}"
        );
    }
}

#[test]
fn the_send_claim_time_defaults_to_five_minutes_and_out_of_range_values_are_refused_by_name() {
    assert_eq!(Config::default().send_claim_seconds, 300);
    let config = Config::parse("send_claim_seconds = 2", &[]).unwrap();
    assert_eq!(config.send_claim_seconds, 2);
    for value in ["0", "86401"] {
        let err = Config::parse("", &env(&[("VERDICTS_SEND_CLAIM_SECONDS", value)])).unwrap_err();
        assert!(
            format!("{err:#}").contains(&format!("send_claim_seconds = {value}")),
            "{err:#}"
        );
    }
}

#[test]
fn webhook_secrets_are_read_from_the_environment_only_and_refused_in_the_file() {
    let config = Config::parse(
        "",
        &env(&[
            ("VERDICTS_POSTMARK_WEBHOOK_PASSWORD", "pm-s3cret"),
            ("VERDICTS_MAILGUN_SIGNING_KEY", "mg-s3cret"),
            ("VERDICTS_POSTMARK_WEBHOOK_USER", "hooks"),
            (
                "VERDICTS_SES_TOPIC_ARNS",
                "arn:aws:sns:eu-west-1:123456789012:a, arn:aws:sns:eu-west-1:123456789012:b",
            ),
        ]),
    )
    .unwrap();
    assert_eq!(config.postmark_webhook_user, "hooks");
    assert!(
        config
            .ses_topic_arns
            .allows("arn:aws:sns:eu-west-1:123456789012:b")
    );
    assert!(
        !config
            .ses_topic_arns
            .allows("arn:aws:sns:eu-west-1:123456789012:c")
    );
    let shown = format!("{config:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    for (key, variable) in [
        (
            "postmark_webhook_password",
            "VERDICTS_POSTMARK_WEBHOOK_PASSWORD",
        ),
        ("mailgun_signing_key", "VERDICTS_MAILGUN_SIGNING_KEY"),
    ] {
        let err = Config::parse(&format!("{key} = \"s3cret\"\n"), &[]).unwrap_err();
        let err = format!("{err:#}");
        assert!(err.contains(variable) && err.contains("line 1"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }
    let err = Config::parse("ses_topic_arns = [\"bounces\"]", &[]).unwrap_err();
    assert!(format!("{err:#}").contains("\"bounces\""), "{err:#}");
    let err = Config::parse("postmark_webhook_user = \"a:b\"", &[]).unwrap_err();
    assert!(
        format!("{err:#}").contains("postmark_webhook_user"),
        "{err:#}"
    );
}

#[test]
fn the_secrets_debug_says_whether_webhook_secrets_are_set_without_showing_them() {
    let secrets = super::Secrets {
        postmark_webhook_password: Some("pm-s3cret".into()),
        mailgun_signing_key: Some("mg-s3cret".into()),
        ..super::Secrets::default()
    };
    let shown = format!("{secrets:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("mailgun_signing_key: \"set\""), "{shown}");
}
