//! Redirect patterns and redirect queries.
//!
//! Input: the first line is a registered redirect (pattern), every further line a candidate
//! URL (one line: the pattern is its own candidate). Checks:
//! - `RedirectPattern::parse` never panics, with or without wildcards; a pattern accepted
//!   without wildcards is not a wildcard; a pattern matches its own URL; `as_str()` parses
//!   back to the same pattern (snapshots store it that way);
//! - `matches` implies the same scheme, host (ASCII case-insensitive), port and path (or, for a
//!   wildcard, a path under a prefix that ends at a segment), and still holds for the
//!   candidate re-parsed from its serialization;
//! - `RedirectQuery` decodes exactly once and keeps `+`: any text, percent-encoded once into
//!   `code`, comes back unchanged; a parameter given twice is an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use obauth_protocol::redirect::{RedirectPattern, RedirectQuery};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// Everything but ASCII letters, digits and `+` (a raw `+` must survive as `+`).
const KEEP_PLUS: &AsciiSet = &NON_ALPHANUMERIC.remove(b'+');

fuzz_target!(init: obauth_fuzz::maybe_write_seeds("redirect"), |data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let pattern_text = lines.next().unwrap_or_default();
    let mut candidates: Vec<&str> = lines.collect();
    if candidates.is_empty() {
        candidates.push(pattern_text);
    }
    let candidates: Vec<Url> = candidates.iter().filter_map(|c| Url::parse(c.trim()).ok()).collect();

    for allow_wildcard in [false, true] {
        let Ok(p) = RedirectPattern::parse("redirect", pattern_text, allow_wildcard) else {
            continue;
        };
        assert!(allow_wildcard || !p.is_wildcard());
        assert!(p.matches(p.url()), "a pattern does not match its own URL: {}", p.as_str());
        let _ = p.is_loopback_http();
        let again = RedirectPattern::parse("redirect", &p.as_str(), allow_wildcard)
            .unwrap_or_else(|e| panic!("{:?} does not parse back: {e}", p.as_str()));
        assert_eq!(again, p, "a pattern changed through as_str()");
        for c in &candidates {
            let m = p.matches(c);
            assert_eq!(again.matches(c), m);
            if m {
                let u = p.url();
                assert_eq!(c.scheme(), u.scheme());
                assert_eq!(
                    c.host_str().map(str::to_ascii_lowercase),
                    u.host_str().map(str::to_ascii_lowercase)
                );
                assert_eq!(c.port_or_known_default(), u.port_or_known_default());
                if p.is_wildcard() {
                    // The prefix ends at a segment: `/` or, for `myapp://*`, the empty path.
                    assert!(c.path().starts_with(u.path()));
                    assert!(u.path().is_empty() || u.path().ends_with('/'), "{}", p.as_str());
                } else {
                    assert_eq!(c.path(), u.path());
                }
                let reparsed = Url::parse(c.as_str()).expect("a serialized URL parses");
                assert!(p.matches(&reparsed), "{c} no longer matches once re-parsed");
            }
        }

        // Decode once, keep '+': the last line's text as a code value.
        let value = text.rsplit('\n').next().unwrap_or_default();
        let mut url = p.url().clone();
        url.set_query(Some(&format!(
            "code={}&state={}&state=2",
            utf8_percent_encode(value, KEEP_PLUS),
            utf8_percent_encode(value, NON_ALPHANUMERIC)
        )));
        let q = RedirectQuery::parse(&url).expect("a once-encoded query parses");
        assert_eq!(q.get("code").expect("one code"), Some(value), "{url}");
        assert!(q.get("state").is_err(), "a duplicate state was accepted");
        assert_eq!(q.get("error").expect("no error"), None);
    }

    for c in &candidates {
        if let Ok(q) = RedirectQuery::parse(c) {
            for name in ["code", "state", "error", "error_description", "consentId"] {
                let _ = q.get(name);
            }
            let _ = format!("{q:?}");
        }
    }
});
