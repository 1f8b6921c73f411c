//! The one mail seam: every message the program sends leaves through a [`Mailer`], built once from the
//! configuration. It owns the relay settings (`smtp_url`, parsed once in [`relay`]; a list of relays in priority
//! order with their failover cool-downs in [`relays`]), the SMTP client ([`smtp`]:
//! our own tuned connection over lettre's protocol code, with implicit TLS in `tls_stream` and DATA framing in
//! `wire`; which certificates it trusts and how it says so in `tls_trust`), DKIM signing ([`dkim`]) and the outbox folder ([`outbox`]) used when no relay is configured.

pub mod dkim;
mod mailer;
pub mod outbox;
pub mod relay;
pub mod relays;
pub mod smtp;
mod tls_stream;
pub mod tls_trust;
mod wire;

pub use dkim::{DkimSigner, OVER_SIGNED, SIGNED_HEADERS};
pub use mailer::{Mailer, Route};
pub use outbox::Outbox;
pub use relay::{Relay, Security, redact};
pub use relays::{Cooldowns, ListSettings, Relays, accepted_by};
pub use smtp::{Attempt, Blame, ConnectError, SmtpConnection, Stage, Timeouts};
