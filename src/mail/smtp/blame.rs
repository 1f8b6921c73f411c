//! Whose fault a refusal is, read from the stage it came at, the reply code and the enhanced status code
//! (RFC 3463, `class.subject.detail`), so that only a failure specific to one mailbox bounces its subscriber.
//! A relay that refuses everyone (wrong relay, missing AUTH, our IP not allowed) says 5.7.x, 530, 535 or
//! "relay access denied", or refuses at MAIL FROM: none of that is about the recipient.

use super::reply::Stage;

/// Who a negative reply is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blame {
    /// A temporary failure (4xx, or a permanent-looking "mailbox full"): retry later.
    Temporary,
    /// Permanent and about this mailbox (5.1.x, 5.2.0, 5.2.1, an old-style 550/551/553 at RCPT): bounce it.
    Mailbox,
    /// Policy, relaying or authentication (5.7.x, 530, 535, "relay denied", any refusal at MAIL FROM, a
    /// complaint about our sender address): about us or the relay. Never bounces anyone.
    Relay,
    /// Permanent, but about this message rather than the mailbox (size, content, protocol, routing, or a bare
    /// 554): the message fails, the subscriber stays.
    Message,
}

/// An enhanced status code such as `5.1.1`, as it leads the reply text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enhanced {
    pub class: u16,
    pub subject: u16,
    pub detail: u16,
}

impl Enhanced {
    /// The code at the start of `text` (the reply after its three-digit code), if there is one.
    pub fn parse(text: &str) -> Option<Enhanced> {
        let word = text.split_whitespace().next()?;
        let mut parts = word.split('.');
        let mut number = || -> Option<u16> {
            let part = parts.next()?;
            (!part.is_empty() && part.len() <= 3 && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse().ok())
                .flatten()
        };
        let code = Enhanced {
            class: number()?,
            subject: number()?,
            detail: number()?,
        };
        (parts.next().is_none() && matches!(code.class, 2 | 4 | 5)).then_some(code)
    }
}

/// Whose fault the reply `reply` (code first, as the ledger keeps it) to `stage` is.
pub fn blame(stage: Stage, code: u16, reply: &str) -> Blame {
    let text = reply
        .strip_prefix(&code.to_string())
        .unwrap_or(reply)
        .trim_start_matches(['-', ' ']);
    let enhanced = Enhanced::parse(text);
    if code < 500 {
        return Blame::Temporary;
    }
    // Our sender refused: the same for every message, whatever the code says.
    if stage == Stage::Mail || matches!(code, 530 | 535) {
        return Blame::Relay;
    }
    if let Some(e) = enhanced {
        match (e.subject, e.detail) {
            (7, _) => return Blame::Relay,
            // 5.1.7 and 5.1.8 are about the sender's address, not the recipient's.
            (1, 7 | 8) => return Blame::Relay,
            (1, _) => return Blame::Mailbox,
            // 5.2.0 mailbox status, 5.2.1 mailbox disabled: about the mailbox, and lasting.
            (2, 0 | 1) => return Blame::Mailbox,
            // 5.2.2 mailbox full: RFC 3463 calls it transient even in class 5, and a reader whose mailbox
            // fills up one week has not left; retry, and after max_attempts fail without a bounce.
            (2, 2) => return Blame::Temporary,
            _ => {}
        }
    }
    if relay_denied(text) {
        return Blame::Relay;
    }
    match (enhanced, stage, code) {
        (Some(_), _, _) => Blame::Message,
        // Without an enhanced code, RFC 5321's meanings at RCPT: 550 mailbox unavailable, 551 user not local,
        // 553 mailbox name not allowed; 521/556 (RFC 7504) the domain takes no mail.
        (None, Stage::Rcpt, 550 | 551 | 553) | (None, _, 521 | 556) => Blame::Mailbox,
        // 552 exceeded storage allocation: the old spelling of mailbox full.
        (None, Stage::Rcpt, 552) => Blame::Temporary,
        (None, _, _) => Blame::Message,
    }
}

/// "Relay access denied" (Postfix), "Relaying denied" (Sendmail), "relay not permitted" (Exim) and kin.
fn relay_denied(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("relay")
        && ["denied", "not permitted", "not allowed", "prohibited"]
            .iter()
            .any(|word| text.contains(word))
}

