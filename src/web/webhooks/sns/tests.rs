//! The SNS string to sign and the checks that come before the signature. The signature itself is checked over
//! the real server with a certificate and signatures `openssl` makes (`tests/suite/web_webhooks_ses.rs`).

use super::{Envelope, Refusal, is_sns_certificate_url, string_to_sign};

fn notification(subject: Option<&str>) -> Envelope {
    Envelope {
        kind: "Notification".into(),
        message_id: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324".into(),
        topic_arn: "arn:aws:sns:us-west-2:123456789012:MyTopic".into(),
        subject: subject.map(str::to_owned),
        message: "{\"a\":\"line one\\nline two\"}".into(),
        timestamp: "2012-05-02T00:54:06.655Z".into(),
        signature_version: "1".into(),
        signature: "EXAMPLE".into(),
        signing_cert_url: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem".into(),
        subscribe_url: None,
        token: None,
    }
}

#[test]
fn a_notification_is_signed_over_message_id_subject_timestamp_topic_and_type_in_that_order() {
    let signed = string_to_sign(&notification(Some("My First Message"))).unwrap();
    assert_eq!(
        signed,
        "Message\n{\"a\":\"line one\\nline two\"}\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n\
         Subject\nMy First Message\nTimestamp\n2012-05-02T00:54:06.655Z\n\
         TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n"
    );
    let without = string_to_sign(&notification(None)).unwrap();
    assert!(!without.contains("Subject"), "{without}");
    assert!(without.starts_with("Message\n") && without.ends_with("Type\nNotification\n"));
}

#[test]
fn a_subscription_confirmation_is_signed_over_its_subscribe_url_and_token() {
    let envelope = Envelope {
        kind: "SubscriptionConfirmation".into(),
        subject: Some("ignored for confirmations".into()),
        subscribe_url: Some(
            "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=t".into(),
        ),
        token: Some("t0k3n".into()),
        ..notification(None)
    };
    let signed = string_to_sign(&envelope).unwrap();
    let names: Vec<&str> = signed.lines().step_by(2).collect();
    assert_eq!(
        names,
        [
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type"
        ]
    );
    let no_token = Envelope {
        token: None,
        ..envelope
    };
    assert_eq!(
        string_to_sign(&no_token),
        Err(Refusal::MissingField(
            "Token",
            "SubscriptionConfirmation".into()
        ))
    );
}

#[test]
fn an_unknown_type_is_refused_by_name() {
    let envelope = Envelope {
        kind: "Surprise".into(),
        ..notification(None)
    };
    assert_eq!(
        string_to_sign(&envelope),
        Err(Refusal::Kind("Surprise".into()))
    );
}

#[test]
fn only_https_sns_hosts_serving_a_pem_pass_as_certificate_urls() {
    for good in [
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
    ] {
        assert!(is_sns_certificate_url(good), "{good}");
    }
    for bad in [
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
        "https://evil.example/sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com:8443/x.pem",
        "https://sns..amazonaws.com/x.pem",
        "https://s3.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com/x.pem?x=1",
        "https://sns.us-east-1.amazonaws.com/x.txt",
        "https://attacker@sns.us-east-1.amazonaws.com/x.pem",
    ] {
        assert!(!is_sns_certificate_url(bad), "{bad}");
    }
}
