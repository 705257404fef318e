//! Argument checks that run before any request is sent.
//!
//! A wrong argument must cost nothing: no session is created at the provider, no code is burnt,
//! and the error names the field so the developer can fix it at once.

use std::time::Duration;

use url::{Host, Url};

use crate::error::Error;

/// Checks a supervised-login `userHash` against the provider's rule `^[a-zA-Z0-9-]{8,64}$`.
pub fn user_hash(value: &str) -> Result<(), Error> {
    let len = value.chars().count();
    if !(8..=64).contains(&len) {
        return Err(Error::invalid(
            "userHash",
            format!("must be 8 to 64 characters long (got {len})"),
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(Error::invalid(
            "userHash",
            format!("may contain only a-z, A-Z, 0-9 and '-' (found {bad:?})"),
        ));
    }
    Ok(())
}

/// The longest time-out or lifetime an app may configure: a thousand years. Longer durations
/// are refused with a typed error (not wrapped, not silently shortened): no login needs one,
/// and deadlines must stay within the timestamps a snapshot can write.
pub const MAX_DURATION: Duration = Duration::from_secs(1000 * 365 * 24 * 3600);

/// Checks an app-supplied duration against [`MAX_DURATION`] and returns it in milliseconds.
pub fn duration_ms(field: &'static str, value: Duration) -> Result<u64, Error> {
    if value > MAX_DURATION {
        return Err(Error::invalid(field, "must be at most 1000 years"));
    }
    Ok(crate::timestamp::whole_millis(value))
}

/// Whether a URL points at this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `text` as a URL, or why not (for `field`).
pub(crate) fn parse_url(field: &'static str, text: &str) -> Result<Url, Error> {
    Url::parse(text).map_err(|e| Error::invalid(field, format!("not a URL: {e}")))
}

/// The one rule for cleartext: plain http only to a loopback host; anything else is refused
/// with `message`.
pub(crate) fn refuse_plain_http(
    field: &'static str,
    url: &Url,
    message: &str,
) -> Result<(), Error> {
    if url.scheme() == "http" && !is_loopback(url) {
        return Err(Error::invalid(field, message));
    }
    Ok(())
}

/// Parses a provider base URL (API root, token endpoint, issuer). HTTPS is required unless the
/// host is loopback; user-info and fragments are refused. The result's path ends with `/` when
/// `as_base` is set, so relative endpoint paths join under it.
pub fn service_url(field: &'static str, value: &str, as_base: bool) -> Result<Url, Error> {
    let mut url = parse_url(field, value.trim())?;
    refuse_plain_http(
        field,
        &url,
        "plain http is only allowed for loopback hosts; use https",
    )?;
    if url.scheme() != "https" && url.scheme() != "http" {
        let message = format!("unsupported scheme {:?}", url.scheme());
        return Err(Error::invalid(field, message));
    }
    if url.host().is_none() {
        return Err(Error::invalid(field, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(field, "must not contain credentials"));
    }
    if url.fragment().is_some() {
        return Err(Error::invalid(field, "must not have a fragment"));
    }
    if as_base {
        if url.query().is_some() {
            return Err(Error::invalid(field, "must not have a query"));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
    }
    Ok(url)
}

/// The URL of an API resource `path` under the configured API root `base` (a [`service_url`]
/// with `as_base`). The request carries the partner credentials and the session bearer, so it
/// must stay under that root: an absolute URL, a scheme-relative (`//host`) or backslash
/// (`\\host`) path, a `..` segment, or anything else that would resolve outside the root's
/// origin and path is refused.
pub fn api_path(base: &Url, path: &str) -> Result<Url, Error> {
    let field = "path";
    if path.contains('\\') || path.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "must not contain backslashes or control characters",
        ));
    }
    let relative = path.trim_start_matches('/');
    if path.starts_with("//") || relative.contains(':') && Url::parse(relative).is_ok() {
        return Err(Error::invalid(
            field,
            "must be a path under the API URL, not a URL",
        ));
    }
    if relative
        .split(['/', '?', '#'])
        .any(|segment| matches!(segment, "." | "..") || segment.eq_ignore_ascii_case("%2e%2e"))
    {
        return Err(Error::invalid(
            field,
            "must not contain '.' or '..' segments",
        ));
    }
    let url = base
        .join(relative)
        .map_err(|e| Error::invalid(field, format!("not a path: {e}")))?;
    if url.origin() != base.origin() || !url.path().starts_with(base.path()) {
        return Err(Error::invalid(field, "must stay under the API URL"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_stay_under_the_api_root() {
        let base = service_url("apiUrl", "https://api.example.com/aiia", true).unwrap();
        let ok = |p: &str| api_path(&base, p).unwrap().to_string();
        assert_eq!(
            ok("/v1/accounts"),
            "https://api.example.com/aiia/v1/accounts"
        );
        assert_eq!(
            ok("v1/accounts?limit=2"),
            "https://api.example.com/aiia/v1/accounts?limit=2"
        );
        for bad in [
            "https://evil.example/steal",
            "//evil.example/steal",
            "\\\\evil.example\\steal",
            "/\\evil.example",
            "../other",
            "/v1/../../other",
            "v1/%2e%2e/%2E%2E/other",
            "http:evil.example",
            "javascript:alert(1)",
            "/v1/\naccounts",
        ] {
            let err = api_path(&base, bad).expect_err(bad);
            assert!(
                matches!(err, Error::InvalidInput { field: "path", .. }),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn user_hash_rule() {
        assert!(user_hash("test-user-id").is_ok());
        assert!(user_hash("abcdefgh").is_ok());
        assert!(user_hash(&"a".repeat(64)).is_ok());
        for bad in [
            "short",
            "",
            &"a".repeat(65),
            "has space1",
            "ümlaut-user",
            "under_score",
        ] {
            let e = user_hash(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidInput {
                        field: "userHash",
                        ..
                    }
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn service_urls() {
        assert!(service_url("apiUrl", "https://api.example.com", true).is_ok());
        assert_eq!(
            service_url("apiUrl", "https://api.example.com/gw", true)
                .unwrap()
                .as_str(),
            "https://api.example.com/gw/"
        );
        assert!(service_url("apiUrl", "http://127.0.0.1:8080", true).is_ok());
        assert!(service_url("apiUrl", "http://localhost:1", true).is_ok());
        assert!(service_url("apiUrl", "http://[::1]:1", true).is_ok());
        for bad in [
            "http://api.example.com",
            "ftp://x",
            "not a url",
            "https://user:pw@api.example.com",
            "https://api.example.com/#x",
            "http://127.0.0.1.evil.com",
        ] {
            assert!(service_url("apiUrl", bad, true).is_err(), "{bad}");
        }
    }
}
