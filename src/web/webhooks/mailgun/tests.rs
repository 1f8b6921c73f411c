//! Mailgun's signature, its staleness and replay checks, and its events (shapes from its documentation).

use aws_lc_rs::hmac;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use super::{MAX_SKEW_SECONDS, Refusal, ReplayCache, Signature, SigningKey, parse};
use crate::store::BounceKind;
use crate::web::webhooks::event::Parsed;

const KEY: &str = "key-0123456789abcdef";
const TOKEN: &str = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// Signs as Mailgun does, independently of the code under test's decoding.
fn signed(timestamp: i64, token: &str) -> Signature {
    let key = hmac::Key::new(hmac::HMAC_SHA256, KEY.as_bytes());
    let tag = hmac::sign(&key, format!("{timestamp}{token}").as_bytes());
    Signature {
        timestamp: timestamp.to_string(),
        token: token.to_owned(),
        signature: tag.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
    }
}

#[test]
fn a_fresh_signature_with_the_key_verifies_and_any_change_does_not() {
    let key = SigningKey::new(KEY).unwrap();
    let at = now().timestamp() - 10;
    assert_eq!(key.verify(&signed(at, TOKEN), now()), Ok(at));
    let mut upper = signed(at, TOKEN);
    upper.signature = upper.signature.to_uppercase();
    assert_eq!(key.verify(&upper, now()), Ok(at));
    let mut other_token = signed(at, TOKEN);
    other_token.token.push('x');
    assert_eq!(key.verify(&other_token, now()), Err(Refusal::BadSignature));
    let mut not_hex = signed(at, TOKEN);
    not_hex.signature = "zz".into();
    assert_eq!(key.verify(&not_hex, now()), Err(Refusal::BadSignature));
    let other_key = SigningKey::new("key-other").unwrap();
    assert_eq!(
        other_key.verify(&signed(at, TOKEN), now()),
        Err(Refusal::BadSignature)
    );
    assert!(!format!("{key:?}").contains(KEY));
    assert!(SigningKey::new(" ").is_none());
}

#[test]
fn a_timestamp_more_than_five_minutes_off_the_clock_either_way_is_stale() {
    let key = SigningKey::new(KEY).unwrap();
    let edge = now().timestamp() - MAX_SKEW_SECONDS;
    assert!(key.verify(&signed(edge, TOKEN), now()).is_ok());
    assert_eq!(
        key.verify(&signed(edge - 1, TOKEN), now()),
        Err(Refusal::Stale(MAX_SKEW_SECONDS + 1))
    );
    let future = now().timestamp() + MAX_SKEW_SECONDS + 60;
    assert_eq!(
        key.verify(&signed(future, TOKEN), now()),
        Err(Refusal::Stale(-MAX_SKEW_SECONDS - 60))
    );
}

#[test]
fn a_token_is_taken_once_until_released() {
    let cache = ReplayCache::default();
    let at = now().timestamp();
    assert_eq!(cache.claim(TOKEN, at, now()), Ok(()));
    assert_eq!(cache.claim(TOKEN, at, now()), Err(Refusal::Replayed));
    cache.release(TOKEN);
    assert_eq!(cache.claim(TOKEN, at, now()), Ok(()));
    assert_eq!(cache.claim("another", at, now()), Ok(()));
}

fn failed(severity: &str, reason: &str) -> serde_json::Value {
    json!({
        "event": "failed", "severity": severity, "reason": reason, "recipient": "ann@example.org",
        "timestamp": 1_529_006_854.329_574_f64, "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "delivery-status": {"attempt-no": 1, "code": 550, "enhanced-code": "5.1.1",
            "message": "550 5.1.1 The email account that you tried to reach does not exist.", "description": ""},
        "message": {"headers": {"to": "ann@example.org", "from": "digest@verdicts.example.org",
            "message-id": "2026-W47.1.1a2b3c4d@verdicts.example.org", "subject": "This week"}}
    })
}

fn one(event_data: serde_json::Value) -> (BounceKind, String, Option<String>) {
    match parse(event_data).unwrap() {
        Parsed::Events(mut events) => {
            let event = events.remove(0);
            assert_eq!(event.recipient, "ann@example.org");
            (event.kind, event.reason, event.message_id)
        }
        Parsed::Ignored(why) => panic!("ignored: {why}"),
    }
}

#[test]
fn failed_and_complained_events_map_to_their_kinds() {
    let (kind, reason, message_id) = one(failed("permanent", "bounce"));
    assert_eq!(kind, BounceKind::Hard);
    assert_eq!(
        reason,
        "Mailgun failed (permanent, bounce): 550: 5.1.1: 550 5.1.1 The email account that you tried to reach does \
         not exist."
    );
    assert_eq!(
        message_id.as_deref(),
        Some("2026-W47.1.1a2b3c4d@verdicts.example.org")
    );
    assert_eq!(
        one(failed("permanent", "suppress-bounce")).0,
        BounceKind::Hard
    );
    assert_eq!(one(failed("temporary", "generic")).0, BounceKind::Soft);
    let complained =
        json!({"event": "complained", "recipient": "ann@example.org", "timestamp": 1.0});
    assert_eq!(one(complained).0, BounceKind::Complaint);
}

#[test]
fn policy_failures_and_other_events_are_ignored_and_malformed_ones_name_the_problem() {
    for event in [
        failed("permanent", "espblock"),
        failed("permanent", "suppress-unsubscribe"),
        json!({"event": "delivered", "recipient": "ann@example.org"}),
    ] {
        assert!(
            matches!(parse(event.clone()).unwrap(), Parsed::Ignored(_)),
            "{event}"
        );
    }
    let err = parse(json!({"event": "failed"})).unwrap_err();
    assert!(err.contains("recipient"), "{err}");
}
