//! The WebView navigation policy.
//!
//! Input: line 1 a redirect pattern (wildcards allowed; the unit tests' redirect if it does not
//! parse), line 2 comma-separated external app hosts, every further line a URL to classify (no
//! further line: the whole input is the URL). Checks, for every URL:
//! - `None` (intercept) exactly when the URL parses and matches the flow's redirect;
//! - anything unparsable, and `javascript:`, `data:`, `file:`, `blob:`, `content:`,
//!   `filesystem:`, `vbscript:` are blocked, never opened nor loaded;
//! - `Allow` only for `https` to the redirect's host, `http(s)` to loopback, and `about:blank` /
//!   `about:srcdoc` (no web hosts are configured: every other page is blocked);
//! - `OpenExternally` only for `http(s)` links to the external app hosts (no external schemes
//!   are configured: every other scheme is blocked); plain `http` to a remote host is never
//!   loaded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use obauth_protocol::navigation::{Navigation, NavigationPolicy};
use obauth_protocol::redirect::RedirectPattern;
use url::{Host, Url};

const BLOCKED: [&str; 7] = [
    "javascript",
    "data",
    "file",
    "blob",
    "content",
    "filesystem",
    "vbscript",
];

fn loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fuzz_target!(init: obauth_fuzz::maybe_write_seeds("navigation"), |data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    let pattern = RedirectPattern::parse("redirect", lines[0], true).unwrap_or_else(|_| {
        RedirectPattern::parse("redirect", "https://app.example.com/aiia/callback", false)
            .expect("fixture")
    });
    let hosts: Vec<&str> = lines.get(1).map(|l| l.split(',').collect()).unwrap_or_default();
    let policy = NavigationPolicy::with_external_hosts(&hosts);
    let urls: Vec<&str> = if lines.len() > 2 { lines[2..].to_vec() } else { vec![&text] };
    for raw in urls {
        let decision = policy.classify(raw, &pattern);
        let parsed = Url::parse(raw.trim());
        let Ok(url) = parsed else {
            assert_eq!(decision, Some(Navigation::Block), "{raw:?} does not parse");
            continue;
        };
        let Some(decision) = decision else {
            assert!(pattern.matches(&url), "{url} intercepted but not the redirect");
            continue;
        };
        assert!(!pattern.matches(&url), "the redirect {url} was not intercepted");
        let scheme = url.scheme();
        match decision {
            Navigation::Allow => assert!(
                (scheme == "https"
                    && (loopback(&url)
                        || pattern.url().scheme() == "https"
                            && url.host_str() == pattern.url().host_str()))
                    || (scheme == "http" && loopback(&url))
                    || (scheme == "about" && matches!(url.path(), "blank" | "srcdoc")),
                "{url} allowed"
            ),
            Navigation::OpenExternally => assert!(
                matches!(scheme, "https" | "http") && !hosts.is_empty(),
                "{url} opened externally"
            ),
            Navigation::Block => {}
            Navigation::Intercept(_) => panic!("classify never answers Intercept itself"),
        }
        if BLOCKED.contains(&scheme) {
            assert_eq!(decision, Navigation::Block, "{url}");
        }
        if scheme == "http" && !loopback(&url) {
            assert_ne!(decision, Navigation::Allow, "{url}");
        }
    }
    let _ = format!("{policy:?}");
});
