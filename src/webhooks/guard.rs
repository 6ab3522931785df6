//! Which webhook targets may be called: the SSRF guard.
//!
//! A tenant chooses webhook URLs, and a pre-event hook's answer flows back into the API
//! response, so a target on the server's own network would let a tenant read internal services.
//! Unless the operator allows private targets, a target is refused when its address is not
//! public. The check runs twice, because reqwest never resolves an IP literal: the URL's host as
//! the `url` crate parses it (every spelling of an address — `127.1`, `2130706433`,
//! `0x7f000001`, `[::ffff:127.0.0.1]`, `user@host` — is normalised there, exactly as reqwest
//! will connect), and, for a name, every address it resolves to, in the resolver reqwest uses
//! for the connection itself, so a name that changes its answer between checks (DNS rebinding)
//! cannot slip through.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::{Ipv4Net, Ipv6Net};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// IPv4 ranges that are not reachable on the public internet (IANA special-purpose registry).
const V4_NOT_PUBLIC: &[Ipv4Net] = &[
    v4(0, 0, 0, 0, 8),       // "this network", including 0.0.0.0
    v4(10, 0, 0, 0, 8),      // private
    v4(100, 64, 0, 0, 10),   // carrier-grade NAT
    v4(127, 0, 0, 0, 8),     // loopback
    v4(169, 254, 0, 0, 16),  // link-local, including cloud metadata at 169.254.169.254
    v4(172, 16, 0, 0, 12),   // private
    v4(192, 0, 0, 0, 24),    // IETF protocol assignments
    v4(192, 0, 2, 0, 24),    // documentation (TEST-NET-1)
    v4(192, 88, 99, 0, 24),  // 6to4 relay anycast (deprecated)
    v4(192, 168, 0, 0, 16),  // private
    v4(198, 18, 0, 0, 15),   // benchmarking
    v4(198, 51, 100, 0, 24), // documentation (TEST-NET-2)
    v4(203, 0, 113, 0, 24),  // documentation (TEST-NET-3)
    v4(224, 0, 0, 0, 4),     // multicast
    v4(240, 0, 0, 0, 4),     // reserved, including broadcast 255.255.255.255
];

/// IPv6 global unicast: everything outside it (`::`, `::1`, `fc00::/7`, `fe80::/10`,
/// `ff00::/8`, `100::/64`, …) is not public, except the IPv4 embeddings handled below.
const V6_GLOBAL_UNICAST: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

/// Ranges inside global unicast that are not public.
const V6_NOT_PUBLIC: &[Ipv6Net] = &[
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments, including Teredo
    v6([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0], 32), // documentation
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation
];

/// IPv4-mapped addresses (`::ffff:a.b.c.d`): the embedded IPv4 address is what is reached.
const V6_MAPPED: Ipv6Net = v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96);
/// Well-known NAT64 prefix (`64:ff9b::a.b.c.d`): a translator reaches the embedded address.
const V6_NAT64: Ipv6Net = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);
/// 6to4 (`2002:aabb:ccdd::/48`): a relay reaches the embedded address `aa.bb.cc.dd`.
const V6_6TO4: Ipv6Net = v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16);

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

const fn v6(s: [u16; 8], len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]), len)
}

/// True when `ip` is a public unicast address: not loopback, unspecified, private, link-local,
/// CGNAT, unique-local, multicast, broadcast, documentation, benchmarking or reserved, and not
/// an IPv6 form (mapped, NAT64, 6to4) of such an IPv4 address.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !V4_NOT_PUBLIC.iter().any(|net| net.contains(&v4)),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let o = ip.octets();
    if V6_MAPPED.contains(&ip) || V6_NAT64.contains(&ip) {
        return is_public(IpAddr::V4(Ipv4Addr::new(o[12], o[13], o[14], o[15])));
    }
    if V6_6TO4.contains(&ip) {
        return is_public(IpAddr::V4(Ipv4Addr::new(o[2], o[3], o[4], o[5])));
    }
    // IPv4-compatible addresses (`::a.b.c.d`, deprecated) fall outside global unicast.
    V6_GLOBAL_UNICAST.contains(&ip) && !V6_NOT_PUBLIC.iter().any(|net| net.contains(&ip))
}

/// Why a target was refused; logged for the operator, never shown to the tenant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a URL reqwest could call.
    #[error("not a valid URL")]
    BadUrl,
    /// A scheme other than http or https.
    #[error("scheme {0:?} is not http or https")]
    Scheme(String),
    /// The URL has no host.
    #[error("the URL has no host")]
    NoHost,
    /// The host is, or resolves to, a non-public address.
    #[error("{0} is not a public address (see --webhooks-allow-private)")]
    Private(IpAddr),
    /// The name resolved to nothing.
    #[error("the name resolved to no address")]
    NoAddress,
}

/// The guard applied to a webhook URL before anything is sent.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    /// Whether non-public addresses may be called.
    pub allow_private: bool,
}

