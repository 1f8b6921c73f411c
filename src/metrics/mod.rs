//! What an operator watches: the store's counts read at one moment ([`snapshot`]: subscribers, every issue's
//! ledger, the send lease), this process's running totals ([`Counters`]: messages by result, SMTP replies, HTTP
//! requests), and both written in the Prometheus text format ([`exposition`]) for `GET /metrics`. `verdicts status
//! --json` prints the same snapshot.

mod counters;
pub mod exposition;
pub mod rates;
pub mod snapshot;
mod text;

pub use counters::{Counters, CountersSnapshot, MessageResult, ReplyClass, ReplyStage};
pub use exposition::{CONTENT_TYPE, render};
pub use snapshot::StoreSnapshot;
