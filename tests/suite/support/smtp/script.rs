//! The fault script: which [`Stage`] of a session a [`Rule`] fires at, for which recipient, how many times, and
//! the [`Action`] it takes. A [`Script`] tries its rules in order.

use std::time::Duration;

/// Where in a session a [`Rule`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The 220 greeting.
    Connect,
    /// EHLO or HELO.
    Ehlo,
    Mail,
    Rcpt,
    /// The DATA command, before the 354.
    Data,
    /// The reply to the message, after the final dot.
    DataEnd,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A whole reply line such as "452 4.2.2 mailbox full". A 2xx or 3xx reply lets the stage
    /// succeed with that text; anything else refuses it, and a 421 also closes the connection.
    Reply(String),
    /// Close the socket without a reply.
    Drop,
    /// Say nothing for this long, then carry on as if no rule had matched.
    Stall(Duration),
    /// Say nothing for this long, then close the socket.
    StallThenDrop(Duration),
}

#[derive(Clone, Debug)]
pub struct Rule {
    stage: Stage,
    recipient: Option<String>,
    action: Action,
    remaining: Option<u32>,
}

impl Rule {
    /// A rule that answers "451 4.3.0 scripted failure" at `stage`, every time, until told otherwise.
    pub fn at(stage: Stage) -> Self {
        Self {
            stage,
            recipient: None,
            action: Action::Reply("451 4.3.0 scripted failure".to_owned()),
            remaining: None,
        }
    }

    /// Only fire for this recipient: at `Rcpt` when it is the address given, at `Data` and
    /// `DataEnd` when the transaction includes it. Such a rule never fires at earlier stages.
    pub fn for_recipient(mut self, address: &str) -> Self {
        self.recipient = Some(address.to_owned());
        self
    }

    pub fn reply(self, line: &str) -> Self {
        self.action(Action::Reply(line.to_owned()))
    }

    pub fn drop_connection(self) -> Self {
        self.action(Action::Drop)
    }

    pub fn stall(self, duration: Duration) -> Self {
        self.action(Action::Stall(duration))
    }

    pub fn stall_then_drop(self, duration: Duration) -> Self {
        self.action(Action::StallThenDrop(duration))
    }

    pub fn action(mut self, action: Action) -> Self {
        self.action = action;
        self
    }

    /// Fire at most `n` times, then behave as if the rule were absent.
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }

    fn matches(&self, stage: Stage, recipients: &[String]) -> bool {
        self.stage == stage
            && self.remaining != Some(0)
            && self
                .recipient
                .as_ref()
                .is_none_or(|wanted| recipients.iter().any(|r| r.eq_ignore_ascii_case(wanted)))
    }
}

/// Fault rules, tried in order; the first that matches fires. With [`Script::chunking`], EHLO also offers
/// CHUNKING and BDAT is spoken (RFC 3030); its last chunk's reply is the `DataEnd` stage.
#[derive(Clone, Debug, Default)]
pub struct Script {
    rules: Vec<Rule>,
    pub(super) chunking: bool,
}

impl Script {
    pub fn accept_all() -> Self {
        Self::default()
    }

    /// Offer CHUNKING (BDAT) besides DATA.
    pub fn chunking(mut self) -> Self {
        self.chunking = true;
        self
    }

    pub fn offers_chunking(&self) -> bool {
        self.chunking
    }

    pub fn rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    pub(super) fn fire(&mut self, stage: Stage, recipients: &[String]) -> Option<Action> {
        let rule = self
            .rules
            .iter_mut()
            .find(|r| r.matches(stage, recipients))?;
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        Some(rule.action.clone())
    }
}
