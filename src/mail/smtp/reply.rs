//! What a step of an SMTP transaction came to: a lettre error, I/O error or timeout ([`Failure`]) classified
//! into the [`Attempt`] the worker records, and how a group of pipelined replies folds into one result.

use std::fmt;
use std::io;
use std::time::Duration;

use crate::metrics::ReplyStage;

/// Which command a reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Mail,
    Rcpt,
    Data,
    /// The reply after the message's final dot.
    DataEnd,
}

impl From<Stage> for ReplyStage {
    fn from(stage: Stage) -> ReplyStage {
        match stage {
            Stage::Mail => ReplyStage::Mail,
            Stage::Rcpt => ReplyStage::Rcpt,
            Stage::Data => ReplyStage::Data,
            Stage::DataEnd => ReplyStage::DataEnd,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Mail => "MAIL FROM",
            Stage::Rcpt => "RCPT TO",
            Stage::Data => "DATA",
            Stage::DataEnd => "end of data",
        })
    }
}

/// What one message's transaction came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// 250 after the final dot: the relay took responsibility for the message.
    Sent { reply: String },
    /// A negative reply. `code` is the three-digit reply code.
    Refused {
        stage: Stage,
        code: u16,
        reply: String,
    },
    /// The connection broke or timed out mid-transaction: whether the relay kept the message is unknown.
    Lost { error: String },
    /// This relay cannot take this message at all (e.g. a non-ASCII address without SMTPUTF8).
    Unsendable { reason: String },
}

impl Attempt {
    /// The reply that decided the transaction, as the command it answered and its code: the one after the data
    /// when the relay took the message, else the refusal. A lost connection or an unsendable message has none.
    pub fn deciding_reply(&self) -> Option<(Stage, u16)> {
        match self {
            Attempt::Sent { reply } => Some((
                Stage::DataEnd,
                reply
                    .get(..3)
                    .and_then(|code| code.parse().ok())
                    .unwrap_or(250),
            )),
            Attempt::Refused { stage, code, .. } => Some((*stage, *code)),
            Attempt::Lost { .. } | Attempt::Unsendable { .. } => None,
        }
    }

    /// After this the connection is unusable: lost, or the relay said 421 (closing the channel).
    pub fn closes_connection(&self) -> bool {
        matches!(
            self,
            Attempt::Lost { .. } | Attempt::Refused { code: 421, .. }
        )
    }
}

/// Keeps the first refusal of a pipelined group; a lost connection or a 421 ends the group.
pub(super) fn absorb<T>(
    reply: Result<T, Failure>,
    stage: Stage,
    refusal: &mut Option<Attempt>,
) -> Result<(), Attempt> {
    match reply {
        Ok(_) => Ok(()),
        Err(e) => match e.into_attempt(stage) {
            // The relay closes after a 421: no further replies will come.
            closing if closing.closes_connection() => Err(refusal.take().unwrap_or(closing)),
            refused => {
                refusal.get_or_insert(refused);
                Ok(())
            }
        },
    }
}

/// A refusal goes back as `Ok(Some)`; one that ends the connection (lost, 421) as `Err`.
pub(super) fn settle(attempt: Attempt) -> Result<Option<Attempt>, Attempt> {
    if attempt.closes_connection() {
        Err(attempt)
    } else {
        Ok(Some(attempt))
    }
}

/// A step that did not get a positive reply.
#[derive(Debug)]
pub(super) enum Failure {
    Smtp(lettre::transport::smtp::Error),
    Io(io::Error),
    Timeout(Duration),
}

impl From<lettre::transport::smtp::Error> for Failure {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Failure::Smtp(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Smtp(e) => write!(f, "{e}"),
            Failure::Io(e) => write!(f, "{e}"),
            Failure::Timeout(limit) => write!(f, "no reply within {limit:?}"),
        }
    }
}

impl Failure {
    pub(super) fn into_attempt(self, stage: Stage) -> Attempt {
        match self {
            Failure::Smtp(e) => match e.status() {
                Some(code) => {
                    let code: u16 = code.to_string().parse().unwrap_or(0);
                    let text = std::error::Error::source(&e)
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    Attempt::Refused {
                        stage,
                        code,
                        reply: format!("{code} {text}").trim_end().to_string(),
                    }
                }
                None => Attempt::Lost {
                    error: format!("at {stage}: {e}"),
                },
            },
            Failure::Io(_) | Failure::Timeout(_) => Attempt::Lost {
                error: format!("at {stage}: {self}"),
            },
        }
    }
}

pub(super) async fn within<T, E: Into<Failure>>(
    limit: Duration,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(limit, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err(Failure::Timeout(limit)),
    }
}
