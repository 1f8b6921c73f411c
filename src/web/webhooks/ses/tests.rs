//! SES notifications as SES writes them (shapes from its documentation's examples, addresses ours).

use super::parse;
use crate::store::BounceKind;
use crate::web::webhooks::event::Parsed;

fn events(message: &str) -> Vec<(String, BounceKind, String, Option<String>)> {
    match parse(message).unwrap() {
        Parsed::Events(events) => events
            .into_iter()
            .map(|e| (e.recipient, e.kind, e.reason, e.message_id))
            .collect(),
        Parsed::Ignored(why) => panic!("ignored: {why}"),
    }
}

#[test]
fn a_permanent_bounce_is_hard_for_each_recipient_with_status_and_diagnostic() {
    let message = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",
      "bouncedRecipients":[{"emailAddress":"ann@example.org","action":"failed","status":"5.1.1",
        "diagnosticCode":"smtp; 550 5.1.1 user unknown"},{"emailAddress":"bob@example.org"}],
      "timestamp":"2026-11-23T09:00:05.000Z","feedbackId":"0100","reportingMTA":"dsn; a.example"},
      "mail":{"timestamp":"2026-11-23T09:00:00.000Z","source":"digest@verdicts.example.org",
        "messageId":"0100018c","destination":["ann@example.org","bob@example.org"],
        "commonHeaders":{"messageId":"<2026-W47.1.1a2b3c4d@verdicts.example.org>"}}}"#;
    let found = events(message);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].0, "ann@example.org");
    assert_eq!(found[0].1, BounceKind::Hard);
    assert_eq!(
        found[0].2,
        "SES Permanent/General bounce: 5.1.1: smtp; 550 5.1.1 user unknown"
    );
    assert_eq!(
        found[0].3.as_deref(),
        Some("<2026-W47.1.1a2b3c4d@verdicts.example.org>")
    );
    assert_eq!(found[1].2, "SES Permanent/General bounce");
}

#[test]
fn a_transient_bounce_is_soft_unless_it_is_about_the_message() {
    let soft = r#"{"eventType":"Bounce","bounce":{"bounceType":"Transient","bounceSubType":"MailboxFull",
      "bouncedRecipients":[{"emailAddress":"ann@example.org","status":"4.2.2"}]}}"#;
    assert_eq!(events(soft)[0].1, BounceKind::Soft);
    let content = soft.replace("MailboxFull", "ContentRejected");
    assert!(matches!(parse(&content).unwrap(), Parsed::Ignored(_)));
    let undetermined = soft.replace("Transient", "Undetermined");
    assert!(matches!(parse(&undetermined).unwrap(), Parsed::Ignored(_)));
}

#[test]
fn a_complaint_names_its_feedback_type_and_not_spam_is_ignored() {
    let message = r#"{"notificationType":"Complaint","complaint":{"complainedRecipients":[
      {"emailAddress":"ann@example.org"}],"complaintFeedbackType":"abuse","timestamp":"2026-11-23T10:00:00Z"},
      "mail":{"messageId":"0100"}}"#;
    let found = events(message);
    assert_eq!(found[0].1, BounceKind::Complaint);
    assert_eq!(found[0].2, "SES complaint: abuse");
    assert_eq!(found[0].3, None);
    let not_spam = message.replace("abuse", "not-spam");
    assert!(matches!(parse(&not_spam).unwrap(), Parsed::Ignored(_)));
}

#[test]
fn deliveries_and_setup_messages_are_ignored_and_malformed_ones_name_the_problem() {
    for message in [
        r#"{"notificationType":"Delivery","mail":{}}"#,
        r#"{"notificationType":"AmazonSnsSubscriptionSucceeded","message":"ok"}"#,
    ] {
        assert!(
            matches!(parse(message).unwrap(), Parsed::Ignored(_)),
            "{message}"
        );
    }
    let err = parse("not json").unwrap_err();
    assert!(err.contains("not valid"), "{err}");
    let err = parse(r#"{"notificationType":"Bounce"}"#).unwrap_err();
    assert!(err.contains("\"bounce\""), "{err}");
    let err = parse(
        r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{}]}}"#,
    )
    .unwrap_err();
    assert!(err.contains("emailAddress"), "{err}");
}
