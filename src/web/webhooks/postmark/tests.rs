//! Postmark's basic auth and its Bounce and SpamComplaint payloads (shapes from its documentation).

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderValue};

use super::{Credentials, parse};
use crate::store::BounceKind;
use crate::web::webhooks::event::Parsed;

fn with_authorization(value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
    headers
}

#[test]
fn only_the_exact_basic_credentials_are_admitted_and_the_password_is_never_shown() {
    let credentials = Credentials::new("postmark", "s3cret").unwrap();
    // base64("postmark:s3cret")
    assert!(credentials.admits(&with_authorization("Basic cG9zdG1hcms6czNjcmV0")));
    assert!(credentials.admits(&with_authorization("basic  cG9zdG1hcms6czNjcmV0 ")));
    // base64("postmark:s3cre"), base64("other:s3cret")
    assert!(!credentials.admits(&with_authorization("Basic cG9zdG1hcms6czNjcmU=")));
    assert!(!credentials.admits(&with_authorization("Basic b3RoZXI6czNjcmV0")));
    assert!(!credentials.admits(&with_authorization("Bearer s3cret")));
    assert!(!credentials.admits(&with_authorization("Basic !!!")));
    assert!(!credentials.admits(&HeaderMap::new()));
    assert!(!format!("{credentials:?}").contains("s3cret"));
    assert!(Credentials::new("postmark", "").is_none());
}

fn one(body: &str) -> (String, BounceKind, String) {
    match parse(body.as_bytes()).unwrap() {
        Parsed::Events(mut events) => {
            assert_eq!(events.len(), 1);
            let event = events.remove(0);
            (event.recipient, event.kind, event.reason)
        }
        Parsed::Ignored(why) => panic!("ignored: {why}"),
    }
}

const HARD: &str = r#"{"RecordType":"Bounce","ID":42,"Type":"HardBounce","TypeCode":1,"Name":"Hard bounce",
  "MessageID":"883953f4-6105-42a2-a16a-77a8eac79483","Description":"The server was unable to deliver your message",
  "Details":"smtp;550 5.1.1 The email account that you tried to reach does not exist","Email":"ann@example.org",
  "From":"digest@verdicts.example.org","BouncedAt":"2026-11-23T09:00:05Z","Inactive":true,"CanActivate":true,
  "Metadata":{"a_key":"a_value"},"MessageStream":"outbound"}"#;

#[test]
fn hard_soft_and_complaint_records_map_to_their_kinds_with_the_details() {
    let (email, kind, reason) = one(HARD);
    assert_eq!(email, "ann@example.org");
    assert_eq!(kind, BounceKind::Hard);
    assert_eq!(
        reason,
        "Postmark HardBounce: smtp;550 5.1.1 The email account that you tried to reach does not exist"
    );
    let soft = HARD.replace("\"HardBounce\"", "\"SoftBounce\"");
    assert_eq!(one(&soft).1, BounceKind::Soft);
    let complaint = r#"{"RecordType":"SpamComplaint","ID":43,"Type":"SpamComplaint","TypeCode":100001,
      "Email":"ann@example.org","Description":"The subscriber explicitly marked this message as spam.",
      "Details":"Test spam complaint details","BouncedAt":"2026-11-23T09:00:05Z"}"#;
    let (_, kind, reason) = one(complaint);
    assert_eq!(kind, BounceKind::Complaint);
    assert_eq!(
        reason,
        "Postmark SpamComplaint: Test spam complaint details"
    );
}

#[test]
fn auto_replies_blocks_and_other_records_are_ignored() {
    for body in [
        HARD.replace("\"HardBounce\"", "\"AutoResponder\""),
        HARD.replace("\"HardBounce\"", "\"Blocked\""),
        HARD.replace("\"Bounce\"", "\"Delivery\""),
    ] {
        assert!(
            matches!(parse(body.as_bytes()).unwrap(), Parsed::Ignored(_)),
            "{body}"
        );
    }
}

#[test]
fn a_malformed_body_names_the_problem() {
    let err = parse(b"{\"RecordType\":\"Bounce\"}").unwrap_err();
    assert!(err.contains("Email"), "{err}");
    let err = parse(b"<xml/>").unwrap_err();
    assert!(err.contains("not valid"), "{err}");
}
