//! Where bulk mail goes: `smtp_url` parsed into host, port, TLS mode and credentials. As `verdicts.example.toml`
//! documents: `smtp://` uses STARTTLS when the relay offers it (`?tls=required` insists, `?tls=none` never
//! tries), `smtps://` is implicit TLS; default ports as lettre's (25, 587 with a `tls=` parameter, 465); a path
//! names the EHLO host (else `helo_name`). The password comes from the environment (see `relays.rs`), or the URL if
//! it has one. One URL of a list is parsed here; the list itself is `relays.rs`. The CAs of `tls_ca_file` are added
//! by [`crate::mail::Mailer::from_config`].

use std::fmt;

use anyhow::{Result, bail};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::Certificate;
use lettre::transport::smtp::extension::ClientId;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// No TLS (a relay on localhost or a private network).
    Plain,
    /// STARTTLS after the greeting; `required` refuses to go on without it.
    StartTls { required: bool },
    /// TLS from the first byte (SMTPS, RFC 8314).
    Tls,
}

/// A parsed `smtp_url`.
#[derive(Clone)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Name sent in EHLO.
    pub hello: ClientId,
    pub credentials: Option<Credentials>,
    /// The URL without any password, for messages.
    pub display: String,
    /// CAs trusted for the relay's certificate besides the system store (`tls_ca_file`).
    pub roots: Vec<Certificate>,
}

impl fmt::Debug for Relay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Relay")
            .field("url", &self.display)
            .field("security", &self.security)
            .field("credentials", &self.credentials.is_some())
            .field("extra_roots", &self.roots.len())
            .finish()
    }
}

impl fmt::Display for Relay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl Relay {
    /// Parses `url`; `password` (from the environment) wins over one written in the URL. `hello` is the EHLO name
    /// unless the URL's path names one.
    pub fn parse(url: &str, password: Option<&str>, hello: &str) -> Result<Relay> {
        Relay::parse_as("smtp_url", url, password, hello)
    }

    /// As [`Relay::parse`], with errors starting `{label} {url}:` (a list names the relay's position).
    pub(super) fn parse_as(
        label: &str,
        url: &str,
        password: Option<&str>,
        hello: &str,
    ) -> Result<Relay> {
        let display = redact(url);
        let what = format!("{label} {display}");
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            anyhow::anyhow!("{what}: no scheme; expected smtp://host or smtps://host")
        })?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let mut tls = None;
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            match pair.split_once('=') {
                Some(("tls", value)) => tls = Some(value),
                _ => bail!(
                    "{what}: unknown parameter {pair:?} (the only one is tls=none, tls=required or \
                     tls=opportunistic)"
                ),
            }
        }
        let (security, default_port) = match (scheme, tls) {
            ("smtp", None) => (Security::StartTls { required: false }, 25),
            ("smtp", Some("none")) => (Security::Plain, 25),
            ("smtp", Some("required")) => (Security::StartTls { required: true }, 587),
            ("smtp", Some("opportunistic")) => (Security::StartTls { required: false }, 587),
            ("smtps", None) => (Security::Tls, 465),
            ("smtps", Some(value)) => bail!(
                "{what}: tls={value} does not apply to smtps://, which is TLS from the first byte; \
                 remove it, or use smtp:// for STARTTLS"
            ),
            ("smtp", Some(value)) => {
                bail!("{what}: tls={value:?} is not none, required or opportunistic")
            }
            (scheme, _) => bail!(
                "{what}: the scheme {scheme:?} is not smtp (STARTTLS when offered; ?tls=required to \
                 insist, ?tls=none to never try) or smtps (TLS from the first byte)"
            ),
        };
        let (host, port) = split_host_port(hostport).ok_or_else(|| {
            anyhow::anyhow!(
                "{what}: the host and port {hostport:?} are not host[:port] (port 1-65535)"
            )
        })?;
        let port = port.unwrap_or(default_port);
        let url_password = userinfo
            .and_then(|u| u.split_once(':'))
            .map(|(_, p)| percent_decode(p));
        let password = password.map(str::to_string).or(url_password);
        let credentials = match (userinfo.and_then(|_| smtp_user(url)), password) {
            (Some(user), Some(password)) => Some(Credentials::new(user, password)),
            (None, Some(password)) => Some(Credentials::new(String::new(), password)),
            (Some(user), None) => bail!(
                "{what}: the user {user:?} has no password; set VERDICTS_SMTP_PASSWORD (or \
                 VERDICTS_SMTP_PASSWORD_N for relay N of a list), or remove the user to send without logging in"
            ),
            (None, None) => None,
        };
        let path = path.trim_matches('/');
        let hello = ClientId::Domain(if path.is_empty() { hello } else { path }.to_string());
        Ok(Relay {
            host,
            port,
            security,
            hello,
            credentials,
            display,
            roots: Vec::new(),
        })
    }
}

