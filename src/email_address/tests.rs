//! Edge cases of address and name parsing: what lettre accepts, and what this crate refuses on top.

use crate::email_address::{AddressError, NameError, SubscriberEmail, SubscriberName};

#[test]
fn a_plain_address_parses_and_displays_as_given() {
    let email = SubscriberEmail::parse("reader@example.org").unwrap();
    assert_eq!(email.as_str(), "reader@example.org");
    assert_eq!(email.to_string(), "reader@example.org");
    let address: lettre::Address = email.into();
    assert_eq!(address.domain(), "example.org");
}

#[test]
fn surrounding_whitespace_is_trimmed() {
    let email = SubscriberEmail::parse("  reader@example.org \n").unwrap();
    assert_eq!(email.as_str(), "reader@example.org");
}

#[test]
fn a_header_injection_attempt_is_refused_with_the_value_escaped() {
    let err = SubscriberEmail::parse("a@b.org\r\nBcc: x@y.org").unwrap_err();
    assert!(matches!(
        err,
        AddressError::ControlCharacter { found: '\r', .. }
    ));
    assert_eq!(
        err.to_string(),
        r#""a@b.org\r\nBcc: x@y.org" is not a usable email address: it contains the control character '\r'"#
    );
}

#[test]
fn nul_tab_and_unicode_line_separators_are_refused() {
    for input in [
        "a\0b@example.org",
        "a\tb@example.org",
        "a@exam\u{2028}ple.org",
    ] {
        let err = SubscriberEmail::parse(input).unwrap_err();
        assert!(
            matches!(err, AddressError::ControlCharacter { .. }),
            "{input:?}: {err}"
        );
    }
}

#[test]
fn a_space_inside_the_address_is_refused() {
    let err = SubscriberEmail::parse("john doe@example.org").unwrap_err();
    assert!(
        matches!(err, AddressError::InvalidLocalPart { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("\"john doe\""), "{err}");
}

#[test]
fn the_domain_is_lower_cased_and_the_local_part_keeps_its_case() {
    let email = SubscriberEmail::parse("Jane.Doe@Example.ORG").unwrap();
    assert_eq!(email.as_str(), "Jane.Doe@example.org");
    assert_eq!(email.key(), "jane.doe@example.org");
}

#[test]
fn an_address_over_254_characters_is_refused_and_the_message_is_cut_short() {
    let input = format!("{}@{}.org", "a".repeat(60), "b".repeat(236));
    assert_eq!(input.len(), 301);
    let err = SubscriberEmail::parse(&input).unwrap_err();
    assert!(matches!(err, AddressError::TooLong { .. }));
    let message = err.to_string();
    assert!(message.contains("longer than 254"), "{message}");
    assert!(message.len() < 200, "{message}");
}

#[test]
fn a_local_part_over_64_characters_is_refused() {
    let err = SubscriberEmail::parse(&format!("{}@example.org", "a".repeat(65))).unwrap_err();
    assert!(
        matches!(err, AddressError::LocalPartTooLong { .. }),
        "{err}"
    );
    SubscriberEmail::parse(&format!("{}@example.org", "a".repeat(64))).unwrap();
}

#[test]
fn an_internationalised_domain_is_stored_in_its_ascii_form() {
    let email = SubscriberEmail::parse("leser@Bücher.example").unwrap();
    assert_eq!(email.as_str(), "leser@xn--bcher-kva.example");
    let same = SubscriberEmail::parse("leser@xn--bcher-kva.example").unwrap();
    assert_eq!(email.key(), same.key());
}

#[test]
fn a_non_ascii_local_part_is_accepted_as_lettre_accepts_it() {
    let email = SubscriberEmail::parse("José@example.org").unwrap();
    assert_eq!(email.as_str(), "José@example.org");
    assert_eq!(email.key(), "josé@example.org");
}

#[test]
fn sql_metacharacters_in_the_local_part_are_valid() {
    let email = SubscriberEmail::parse("o'brien@x.org").unwrap();
    assert_eq!(email.as_str(), "o'brien@x.org");
}

#[test]
fn malformed_addresses_are_refused_with_the_reason() {
    assert_eq!(SubscriberEmail::parse("   "), Err(AddressError::Empty));
    let cases = [
        ("reader.example.org", "has no @"),
        ("@example.org", "\"\" is not valid before the @"),
        ("reader@", "\"\" is not a valid domain"),
        ("reader@exa mple.org", "is not a valid domain"),
        ("reader@example..org", "is not a valid domain"),
        ("a@b@example.org", "is not valid before the @"),
    ];
    for (input, reason) in cases {
        let err = SubscriberEmail::parse(input).unwrap_err();
        assert!(err.to_string().contains(reason), "{input:?}: {err}");
        assert!(
            err.to_string().contains(&format!("{input:?}")),
            "{input:?}: {err}"
        );
    }
}

#[test]
fn ip_address_domains_are_refused() {
    for input in ["reader@[192.0.2.1]", "reader@192.0.2.1", "reader@[::1]"] {
        let err = SubscriberEmail::parse(input).unwrap_err();
        assert!(
            matches!(err, AddressError::IpAddressDomain { .. }),
            "{input:?}: {err}"
        );
    }
}

#[test]
fn a_name_is_trimmed_and_kept_as_written() {
    let name = SubscriberName::parse("  Zoë O'Brien ").unwrap();
    assert_eq!(name.as_str(), "Zoë O'Brien");
}

#[test]
fn a_name_with_a_line_break_is_refused() {
    let err = SubscriberName::parse("Eve\r\nBcc: x@y.org").unwrap_err();
    assert!(matches!(
        err,
        NameError::ControlCharacter { found: '\r', .. }
    ));
    assert!(
        err.to_string().contains(r#""Eve\r\nBcc: x@y.org""#),
        "{err}"
    );
}

#[test]
fn a_name_over_100_characters_is_refused_but_100_are_fine() {
    SubscriberName::parse(&"é".repeat(100)).unwrap();
    let err = SubscriberName::parse(&"é".repeat(101)).unwrap_err();
    assert!(matches!(err, NameError::TooLong { .. }), "{err}");
}

#[test]
fn a_blank_optional_name_is_no_name() {
    assert_eq!(SubscriberName::parse_optional("  "), Ok(None));
    assert_eq!(SubscriberName::parse("  "), Err(NameError::Empty));
    assert_eq!(
        SubscriberName::parse_optional("Ann")
            .unwrap()
            .unwrap()
            .as_str(),
        "Ann"
    );
}

#[test]
fn a_quoted_local_part_is_refused_because_it_cannot_be_mailed() {
    for input in [
        "\"a b\"@example.org",
        "\"ab\"@example.org",
        "\"a\\\"b\"@example.org",
    ] {
        let err = SubscriberEmail::parse(input).unwrap_err();
        assert!(
            matches!(err, AddressError::QuotedLocalPart { .. }),
            "{input}: {err}"
        );
        assert!(err.to_string().contains("quotes"), "{err}");
    }
}

#[test]
fn every_accepted_address_goes_into_a_message_as_it_is_stored() {
    for input in [
        "o'brien@x.org",
        "=x@example.org",
        "José@example.org",
        "a.b+c@example.org",
    ] {
        let email = SubscriberEmail::parse(input).unwrap();
        let to = lettre::message::Mailbox::new(Some("Ann".into()), email.as_address().clone());
        let message = lettre::Message::builder()
            .from("x@example.org".parse().unwrap())
            .to(to)
            .subject("s")
            .body(String::from("b"));
        assert!(message.is_ok(), "{input}");
    }
}
