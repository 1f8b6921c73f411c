//! Token round trips, tampering, expiry with a pinned clock, and key rotation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::tokens::{Purpose, TokenError, Tokens};

fn issued() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap()
}

fn tokens() -> Tokens {
    Tokens::new(b"current key for tests".to_vec(), vec![])
}

#[test]
fn a_token_verifies_for_its_purpose_and_returns_the_subscriber_id() {
    let tokens = tokens();
    for purpose in [Purpose::Confirm, Purpose::Unsubscribe] {
        let token = tokens.sign(purpose, 42, issued());
        assert_eq!(tokens.verify(purpose, &token, issued()), Ok(42));
    }
    let big = tokens.sign(Purpose::Unsubscribe, u64::MAX, issued());
    assert_eq!(
        tokens.verify(Purpose::Unsubscribe, &big, issued()),
        Ok(u64::MAX)
    );
}

#[test]
fn a_token_is_url_safe_without_padding() {
    let token = tokens().sign(Purpose::Confirm, 7, issued());
    assert_eq!(token.len(), 44);
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{token}"
    );
}

#[test]
fn a_confirm_token_does_not_unsubscribe_and_vice_versa() {
    let tokens = tokens();
    let confirm = tokens.sign(Purpose::Confirm, 1, issued());
    let unsubscribe = tokens.sign(Purpose::Unsubscribe, 1, issued());
    assert_eq!(
        tokens.verify(Purpose::Unsubscribe, &confirm, issued()),
        Err(TokenError::WrongPurpose)
    );
    assert_eq!(
        tokens.verify(Purpose::Confirm, &unsubscribe, issued()),
        Err(TokenError::WrongPurpose)
    );
}

#[test]
fn flipping_any_byte_of_a_token_breaks_its_signature() {
    let tokens = tokens();
    let token = tokens.sign(Purpose::Unsubscribe, 99, issued());
    let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
    for index in 0..bytes.len() {
        let mut forged = bytes.clone();
        forged[index] ^= 0x01;
        let forged = URL_SAFE_NO_PAD.encode(&forged);
        assert_eq!(
            tokens.verify(Purpose::Unsubscribe, &forged, issued()),
            Err(TokenError::BadSignature),
            "byte {index}"
        );
    }
}

#[test]
fn truncated_and_garbage_tokens_are_malformed() {
    let tokens = tokens();
    let token = tokens.sign(Purpose::Confirm, 5, issued());
    for bad in [
        &token[..43],
        &token[..40],
        "",
        "not a token!",
        "====",
        &format!("{token}AAAA"),
    ] {
        assert_eq!(
            tokens.verify(Purpose::Confirm, bad, issued()),
            Err(TokenError::Malformed),
            "{bad:?}"
        );
    }
}

#[test]
fn a_confirm_token_expires_seven_days_after_issue() {
    let tokens = tokens();
    let token = tokens.sign(Purpose::Confirm, 3, issued());
    let almost = issued() + Duration::days(7) - Duration::seconds(1);
    assert_eq!(tokens.verify(Purpose::Confirm, &token, almost), Ok(3));
    let expired = issued() + Duration::days(7);
    assert_eq!(
        tokens.verify(Purpose::Confirm, &token, expired),
        Err(TokenError::Expired)
    );
}

#[test]
fn an_unsubscribe_token_still_works_after_400_days() {
    let tokens = tokens();
    let token = tokens.sign(Purpose::Unsubscribe, 3, issued());
    let later = issued() + Duration::days(400);
    assert_eq!(tokens.verify(Purpose::Unsubscribe, &token, later), Ok(3));
}

#[test]
fn a_token_signed_with_an_old_key_verifies_only_while_that_key_is_retired_not_dropped() {
    let old = Tokens::new(b"old key".to_vec(), vec![]);
    let token = old.sign(Purpose::Unsubscribe, 11, issued());

    let rotated = Tokens::new(b"new key".to_vec(), vec![b"old key".to_vec()]);
    assert_eq!(
        rotated.verify(Purpose::Unsubscribe, &token, issued()),
        Ok(11)
    );
    let fresh = rotated.sign(Purpose::Unsubscribe, 11, issued());
    assert_ne!(fresh, token, "new tokens use the new key");
    assert_eq!(
        old.verify(Purpose::Unsubscribe, &fresh, issued()),
        Err(TokenError::BadSignature)
    );

    let dropped = Tokens::new(b"new key".to_vec(), vec![]);
    assert_eq!(
        dropped.verify(Purpose::Unsubscribe, &token, issued()),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn secrets_from_the_environment_derive_keys_and_short_ones_are_refused() {
    let a = Tokens::from_secret_str("a long enough operator secret", &[]).unwrap();
    let b = Tokens::from_secret_str("a long enough operator secret", &[]).unwrap();
    let token = a.sign(Purpose::Confirm, 8, issued());
    assert_eq!(b.verify(Purpose::Confirm, &token, issued()), Ok(8));

    let rotated = Tokens::from_secret_str(
        "the next operator secret",
        &["a long enough operator secret"],
    )
    .unwrap();
    assert_eq!(rotated.verify(Purpose::Confirm, &token, issued()), Ok(8));

    let err = Tokens::from_secret_str("short", &[]).unwrap_err();
    assert!(err.to_string().contains("at least 16"), "{err}");
}

#[test]
fn debug_output_does_not_reveal_the_key() {
    let text = format!("{:?}", Tokens::new(b"super secret key".to_vec(), vec![]));
    assert!(!text.contains("115"), "{text}");
    assert!(text.contains("redacted"), "{text}");
}

#[test]
fn a_bound_token_carries_the_id_nonce_and_issue_time_and_an_id_only_one_no_nonce() {
    let tokens = tokens();
    let bound = tokens.sign_bound(Purpose::Confirm, 42, 0xdead_beef_cafe, issued());
    assert_eq!(bound.len(), 55);
    let link = tokens
        .verify_link(Purpose::Confirm, &bound, issued())
        .unwrap();
    assert_eq!(
        (link.subscriber_id, link.nonce, link.issued_at),
        (42, Some(0xdead_beef_cafe), issued())
    );
    let old = tokens.sign(Purpose::Confirm, 42, issued());
    let link = tokens
        .verify_link(Purpose::Confirm, &old, issued())
        .unwrap();
    assert_eq!(link.nonce, None);
    let bound_unsubscribe = tokens.sign_bound(Purpose::Unsubscribe, 42, 1, issued());
    assert_eq!(
        tokens.verify(Purpose::Confirm, &bound_unsubscribe, issued()),
        Err(TokenError::WrongPurpose)
    );
    let expired = issued() + Duration::days(7);
    assert_eq!(
        tokens.verify(Purpose::Confirm, &bound, expired),
        Err(TokenError::Expired)
    );
}

#[test]
fn a_preferences_token_works_only_for_preferences_and_does_not_expire() {
    let tokens = tokens();
    let later = issued() + Duration::days(400);
    for token in [
        tokens.sign(Purpose::Preferences, 5, issued()),
        tokens.sign_bound(Purpose::Preferences, 5, 9, issued()),
    ] {
        assert_eq!(tokens.verify(Purpose::Preferences, &token, later), Ok(5));
        for other in [Purpose::Confirm, Purpose::Unsubscribe] {
            assert_eq!(
                tokens.verify(other, &token, issued()),
                Err(TokenError::WrongPurpose)
            );
        }
    }
    let unsubscribe = tokens.sign(Purpose::Unsubscribe, 5, issued());
    assert_eq!(
        tokens.verify(Purpose::Preferences, &unsubscribe, issued()),
        Err(TokenError::WrongPurpose)
    );
}
