//! The `trusted_proxies` setting: the networks whose forwarding headers `verdicts serve` believes. Written as a
//! TOML list of CIDR blocks (`["127.0.0.1/32", "10.0.0.0/8"]`), or as one comma-separated string (the form
//! `VERDICTS_TRUSTED_PROXIES` takes); a bare address means that one host.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// Parsed once at load; empty by default, which means no forwarding header is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ProxyList", into = "Vec<String>")]
pub struct TrustedProxies(Vec<IpNet>);

/// What the file or the environment may hold.
#[derive(Deserialize)]
#[serde(untagged)]
enum ProxyList {
    List(Vec<String>),
    Text(String),
}

impl TrustedProxies {
    /// Parses CIDR blocks or bare addresses; an entry that is neither is an error naming it.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for entry in entries.into_iter().map(str::trim).filter(|e| !e.is_empty()) {
            let net = match entry.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => match entry.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => {
                        return Err(format!(
                            "trusted_proxies: {entry:?} is not an IP address or CIDR block (e.g. 127.0.0.1/32)"
                        ));
                    }
                },
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

impl TryFrom<ProxyList> for TrustedProxies {
    type Error = String;
    fn try_from(value: ProxyList) -> Result<Self, Self::Error> {
        match &value {
            ProxyList::List(entries) => TrustedProxies::parse(entries.iter().map(String::as_str)),
            ProxyList::Text(text) => TrustedProxies::parse(text.split(',')),
        }
    }
}

impl From<TrustedProxies> for Vec<String> {
    fn from(proxies: TrustedProxies) -> Vec<String> {
        proxies.0.iter().map(IpNet::to_string).collect()
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.clone().into();
        f.write_str(&list.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::TrustedProxies;

    #[test]
    fn blocks_and_bare_addresses_parse_and_match_including_mapped_ipv4() {
        let proxies =
            TrustedProxies::parse(["10.0.0.0/8", " 192.0.2.7 ", "2001:db8::/32"]).unwrap();
        assert!(proxies.contains("10.1.2.3".parse().unwrap()));
        assert!(proxies.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(proxies.contains("192.0.2.7".parse().unwrap()));
        assert!(!proxies.contains("192.0.2.8".parse().unwrap()));
        assert!(proxies.contains("2001:db8:5::1".parse().unwrap()));
        assert!(!proxies.contains("2001:db9::1".parse().unwrap()));
    }

    #[test]
    fn an_entry_that_is_no_address_is_refused_by_name() {
        let err = TrustedProxies::parse(["10.0.0.0/8", "proxy.local"]).unwrap_err();
        assert!(err.contains("\"proxy.local\""), "{err}");
    }
}
