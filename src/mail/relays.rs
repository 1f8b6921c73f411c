//! The relay list: `smtp_url` as comma-separated URLs in priority order, which is also the failover. A relay
//! that is down (connection refused, 421 at the greeting, TLS or AUTH failure) is skipped for a cool-down, and
//! the next one is used; once its cool-down is over the higher relay is used again. [`Cooldowns`] is that rule,
//! pure with the time passed in; [`Relays`] shares one set of cool-downs between every user of a [`Mailer`]
//! (the workers of a run, the web server's confirmation mails).
//!
//! Passwords: `VERDICTS_SMTP_PASSWORD_<N>` is the password of the relay at position N (from 1);
//! `VERDICTS_SMTP_PASSWORD` is the password of every other relay whose URL names a user.
//!
//! [`Mailer`]: super::Mailer

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::{Result, bail};
use chrono::{DateTime, Duration, Utc};
use lettre::transport::smtp::client::Certificate;

use super::relay::{Relay, redact, smtp_user};

/// How to read a relay list.
#[derive(Debug, Clone, Copy)]
pub struct ListSettings<'a> {
    /// The EHLO name of relays whose URL does not name one.
    pub hello: &'a str,
    /// `VERDICTS_SMTP_PASSWORD`: for every relay with a user and no password of its own.
    pub password: Option<&'a str>,
    /// `VERDICTS_SMTP_PASSWORD_<N>` by position N (from 1).
    pub passwords: &'a BTreeMap<usize, String>,
    /// How long a relay that is down is skipped.
    pub cooldown: Duration,
    /// CAs trusted for every relay's certificate besides the system store (`tls_ca_file`).
    pub roots: &'a [Certificate],
}

/// The relays of `smtp_url`, in priority order, with their shared cool-downs. Clones share the cool-downs.
#[derive(Debug, Clone)]
pub struct Relays {
    list: Arc<[Relay]>,
    cooldowns: Arc<Mutex<Cooldowns>>,
}

impl Relays {
    /// Parses `spec` (one URL or several, separated by commas); an error names the position and the URL
    /// (without its password) of the relay that is wrong.
    pub fn parse(spec: &str, settings: &ListSettings<'_>) -> Result<Relays> {
        let urls: Vec<&str> = spec.split(',').map(str::trim).collect();
        let total = urls.len();
        let mut list = Vec::with_capacity(total);
        for (i, url) in urls.iter().enumerate() {
            let position = i + 1;
            let label = if total == 1 {
                "smtp_url".to_string()
            } else {
                format!("smtp_url relay {position} of {total}")
            };
            if url.is_empty() {
                bail!("{label} is empty: separate the relay URLs with single commas");
            }
            let own = settings.passwords.get(&position).map(String::as_str);
            if own.is_some() && smtp_user(url).is_none() {
                bail!(
                    "VERDICTS_SMTP_PASSWORD_{position} is set, but {label} ({}) names no user; put the user \
                     in the URL (smtp://user@host)",
                    redact(url)
                );
            }
            // The shared password is for relays that log in; a relay without a user is used without AUTH.
            let password = own.or(settings.password.filter(|_| smtp_user(url).is_some()));
            let prefix = if total == 1 {
                label
            } else {
                format!("{label},")
            };
            let mut relay = Relay::parse_as(&prefix, url, password, settings.hello)?;
            relay.roots = settings.roots.to_vec();
            list.push(relay);
        }
        if let Some(position) = settings.passwords.keys().find(|&&p| p == 0 || p > total) {
            bail!(
                "VERDICTS_SMTP_PASSWORD_{position} is set, but smtp_url lists {total} relay{} (positions count \
                 from 1)",
                if total == 1 { "" } else { "s" }
            );
        }
        Ok(Relays::new(list, settings.cooldown))
    }

