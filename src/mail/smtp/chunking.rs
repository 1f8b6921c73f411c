//! CHUNKING (RFC 3030) with PIPELINING: MAIL, RCPT, `BDAT <size> LAST` and the message go out in one write, and
//! their three replies come back in order. One round trip per message instead of two (DATA must wait for its
//! 354), and no dot-stuffing: BDAT counts bytes, so the message goes out as it is. Postfix (since 3.0), Exim,
//! Gmail and Microsoft 365 offer it.

use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Mail, Rcpt};

use super::reply::{Attempt, Stage, absorb, within};
use crate::mail::wire::reply_text;

/// The commands and the message, written by lettre as one string (its `command` takes anything `Display`).
struct Chunk<'a> {
    commands: String,
    message: &'a str,
}

impl fmt::Display for Chunk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.commands)?;
        f.write_str(self.message)
    }
}

/// One transaction. A refusal at MAIL or RCPT is what the message's attempt comes to (the relay then refuses
/// the BDAT too, having read and dropped its bytes); a reply that closes the connection ends it at once.
pub(super) async fn transaction(
    conn: &mut AsyncSmtpConnection,
    limit: Duration,
    mail: Mail,
    rcpt: Rcpt,
    message: &str,
) -> Attempt {
    let chunk = Chunk {
        commands: format!("{mail}{rcpt}BDAT {} LAST\r\n", message.len()),
        message,
    };
    let mut refusal = None;
    let first_two = async {
        let reply = within(limit, conn.command(chunk)).await;
        absorb(reply, Stage::Mail, &mut refusal)?;
        let reply = within(limit, conn.read_response()).await;
        absorb(reply, Stage::Rcpt, &mut refusal)
    };
    if let Err(closing) = first_two.await {
        return closing;
    }
    match within(limit, conn.read_response()).await {
        Ok(response) => refusal.unwrap_or(Attempt::Sent {
            reply: reply_text(&response),
        }),
        // An earlier refusal says why, as with DATA (see `absorb`).
        Err(failure) => refusal.unwrap_or(failure.into_attempt(Stage::DataEnd)),
    }
}
