//! Matching a requested `redirect_uri` against a client's registered ones.
//!
//! This is the check that stops an authorization code from being sent to an attacker, so the
//! rules are explicit and the comparison works on parsed URLs, never on raw string prefixes
//! (a prefix test would let `https://app.example.com.evil.example/` or `/cb/../../evil` through).
//!
//! - **Exact entries** match a URL equal to them after parsing (scheme and host case, default
//!   ports and dot segments normalised); query included, so `?x=1` does not match an entry
//!   without it.
//! - **Wildcard entries** end in `*` (Aiia: "Place an `*` in your registered redirect URL ex.
//!   `https://mydomain.com/aiia-callback/*`"). The `*` stands for any rest of the *path* (and any
//!   query): scheme, host and port must still match exactly, and the requested path, after
//!   normalisation, must start with the entry's path up to the `*`. A `*` anywhere else — in the
//!   host (`https://*.example.com/cb`, "We do not support wildcard in domain and sub-domain") or
//!   mid-path — is not a wildcard; such an entry only matches itself literally.
//! - **Loopback** (RFC 8252 §7.3): for an `http` entry whose host is the IP literal `127.0.0.1`
//!   or `[::1]`, any port is accepted, because a native app binds an ephemeral port at run time.
//!   `localhost` does not get this treatment (RFC 8252 §8.3 recommends against it), and neither
//!   does any other host.
//! - A requested URI with a fragment, user info, or that is not an absolute URL never matches
//!   (RFC 6749 §3.1.2). Custom schemes (`com.example.app:/oauth2redirect`) are compared like any
//!   other URL, so they must be registered to be used.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Whether `requested` matches one of `registered`.
pub(crate) fn is_registered(registered: &[String], requested: &str) -> bool {
    let Ok(requested) = Url::parse(requested) else {
        return false;
    };
    if requested.fragment().is_some()
        || !requested.username().is_empty()
        || requested.password().is_some()
    {
        return false;
    }
    registered
        .iter()
        .any(|entry| matches_entry(entry, &requested))
}

fn is_loopback_literal(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(Host::Ipv4(ip)) => ip == Ipv4Addr::LOCALHOST,
            Some(Host::Ipv6(ip)) => ip == Ipv6Addr::LOCALHOST,
            _ => false,
        }
}

/// Scheme, host and port equal; the port is ignored for loopback IP literals (RFC 8252 §7.3).
fn same_origin(entry: &Url, requested: &Url) -> bool {
    if entry.scheme() != requested.scheme() || entry.host() != requested.host() {
        return false;
    }
    is_loopback_literal(entry) || entry.port_or_known_default() == requested.port_or_known_default()
}

fn matches_entry(entry: &str, requested: &Url) -> bool {
    if let Some(prefix) = entry.strip_suffix('*') {
        let Ok(base) = Url::parse(prefix) else {
            return false;
        };
        // Only a trailing `*` that ends the path is a wildcard: the part before it must parse to
        // a URL with no query or fragment, and must not itself hold another `*`.
        let path_wildcard = base.query().is_none()
            && base.fragment().is_none()
            && !prefix.contains('*')
            && base.host().is_some();
        if path_wildcard {
            return same_origin(&base, requested) && requested.path().starts_with(base.path());
        }
    }
    let Ok(entry) = Url::parse(entry) else {
        return false;
    };
    if !same_origin(&entry, requested) {
        return false;
    }
    entry.path() == requested.path() && entry.query() == requested.query()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn exact_entries() {
        let r = reg(&["https://app.example.com/aiia/callback"]);
        assert!(is_registered(&r, "https://app.example.com/aiia/callback"));
        assert!(is_registered(
            &r,
            "HTTPS://APP.example.com:443/aiia/callback"
        ));
        assert!(!is_registered(&r, "https://app.example.com/aiia/callback/"));
        assert!(!is_registered(
            &r,
            "https://app.example.com/aiia/callback?x=1"
        ));
        assert!(!is_registered(
            &r,
            "https://app.example.com:8443/aiia/callback"
        ));
        assert!(!is_registered(&r, "http://app.example.com/aiia/callback"));
        assert!(!is_registered(
            &r,
            "https://app.example.com/aiia/callback#f"
        ));
        assert!(!is_registered(
            &r,
            "https://evil@app.example.com/aiia/callback"
        ));
        assert!(!is_registered(&r, "/aiia/callback"));
        assert!(!is_registered(&r, ""));
    }

    #[test]
    fn path_wildcards() {
        let r = reg(&["https://mydomain.com/aiia-callback/*"]);
        assert!(is_registered(&r, "https://mydomain.com/aiia-callback/"));
        assert!(is_registered(
            &r,
            "https://mydomain.com/aiia-callback/tenant/42"
        ));
        assert!(is_registered(
            &r,
            "https://mydomain.com/aiia-callback/x?tenant=7"
        ));
        assert!(!is_registered(&r, "https://mydomain.com/aiia-callback"));
        assert!(!is_registered(&r, "https://mydomain.com/aiia-callbackx"));
        assert!(!is_registered(
            &r,
            "https://mydomain.com/aiia-callback/../evil"
        ));
        assert!(!is_registered(
            &r,
            "https://mydomain.com/aiia-callback/%2e%2e/evil"
        ));
        assert!(!is_registered(
            &r,
            "https://evil.mydomain.com/aiia-callback/x"
        ));
        assert!(!is_registered(
            &r,
            "https://mydomain.com.evil.example/aiia-callback/x"
        ));
        assert!(!is_registered(&r, "http://mydomain.com/aiia-callback/x"));
    }

    #[test]
    fn no_wildcards_in_the_host() {
        let r = reg(&[
            "https://*.example.com/cb",
            "https://*/cb/*",
            "https://a.example/*/cb",
        ]);
        assert!(!is_registered(&r, "https://evil.example.com/cb"));
        assert!(!is_registered(&r, "https://anything/cb/x"));
        assert!(!is_registered(&r, "https://a.example/x/cb"));
    }

    #[test]
    fn loopback_ports_are_free() {
        let r = reg(&["http://127.0.0.1/*", "http://[::1]/cb"]);
        assert!(is_registered(&r, "http://127.0.0.1/cb"));
        assert!(is_registered(&r, "http://127.0.0.1:53123/oauth/cb?x=1"));
        assert!(is_registered(&r, "http://[::1]:9/cb"));
        assert!(!is_registered(&r, "http://[::1]:9/other"));
        assert!(!is_registered(&r, "http://localhost:53123/cb"));
        assert!(!is_registered(&r, "https://127.0.0.1:53123/cb"));
        // Ports stay significant for other hosts.
        let r = reg(&["http://localhost:8080/cb"]);
        assert!(!is_registered(&r, "http://localhost:8081/cb"));
    }

    #[test]
    fn custom_schemes_must_be_registered() {
        let r = reg(&["com.example.app:/oauth2redirect"]);
        assert!(is_registered(&r, "com.example.app:/oauth2redirect"));
        assert!(!is_registered(&r, "com.example.evil:/oauth2redirect"));
        assert!(!is_registered(&r, "com.example.app:/other"));
    }
}