    /// `list` in priority order; it must not be empty.
    pub fn new(list: Vec<Relay>, cooldown: Duration) -> Relays {
        assert!(!list.is_empty(), "a relay list has at least one relay");
        Relays {
            cooldowns: Arc::new(Mutex::new(Cooldowns::new(list.len(), cooldown))),
            list: list.into(),
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn get(&self, index: usize) -> &Relay {
        &self.list[index]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Relay> {
        self.list.iter()
    }

    /// The relay to connect to at `now`, with its position in the list (from 0).
    pub fn choose(&self, now: DateTime<Utc>) -> (usize, &Relay) {
        let index = self.lock().choose(now);
        (index, &self.list[index])
    }

    /// Relay `index` is down at `now`: it is skipped for the cool-down. Returns the relay to try at once instead,
    /// if one is not cooling down.
    pub fn down(&self, index: usize, now: DateTime<Utc>) -> Option<usize> {
        let mut cooldowns = self.lock();
        let newly = cooldowns.ready(index, now);
        cooldowns.down(index, now);
        let next = cooldowns.choose(now);
        let ready = cooldowns.ready(next, now);
        if newly && ready {
            // Once per cool-down, not once per worker that finds it down.
            tracing::warn!(
                "{} is down: skipped for {}s, using {} meanwhile",
                self.list[index],
                cooldowns.cooldown.num_seconds(),
                self.list[next]
            );
        }
        ready.then_some(next)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cooldowns> {
        self.cooldowns.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A relay's reply as the ledger keeps it: with the relay that gave it, so that a list's failover shows.
pub fn accepted_by(reply: &str, relay: &Relay) -> String {
    format!("{reply} (via {relay})")
}

/// Until when each relay of a list is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cooldowns {
    until: Vec<Option<DateTime<Utc>>>,
    cooldown: Duration,
}

impl Cooldowns {
    pub fn new(relays: usize, cooldown: Duration) -> Cooldowns {
        Cooldowns {
            until: vec![None; relays],
            cooldown,
        }
    }

    /// Whether relay `index` may be tried at `now`. A cool-down ends strictly after its time, so that even a
    /// zero cool-down moves the same attempt on to the next relay.
    pub fn ready(&self, index: usize, now: DateTime<Utc>) -> bool {
        self.until[index].is_none_or(|until| now > until)
    }

    /// The first relay not cooling down; when all are, the one whose cool-down ends first (it is the likeliest
    /// to be back), the higher one on a tie.
    pub fn choose(&self, now: DateTime<Utc>) -> usize {
        (0..self.until.len())
            .find(|&i| self.ready(i, now))
            .unwrap_or_else(|| {
                (0..self.until.len())
                    .min_by_key(|&i| self.until[i])
                    .unwrap_or(0)
            })
    }

    /// Relay `index` failed at `now`.
    pub fn down(&mut self, index: usize, now: DateTime<Utc>) {
        self.until[index] = Some(now + self.cooldown);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{Duration, TimeZone, Utc};
    use lettre::transport::smtp::authentication::Credentials;

    use super::{Cooldowns, ListSettings, Relays};

    fn settings(passwords: &BTreeMap<usize, String>) -> ListSettings<'_> {
        ListSettings {
            hello: "x.org",
            password: Some("shared"),
            passwords,
            cooldown: Duration::seconds(60),
            roots: &[],
        }
    }

    #[test]
    fn a_relay_that_is_down_is_skipped_for_the_cool_down_then_used_again() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let mut cooldowns = Cooldowns::new(3, Duration::seconds(60));
        assert_eq!(cooldowns.choose(t0), 0);
        cooldowns.down(0, t0);
        assert_eq!(cooldowns.choose(t0), 1);
        assert_eq!(cooldowns.choose(t0 + Duration::seconds(60)), 1);
        assert_eq!(cooldowns.choose(t0 + Duration::seconds(61)), 0);
    }

    #[test]
    fn when_every_relay_is_down_the_one_back_soonest_is_tried() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let mut cooldowns = Cooldowns::new(3, Duration::seconds(60));
        cooldowns.down(1, t0);
        cooldowns.down(2, t0 + Duration::seconds(5));
        cooldowns.down(0, t0 + Duration::seconds(10));
        assert_eq!(cooldowns.choose(t0 + Duration::seconds(10)), 1);
        let one = Cooldowns::new(1, Duration::seconds(60));
        assert_eq!(one.choose(t0), 0);
    }

    #[test]
    fn a_zero_cool_down_still_moves_the_same_attempt_to_the_next_relay() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let mut cooldowns = Cooldowns::new(2, Duration::zero());
        cooldowns.down(0, t0);
        assert_eq!(cooldowns.choose(t0), 1);
        assert_eq!(cooldowns.choose(t0 + Duration::milliseconds(1)), 0);
    }

    #[test]
    fn down_names_the_next_relay_only_while_one_is_not_cooling_down() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let none = BTreeMap::new();
        let relays = Relays::parse("smtp://a, smtp://b", &settings(&none)).unwrap();
        assert_eq!(relays.down(0, t0), Some(1));
        assert_eq!(relays.down(1, t0), None);
        assert_eq!(relays.choose(t0).0, 0, "both down: the one back first");
    }

    #[test]
    fn each_relay_takes_its_own_password_else_the_shared_one_when_it_names_a_user() {
        let passwords = BTreeMap::from([(2, "second".to_string())]);
        let relays = Relays::parse(
            "smtps://me@a,smtps://me@b,smtp://c?tls=none",
            &settings(&passwords),
        )
        .unwrap();
        let credentials: Vec<_> = relays.iter().map(|r| r.credentials.clone()).collect();
        assert_eq!(
            credentials,
            [
                Some(Credentials::new("me".into(), "shared".into())),
                Some(Credentials::new("me".into(), "second".into())),
                None,
            ]
        );
    }

    #[test]
    fn a_bad_relay_in_the_list_is_named_by_position_without_its_password() {
        let none = BTreeMap::new();
        let cases = [
            (
                "smtp://a, smtp://me:hunter2@b?tls=maybe",
                "smtp_url relay 2 of 2, smtp://me:***@b?tls=maybe: tls=\"maybe\"",
            ),
            ("smtp://a,,smtp://b", "smtp_url relay 2 of 3 is empty"),
            ("smtp://a,", "smtp_url relay 2 of 2 is empty"),
            (
                "ftp://a, smtp://b",
                "smtp_url relay 1 of 2, ftp://a: the scheme",
            ),
        ];
        for (spec, expected) in cases {
            let err = Relays::parse(spec, &settings(&none))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{spec}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn a_position_password_must_match_a_relay_with_a_user() {
        let third = BTreeMap::from([(3, "x".to_string())]);
        let err = Relays::parse("smtps://me@a,smtps://me@b", &settings(&third)).unwrap_err();
        assert!(
            err.to_string()
                .contains("VERDICTS_SMTP_PASSWORD_3 is set, but smtp_url lists 2 relays"),
            "{err}"
        );
        let second = BTreeMap::from([(2, "x".to_string())]);
        let err = Relays::parse("smtps://me@a,smtp://b", &settings(&second)).unwrap_err();
        assert!(err.to_string().contains("names no user"), "{err}");
    }
}
