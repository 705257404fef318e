//! `--allow-redirect`: which `redirectUrl` (initialize) and `redirect_uri` (`/v1/oauth/token`)
//! values the relay lets through.
//!
//! An entry is either an exact URL (the candidate must equal it byte for byte) or a path
//! wildcard `scheme://host[:port]/path/*`, which allows any URL with the same scheme, host and
//! port whose path starts with `/path/` (the provider's own wildcard rule: never in the host). A
//! wildcard match also requires the candidate to be in canonical form (what the URL parser
//! would print back) and to carry no user info and no fragment, so the string the provider
//! receives is exactly the one that was checked: `/cb/../admin`, `/cb/%2e%2e/admin`, a
//! backslash, or `user@host` tricks are refused instead of normalised.

use url::Url;

use crate::config::{ConfigError, config_error};

#[derive(Debug, Clone)]
enum Entry {
    Exact(String),
    Below {
        scheme: String,
        host: String,
        port: Option<u16>,
        path_prefix: String,
    },
}

/// The parsed allowlist.
#[derive(Debug, Clone, Default)]
pub(crate) struct RedirectAllowlist {
    entries: Vec<Entry>,
}

impl RedirectAllowlist {
    pub fn new(patterns: &[String]) -> Result<Self, ConfigError> {
        let entries = patterns
            .iter()
            .map(|p| parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RedirectAllowlist { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `candidate` may be sent to the provider.
    pub fn allows(&self, candidate: &str) -> bool {
        if candidate.len() > 2048 {
            return false;
        }
        let parsed = Url::parse(candidate).ok();
        self.entries.iter().any(|entry| match entry {
            Entry::Exact(exact) => exact == candidate,
            Entry::Below {
                scheme,
                host,
                port,
                path_prefix,
            } => parsed.as_ref().is_some_and(|url| {
                url.as_str() == candidate
                    && url.scheme() == scheme
                    && url.host_str() == Some(host.as_str())
                    && url.port_or_known_default() == *port
                    && url.username().is_empty()
                    && url.password().is_none()
                    && url.fragment().is_none()
                    && url.path().starts_with(path_prefix.as_str())
            }),
        })
    }
}

fn parse(pattern: &str) -> Result<Entry, ConfigError> {
    let bad = |why: &str| config_error(format!("--allow-redirect {pattern:?}: {why}"));
    let Some(prefix) = pattern.strip_suffix("/*") else {
        if pattern.contains('*') {
            return Err(bad("a wildcard is only allowed as a final \"/*\""));
        }
        let url = Url::parse(pattern).map_err(|e| bad(&format!("not an absolute URL ({e})")))?;
        if url.fragment().is_some() {
            return Err(bad("a redirect URL has no fragment"));
        }
        return Ok(Entry::Exact(pattern.to_owned()));
    };
    if prefix.contains('*') {
        return Err(bad("a wildcard is only allowed as a final \"/*\""));
    }
    let with_slash = format!("{prefix}/");
    let url = Url::parse(&with_slash).map_err(|e| bad(&format!("not an absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("a path wildcard needs an http or https URL"));
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(bad("a path wildcard needs a host"));
    };
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(bad("a path wildcard is scheme://host[:port]/path/*"));
    }
    Ok(Entry::Below {
        scheme: url.scheme().to_owned(),
        host: host.to_owned(),
        port: url.port_or_known_default(),
        path_prefix: url.path().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(p: &[&str]) -> RedirectAllowlist {
        RedirectAllowlist::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn exact_entries_match_byte_for_byte() {
        let l = list(&["https://app.example.com/cb", "com.example.app:/oauth"]);
        assert!(l.allows("https://app.example.com/cb"));
        assert!(l.allows("com.example.app:/oauth"));
        assert!(!l.allows("https://app.example.com/cb/"));
        assert!(!l.allows("https://app.example.com/cb?x=1"));
        assert!(!l.allows("https://APP.example.com/cb"));
        assert!(!l.allows("https://evil.example/cb"));
    }

    #[test]
    fn wildcards_match_paths_below_only() {
        let l = list(&["https://app.example.com/aiia/*"]);
        for ok in [
            "https://app.example.com/aiia/",
            "https://app.example.com/aiia/cb",
            "https://app.example.com/aiia/a/b?state=1",
            "https://app.example.com:443/aiia/cb",
        ] {
            // The explicit default port is not canonical: refused.
            assert_eq!(l.allows(ok), !ok.contains(":443"), "{ok}");
        }
        for bad in [
            "https://app.example.com/aiia",
            "https://app.example.com/aiiax/cb",
            "https://app.example.com/aiia/../admin",
            "https://app.example.com/aiia/%2e%2e/admin",
            "https://app.example.com/aiia\\..\\admin",
            "https://user@app.example.com/aiia/cb",
            "https://app.example.com/aiia/cb#frag",
            "http://app.example.com/aiia/cb",
            "https://app.example.com:8443/aiia/cb",
            "https://evil.example/aiia/cb",
            "https://app.example.com.evil.example/aiia/cb",
            "not a url",
        ] {
            assert!(!l.allows(bad), "{bad}");
        }
    }

    #[test]
    fn bad_patterns_are_refused() {
        for p in [
            "https://*.example.com/cb",
            "https://app.example.com/*/cb",
            "relative/*",
            "myapp://cb/*",
            "https://app.example.com/cb?x=1/*",
            "not a url",
        ] {
            assert!(RedirectAllowlist::new(&[p.to_string()]).is_err(), "{p}");
        }
    }
}
