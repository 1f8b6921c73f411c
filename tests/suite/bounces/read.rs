//! What `bounces::read` makes of each fixture, without a store: the kind per recipient, the address it names and
//! the return paths it came back to.

use weekly_verdicts::bounces::read::{Reading, Report, read};
use weekly_verdicts::store::{BounceKind, ReportSource};

use super::fill;

const PATH: &str = "bounces+abcdefgh@news.example.org";
const READER: &str = "reader@receiver.example";

fn report(name: &str) -> Report {
    match read(&fill(name, PATH, READER), None) {
        Reading::Report(report) => report,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn dsns_of_each_mta_give_the_kind_the_recipient_and_the_return_path() {
    let cases = [
        ("postfix-hard.eml", BounceKind::Hard, "550 5.1.1"),
        (
            "gmail-hard.eml",
            BounceKind::Hard,
            "550-5.1.1 The email account",
        ),
        (
            "microsoft-nonascii.eml",
            BounceKind::Hard,
            "destinataire introuvable – l’adresse",
        ),
        (
            "exim-delayed.eml",
            BounceKind::Soft,
            "452 4.2.2 Mailbox over quota",
        ),
        (
            "yahoo-mailbox-full.eml",
            BounceKind::Soft,
            "552 5.2.2 Mailbox is full",
        ),
    ];
    for (name, kind, reason) in cases {
        let report = report(name);
        assert_eq!(report.source, ReportSource::Dsn, "{name}");
        assert_eq!(
            report.return_paths[0], PATH,
            "{name}: {:?}",
            report.return_paths
        );
        assert_eq!(report.recipients.len(), 1, "{name}");
        let recipient = &report.recipients[0];
        assert_eq!(recipient.kind, Some(kind), "{name}");
        assert!(
            recipient.reason.contains(reason),
            "{name}: {}",
            recipient.reason
        );
        assert_eq!(recipient.address.as_deref(), Some(READER), "{name}");
    }
}

#[test]
fn the_envelope_recipient_the_mta_passed_comes_first() {
    let raw = fill("postfix-hard.eml", PATH, READER);
    let Reading::Report(report) = read(&raw, Some("bounces+zzz@news.example.org")) else {
        panic!("not a report")
    };
    assert_eq!(report.return_paths[0], "bounces+zzz@news.example.org");
}

#[test]
fn arf_reports_are_complaints_whose_return_path_is_the_originals_envelope_sender() {
    for name in ["yahoo-arf.eml", "microsoft-arf.eml"] {
        let report = report(name);
        assert_eq!(report.source, ReportSource::Arf, "{name}");
        assert_eq!(
            report.recipients[0].kind,
            Some(BounceKind::Complaint),
            "{name}"
        );
        assert!(
            report.return_paths.iter().any(|p| p == PATH),
            "{name}: {:?}",
            report.return_paths
        );
        // Sent to the feedback-loop address, which is no return path.
        assert!(
            report
                .return_paths
                .contains(&"fbl@news.example.org".to_string())
        );
    }
}

#[test]
fn a_not_spam_report_is_nothing_to_act_on() {
    let raw = String::from_utf8(fill("yahoo-arf.eml", PATH, READER))
        .unwrap()
        .replace("Feedback-Type: abuse", "Feedback-Type: not-spam");
    let Reading::Report(report) = read(raw.as_bytes(), None) else {
        panic!("not a report")
    };
    assert_eq!(report.recipients[0].kind, None);
}

#[test]
fn a_plain_bounce_is_soft_and_an_automatic_reply_is_no_bounce() {
    let report = report("plain-bounce.eml");
    assert_eq!(report.source, ReportSource::Verp);
    assert_eq!(report.recipients[0].kind, Some(BounceKind::Soft));
    assert_eq!(report.return_paths[0], PATH);
    assert_eq!(
        read(&fill("out-of-office.eml", PATH, READER), None),
        Reading::AutoReply
    );
}

#[test]
fn junk_and_a_report_without_its_part_are_not_understood() {
    for junk in [
        &b""[..],
        b"\x00\x01\x02 binary",
        b"just some words\nwith no headers at all\n",
    ] {
        assert!(
            matches!(read(junk, None), Reading::NotUnderstood(_)),
            "{junk:?}"
        );
    }
    let raw = String::from_utf8(fill("postfix-hard.eml", PATH, READER))
        .unwrap()
        .replace(
            "Content-Type: message/delivery-status",
            "Content-Type: text/plain",
        );
    assert!(matches!(
        read(raw.as_bytes(), None),
        Reading::NotUnderstood(_)
    ));
}

#[test]
fn a_refusal_of_the_message_or_of_our_sender_is_soft_and_a_disabled_mailbox_is_hard() {
    for (status, kind) in [
        ("5.7.1", BounceKind::Soft),
        ("5.1.8", BounceKind::Soft),
        ("5.4.4", BounceKind::Soft),
        ("5.2.1", BounceKind::Hard),
        ("5.1.2", BounceKind::Hard),
    ] {
        let raw = String::from_utf8(fill("postfix-hard.eml", PATH, READER))
            .unwrap()
            .replace("Status: 5.1.1", &format!("Status: {status}"));
        let Reading::Report(report) = read(raw.as_bytes(), None) else {
            panic!("{status}: not a report")
        };
        assert_eq!(report.recipients[0].kind, Some(kind), "{status}");
    }
    let relayed = String::from_utf8(fill("postfix-hard.eml", PATH, READER))
        .unwrap()
        .replace("Action: failed", "Action: relayed")
        .replace("Status: 5.1.1", "Status: 2.0.0");
    let Reading::Report(report) = read(relayed.as_bytes(), None) else {
        panic!("not a report")
    };
    assert_eq!(report.recipients[0].kind, None);
}

#[test]
fn every_fixture_reads_the_same_with_crlf_line_ends() {
    for name in [
        "postfix-hard.eml",
        "exim-delayed.eml",
        "gmail-hard.eml",
        "microsoft-nonascii.eml",
        "yahoo-mailbox-full.eml",
        "yahoo-arf.eml",
        "microsoft-arf.eml",
        "plain-bounce.eml",
    ] {
        let lf = read(&fill(name, PATH, READER), None);
        let crlf = String::from_utf8(fill(name, PATH, READER))
            .unwrap()
            .replace('\n', "\r\n");
        assert_eq!(read(crlf.as_bytes(), None), lf, "{name}");
    }
}