impl Guard {
    /// Parses `url` and checks what can be checked without DNS: the scheme, and the host when
    /// it is an IP literal. A name is checked later, by [`GuardedResolver`].
    ///
    /// # Errors
    /// The [`Refusal`] that stops the delivery.
    pub fn check(self, url: &str) -> Result<Url, Refusal> {
        let parsed = Url::parse(url).map_err(|_| Refusal::BadUrl)?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Refusal::Scheme(parsed.scheme().to_owned()));
        }
        let ip = match parsed.host().ok_or(Refusal::NoHost)? {
            Host::Ipv4(ip) => IpAddr::V4(ip),
            Host::Ipv6(ip) => IpAddr::V6(ip),
            Host::Domain(_) => return Ok(parsed),
        };
        if self.allow_private || is_public(ip) {
            Ok(parsed)
        } else {
            Err(Refusal::Private(ip))
        }
    }
}

/// reqwest's DNS resolver for webhooks: resolves with the system resolver and fails when any
/// of the addresses is not public, so the connection reqwest then makes goes only to addresses
/// checked here.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(Refusal::NoAddress.into());
            }
            // All of them: a client may try any address of the list (happy eyeballs).
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(Refusal::Private(bad.ip()).into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().expect("an IP address"))
    }

    #[test]
    fn ipv4_special_ranges_are_not_public() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "198.19.255.255",
            "192.88.99.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!public(ip), "{ip} must not be public");
        }
    }

    #[test]
    fn ipv4_public_addresses_and_range_edges_are_public() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "169.253.255.255",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
        ] {
            assert!(public(ip), "{ip} must be public");
        }
    }

    #[test]
    fn ipv6_special_ranges_are_not_public() {
        for ip in [
            "::",
            "::1",
            "fe80::1",
            "febf::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "ff0e::1",
            "100::1",
            "2001:db8::1",
            "2001::1",
            "3fff::1",
            "fec0::1",
            "::127.0.0.1",
            "::8.8.8.8",
            "64:ff9b:1::1",
        ] {
            assert!(!public(ip), "{ip} must not be public");
        }
    }

    #[test]
    fn ipv6_embedded_ipv4_is_judged_by_the_embedded_address() {
        for ip in [
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::192.168.0.1",
            "2002:7f00:1::1",
            "2002:0a00:0001::",
            "2002:c0a8:0101::5",
        ] {
            assert!(!public(ip), "{ip} must not be public");
        }
        for ip in ["::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:0808:0808::1"] {
            assert!(public(ip), "{ip} must be public");
        }
    }

    #[test]
    fn ipv6_global_unicast_is_public() {
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4001:82a::200e",
            "2001:4860:4860::8888",
        ] {
            assert!(public(ip), "{ip} must be public");
        }
    }

    const REFUSE: Guard = Guard { allow_private: false };

    #[test]
    fn every_spelling_of_a_private_address_is_refused() {
        for (url, ip) in [
            ("http://127.0.0.1:8080/x", "127.0.0.1"),
            ("http://127.1:8080/x", "127.0.0.1"),
            ("http://2130706433:8080/x", "127.0.0.1"),
            ("http://0x7f000001:8080/x", "127.0.0.1"),
            ("http://0177.0.0.1/x", "127.0.0.1"),
            ("http://0x7f.1/", "127.0.0.1"),
            ("http://127.0.0.1./x", "127.0.0.1"),
            ("http://[::ffff:127.0.0.1]:8080/x", "::ffff:127.0.0.1"),
            ("http://[::1]/x", "::1"),
            ("http://[0:0:0:0:0:0:0:1]/x", "::1"),
            ("http://0.0.0.0/x", "0.0.0.0"),
            ("http://0/x", "0.0.0.0"),
            ("http://[::]/x", "::"),
            ("https://169.254.169.254/latest/meta-data/", "169.254.169.254"),
            ("http://user@127.0.0.1:8080/x", "127.0.0.1"),
            ("http://evil.com@127.0.0.1:8080/x", "127.0.0.1"),
            ("http://evil.com:pw@10.0.0.1/x", "10.0.0.1"),
            ("HTTP://[FE80::1]/x", "fe80::1"),
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert_eq!(REFUSE.check(url), Err(Refusal::Private(ip)), "{url}");
        }
    }

    #[test]
    fn public_hosts_and_names_pass_the_url_check() {
        for url in [
            "https://8.8.8.8/hook",
            "http://[2606:4700:4700::1111]:8080/",
            "https://hooks.example.com/x?y=1",
            // A name is judged by what it resolves to, in the resolver.
            "http://localhost:8080/x",
            "http://127.0.0.1@example.com/x",
        ] {
            assert!(REFUSE.check(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn only_http_and_https_urls_are_called() {
        assert_eq!(
            REFUSE.check("ftp://example.com/x"),
            Err(Refusal::Scheme("ftp".to_owned()))
        );
        assert_eq!(
            REFUSE.check("file:///etc/passwd"),
            Err(Refusal::Scheme("file".to_owned()))
        );
        assert_eq!(REFUSE.check("not a url"), Err(Refusal::BadUrl));
        let allow = Guard { allow_private: true };
        assert!(allow.check("gopher://127.0.0.1/x").is_err());
        assert!(allow.check("http://127.0.0.1:1/x").is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses() {
        let name: Name = "localhost".parse().expect("name");
        let err = GuardedResolver.resolve(name).await.err().expect("refused");
        let refusal = err.downcast_ref::<Refusal>().expect("a Refusal");
        assert!(
            matches!(refusal, Refusal::Private(ip) if ip.is_loopback()),
            "{refusal:?}"
        );
    }
}