/// What makes two refusals "the same reply" for the circuit breaker: the stage, the codes and the words, with
/// anything that differs per recipient or per message left out. Postfix names the recipient
/// (`<r1@example.org>: Relay access denied`) and Gmail ends with a per-message id; neither makes two replies
/// different.
pub fn sameness_key(stage: Stage, reply: &str) -> String {
    let mut key = format!("{stage}:");
    for (i, word) in reply.split_whitespace().enumerate() {
        // The first two words are the codes (digits, kept); later words with '@' or a digit vary per message.
        let varies = word.contains('@') || word.bytes().any(|b| b.is_ascii_digit());
        if i < 2 || !varies {
            key.push(' ');
            key.push_str(&word.to_ascii_lowercase());
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::{Blame, Enhanced, Stage, blame, sameness_key};

    #[test]
    fn enhanced_codes_are_read_from_the_start_of_the_text_only() {
        assert_eq!(
            Enhanced::parse("5.7.1 Relay access denied"),
            Some(Enhanced {
                class: 5,
                subject: 7,
                detail: 1
            })
        );
        assert_eq!(Enhanced::parse("Relay access denied 5.7.1"), None);
        assert_eq!(Enhanced::parse("5.7 denied"), None);
        assert_eq!(Enhanced::parse("1.2.3 x"), None);
        assert_eq!(Enhanced::parse(""), None);
    }

    #[test]
    fn only_mailbox_specific_permanent_replies_blame_the_mailbox() {
        let cases = [
            (
                Stage::Rcpt,
                550,
                "550 5.1.1 <a@x.org>: User unknown",
                Blame::Mailbox,
            ),
            (
                Stage::Rcpt,
                550,
                "550 5.1.1 <a@x.org>: Recipient address rejected: User unknown in relay recipient table",
                Blame::Mailbox,
            ),
            (
                Stage::Rcpt,
                550,
                "550 5.2.1 mailbox disabled",
                Blame::Mailbox,
            ),
            (Stage::Rcpt, 552, "552 5.2.2 over quota", Blame::Temporary),
            (Stage::Rcpt, 550, "550 no such user here", Blame::Mailbox),
            (
                Stage::Rcpt,
                554,
                "554 5.7.1 <a@x.org>: Relay access denied",
                Blame::Relay,
            ),
            (Stage::Rcpt, 550, "550 relay not permitted", Blame::Relay),
            (Stage::Rcpt, 550, "550 5.0.0 Relaying denied", Blame::Relay),
            (
                Stage::Mail,
                530,
                "530 5.7.0 Authentication required",
                Blame::Relay,
            ),
            (
                Stage::Rcpt,
                530,
                "530 Authentication required",
                Blame::Relay,
            ),
            (Stage::Mail, 550, "550 5.1.1 sender unknown", Blame::Relay),
            (Stage::Mail, 553, "553 sender not allowed", Blame::Relay),
            (
                Stage::Rcpt,
                553,
                "553 5.1.8 bad sender domain",
                Blame::Relay,
            ),
            (
                Stage::DataEnd,
                554,
                "554 5.7.1 message refused",
                Blame::Relay,
            ),
            (
                Stage::DataEnd,
                552,
                "552 5.3.4 message too big",
                Blame::Message,
            ),
            (
                Stage::DataEnd,
                554,
                "554 transaction failed",
                Blame::Message,
            ),
            (Stage::Rcpt, 451, "451 4.3.0 try later", Blame::Temporary),
        ];
        for (stage, code, reply, expected) in cases {
            assert_eq!(blame(stage, code, reply), expected, "{reply}");
        }
    }

    #[test]
    fn replies_naming_different_recipients_or_message_ids_are_the_same_reply() {
        let a = sameness_key(
            Stage::Rcpt,
            "554 5.7.1 <r1@example.org>: Relay access denied",
        );
        let b = sameness_key(
            Stage::Rcpt,
            "554 5.7.1 <r2@example.org>: Relay access denied",
        );
        assert_eq!(a, b);
        let gmail = |id: &str| {
            sameness_key(
                Stage::Rcpt,
                &format!("550 5.1.1 The account does not exist. {id} - gsmtp"),
            )
        };
        assert_eq!(gmail("d2e1a72fcca58-x"), gmail("a91f0c3b-y"));
        assert_ne!(
            a,
            sameness_key(Stage::Rcpt, "550 5.7.1 Relay access denied")
        );
        assert_ne!(
            a,
            sameness_key(Stage::DataEnd, "554 5.7.1 Relay access denied")
        );
    }
}