/// `host`, `host:25`, `[::1]:25`.
fn split_host_port(hostport: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) => (host, Some(port.parse().ok()?)),
        None => (hostport, None),
    };
    (!host.is_empty()).then(|| (host.to_string(), port))
}

/// The user name in `smtp://user@host`, percent-decoded.
pub fn smtp_user(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let (userinfo, _) = rest.split_once('@')?;
    let user = userinfo.split(':').next()?;
    Some(percent_decode(user))
}

/// The URL (or comma-separated list of URLs) with any password in it replaced, for logs and errors.
pub fn redact(url: &str) -> String {
    url.split(',').map(redact_one).collect::<Vec<_>>().join(",")
}

fn redact_one(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| {
        let (userinfo, host) = rest.split_once('@')?;
        let user = userinfo.split(':').next()?;
        Some(format!("{scheme}://{user}:***@{host}"))
    }) {
        Some(redacted) if url.contains(':') && url.matches(':').count() > 1 => redacted,
        _ => url.to_string(),
    }
}

/// `%40` → `@`: the user and password parts of an SMTP URL.
fn percent_decode(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{Relay, Security, redact, smtp_user};

    #[test]
    fn schemes_and_tls_modes_pick_lettres_default_ports() {
        let cases = [
            ("smtp://relay", Security::StartTls { required: false }, 25),
            ("smtp://relay?tls=none", Security::Plain, 25),
            (
                "smtp://relay?tls=required",
                Security::StartTls { required: true },
                587,
            ),
            (
                "smtp://relay:2525?tls=opportunistic",
                Security::StartTls { required: false },
                2525,
            ),
            ("smtps://relay", Security::Tls, 465),
        ];
        for (url, security, port) in cases {
            let relay = Relay::parse(url, None, "x.org").unwrap();
            assert_eq!((relay.security, relay.port), (security, port), "{url}");
            assert_eq!(relay.host, "relay");
        }
    }

    #[test]
    fn the_environment_password_wins_and_never_shows() {
        let relay = Relay::parse(
            "smtps://me%40x.org:inurl@smtp.x.org",
            Some("fromenv"),
            "x.org",
        )
        .unwrap();
        assert!(
            relay.credentials
                == Some(lettre::transport::smtp::authentication::Credentials::new(
                    "me@x.org".into(),
                    "fromenv".into()
                ))
        );
        assert!(!format!("{relay:?}").contains("fromenv"));
        assert_eq!(relay.display, "smtps://me%40x.org:***@smtp.x.org");
        assert!(!relay.to_string().contains("inurl"));
    }

    #[test]
    fn a_user_without_a_password_is_refused_with_advice() {
        let err = Relay::parse("smtp://me@relay", None, "x.org").unwrap_err();
        assert!(err.to_string().contains("VERDICTS_SMTP_PASSWORD"), "{err}");
    }

    #[test]
    fn ipv6_hosts_and_hello_paths_parse() {
        let relay = Relay::parse("smtp://[::1]:2525/mx.example.org", None, "x.org").unwrap();
        assert_eq!((relay.host.as_str(), relay.port), ("::1", 2525));
        assert_eq!(
            relay.hello,
            lettre::transport::smtp::extension::ClientId::Domain("mx.example.org".into())
        );
    }

    #[test]
    fn password_in_url_is_redacted_and_user_decoded() {
        assert_eq!(
            redact("smtps://me%40x.org:hunter2@smtp.x.org:465"),
            "smtps://me%40x.org:***@smtp.x.org:465"
        );
        assert_eq!(redact("smtp://relay:25"), "smtp://relay:25");
        assert_eq!(
            smtp_user("smtps://me%40x.org@smtp.x.org").as_deref(),
            Some("me@x.org")
        );
    }

    #[test]
    fn a_bad_url_is_refused_naming_the_bad_part() {
        let cases = [
            ("ftp://relay", "the scheme \"ftp\""),
            ("relay:25", "no scheme"),
            ("smtp://relay?tls=maybe", "tls=\"maybe\""),
            ("smtp://relay?tsl=none", "unknown parameter \"tsl=none\""),
            ("smtps://relay?tls=none", "does not apply to smtps://"),
            ("smtp://relay:99999", "\"relay:99999\""),
            ("smtp://:25", "\":25\""),
            ("smtp://me@relay", "the user \"me\" has no password"),
        ];
        for (url, part) in cases {
            let err = Relay::parse(url, None, "x.org").unwrap_err().to_string();
            assert!(err.contains(part), "{url}: {err}");
        }
    }
}
