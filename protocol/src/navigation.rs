//! The WebView navigation policy, decided in the core.
//!
//! Every URL the host's WebView is about to load (`WKNavigationDelegate`,
//! `shouldOverrideUrlLoading`) is classified here, so the host glue is a few lines and every
//! app gets the same, reviewed rules. A WebView has no address bar: a page it shows is
//! indistinguishable from the bank's, so it may show only pages of hosts the app trusts, and
//! only a main-frame navigation may end the flow or leave the app.
//!
//! | URL | main frame | subframe |
//! |---|---|---|
//! | this flow's redirect (scheme, host, port, path match; wildcard patterns honoured) | [`Navigation::Intercept`]: never loaded; handed to the flow | [`Navigation::Block`] (never honoured) |
//! | a host listed as an external app link (e.g. a bank's Universal Link domain) | [`Navigation::OpenExternally`] | [`Navigation::Block`] |
//! | `https://` to an allowed web host (below), `http(s)://` to loopback (local sandbox) | [`Navigation::Allow`] | [`Navigation::Allow`] |
//! | a scheme on the app's external-scheme allowlist (e.g. `bankid`) | [`Navigation::OpenExternally`] | [`Navigation::Block`] |
//! | `about:blank`, `about:srcdoc` | [`Navigation::Allow`] | [`Navigation::Allow`] |
//! | anything else: other https hosts, `http://` to a remote host, other schemes (`intent:`, `itms-services:`, `javascript:`, `data:`, `file:`, …), unparsable | [`Navigation::Block`] | [`Navigation::Block`] |
//!
//! **Allowed web hosts** (each with its subdomains): the hosts the app configures
//! (`ClientConfig::web_hosts`: its banks' login domains), plus the hosts derived from the flow
//! itself — the provider page it was given (the supervised login's `authUrl`, the connect or
//! PKCE authorize endpoint) and the app's own https redirect domain. `intent:` (which can name
//! any component of any app) and `itms-services:` (installs an app) are never opened, even if
//! listed, nor are the schemes that run or read content.

use url::Url;

use crate::error::Error;
use crate::flow::RedirectOutcome;
use crate::redirect::RedirectPattern;
use crate::validate::is_loopback;

/// What the WebView should do with a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Navigation {
    /// Load it in the WebView.
    Allow,
    /// Do not load it: it is this flow's redirect, already handed to the flow, with the outcome.
    Intercept(RedirectOutcome),
    /// Do not load it in the WebView; ask the OS to open it (bank app, phone, mail).
    OpenExternally,
    /// Do not load it at all.
    Block,
}

/// Schemes that must never be loaded or handed to the OS from a bank page, whatever the app
/// lists.
const NEVER_OPENED: [&str; 11] = [
    "javascript",
    "data",
    "file",
    "blob",
    "content",
    "filesystem",
    "vbscript",
    "intent",
    "itms-services",
    "http",
    "https",
];

/// The rules apart from the flow's own redirect (which needs the flow to handle it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NavigationPolicy {
    external_hosts: Vec<String>,
    web_hosts: Vec<String>,
    external_schemes: Vec<String>,
}

fn host_names<I, S>(hosts: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    hosts
        .into_iter()
        .map(|h| {
            h.as_ref()
                .trim()
                .trim_start_matches('.')
                .to_ascii_lowercase()
        })
        .filter(|h| !h.is_empty())
        .collect()
}

fn on_host_list(list: &[String], host: &str) -> bool {
    list.iter().any(|h| {
        host == h
            || host
                .strip_suffix(h.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

impl NavigationPolicy {
    /// A policy that opens the given hosts (and their subdomains) outside the WebView: banks'
    /// Universal Link / App Link domains that should launch the bank's app.
    pub fn with_external_hosts<I, S>(hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        NavigationPolicy {
            external_hosts: host_names(hosts),
            ..NavigationPolicy::default()
        }
    }

    /// Adds hosts (and their subdomains) the WebView may show: the banks' login domains. Each
    /// must be a bare host name (`bank.example.com`), not a URL or a pattern.
    pub fn with_web_hosts<I, S>(mut self, hosts: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for host in host_names(hosts) {
            let bare = Url::parse(&format!("https://{host}/"))
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .filter(|h| *h == host && !h.contains('*'));
            if bare.is_none() || host.split('.').count() < 2 {
                return Err(Error::invalid(
                    "webHosts",
                    "must be host names with a domain (bank.example.com), not URLs or patterns",
                ));
            }
            self.web_hosts.push(host);
        }
        Ok(self)
    }

    /// Adds URL schemes the WebView may hand to the OS (`bankid`, a bank app's own scheme).
    /// Web schemes, `intent`, `itms-services` and the schemes that run or read content are
    /// refused.
    pub fn with_external_schemes<I, S>(mut self, schemes: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for scheme in schemes {
            let scheme = scheme
                .as_ref()
                .trim()
                .trim_end_matches(':')
                .to_ascii_lowercase();
            let well_formed = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if !well_formed || NEVER_OPENED.contains(&scheme.as_str()) || scheme == "about" {
                return Err(Error::invalid(
                    "externalSchemes",
                    "must be app schemes (bankid); web schemes, intent, itms-services and \
                     content schemes cannot be opened",
                ));
            }
            self.external_schemes.push(scheme);
        }
        Ok(self)
    }

    /// Classifies a main-frame navigation with no hosts derived from a flow: see
    /// [`NavigationPolicy::decide`].
    pub fn classify(&self, url: &str, redirect: &RedirectPattern) -> Option<Navigation> {
        self.decide(url, redirect, &[], true)
    }

    /// Classifies `url` for a flow waiting at `redirect`, whose own provider pages are on
    /// `flow_hosts`, for the main frame or a subframe. Returns `None` when the URL is the flow's
    /// redirect in the main frame: the caller hands it to the flow and answers
    /// [`Navigation::Intercept`].
    pub fn decide(
        &self,
        url: &str,
        redirect: &RedirectPattern,
        flow_hosts: &[String],
        main_frame: bool,
    ) -> Option<Navigation> {
        let Ok(parsed) = Url::parse(url.trim()) else {
            return Some(Navigation::Block);
        };
        if redirect.matches(&parsed) {
            return if main_frame {
                None
            } else {
                Some(Navigation::Block)
            };
        }
        let leave_app = if main_frame {
            Navigation::OpenExternally
        } else {
            Navigation::Block
        };
        let scheme = parsed.scheme();
        Some(match scheme {
            "about" => match parsed.path() {
                "blank" | "srcdoc" => Navigation::Allow,
                _ => Navigation::Block,
            },
            "https" | "http" => {
                let host = parsed.host_str().unwrap_or("").to_ascii_lowercase();
                if on_host_list(&self.external_hosts, &host) {
                    leave_app
                } else if is_loopback(&parsed) {
                    Navigation::Allow
                } else if scheme == "http" {
                    Navigation::Block
                } else if on_host_list(&self.web_hosts, &host)
                    || on_host_list(flow_hosts, &host)
                    || redirect.url().scheme() == "https"
                        && redirect.url().host_str() == Some(host.as_str())
                {
                    Navigation::Allow
                } else {
                    Navigation::Block
                }
            }
            s if NEVER_OPENED.contains(&s) => Navigation::Block,
            s if self.external_schemes.iter().any(|e| e == s) => leave_app,
            _ => Navigation::Block,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirect() -> RedirectPattern {
        RedirectPattern::parse(
            "redirectUrl",
            "https://app.example.com/aiia/callback",
            false,
        )
        .unwrap()
    }

    /// Asserts that `decide` answers each URL of `cases` as given.
    fn expect(decide: impl Fn(&str) -> Option<Navigation>, cases: &[(&str, Option<Navigation>)]) {
        for (url, expected) in cases {
            assert_eq!(decide(url), *expected, "{url}");
        }
    }

    const ALLOW: Option<Navigation> = Some(Navigation::Allow);
    const BLOCK: Option<Navigation> = Some(Navigation::Block);
    const OUTSIDE: Option<Navigation> = Some(Navigation::OpenExternally);

    #[test]
    fn classifies() {
        let p = NavigationPolicy::with_external_hosts(["mobilebank.example.com"])
            .with_web_hosts(["bank.example.com", "evilmobilebank.example.com"])
            .unwrap()
            .with_external_schemes(["bankid", "tel"])
            .unwrap();
        let r = redirect();
        expect(
            |u| p.classify(u, &r),
            &[
                ("https://app.example.com/aiia/callback?code=x", None),
                ("https://bank.example.com/login", ALLOW),
                ("http://127.0.0.1:8080/v1/authentication/start", ALLOW),
                ("https://app.example.com/other", ALLOW),
                ("http://bank.example.com/login", BLOCK),
                ("https://mobilebank.example.com/open", OUTSIDE),
                ("https://x.mobilebank.example.com/open", OUTSIDE),
                ("https://evilmobilebank.example.com/", ALLOW),
                ("bankid:///?autostarttoken=1", OUTSIDE),
                // Defect 3: `intent:` can start any component of any app; never opened.
                ("intent://scan/#Intent;scheme=zxing;end", BLOCK),
                ("tel:+4512345678", OUTSIDE),
                ("javascript:alert(1)", BLOCK),
                ("data:text/html,hi", BLOCK),
                ("file:///etc/passwd", BLOCK),
                ("about:blank", ALLOW),
                ("not a url", BLOCK),
            ],
        );
    }

    #[test]
    fn only_allowed_hosts_are_shown_and_only_listed_schemes_leave_the_app() {
        let r = redirect();
        // Nothing configured: the flow's own pages, its redirect domain and loopback only.
        let bare = NavigationPolicy::default();
        let flow = vec!["auth.provider.example".to_owned()];
        expect(
            |u| bare.decide(u, &r, &flow, true),
            &[
                ("https://auth.provider.example/x", ALLOW),
                ("https://eu.auth.provider.example/x", ALLOW),
                ("https://app.example.com/help", ALLOW),
                ("https://phish.example.net/login", BLOCK),
                ("https://evilauth.provider.example/", BLOCK),
                ("https://auth.provider.example.evil.net/", BLOCK),
                ("bankid:///?autostarttoken=1", BLOCK),
                ("tel:+4512345678", BLOCK),
                (
                    "itms-services://?action=download-manifest&url=https://x",
                    BLOCK,
                ),
                ("http://127.0.0.1:8080/page", ALLOW),
            ],
        );
        // Configured hosts and schemes.
        let p = NavigationPolicy::default()
            .with_web_hosts([".Bank.Example.com"])
            .unwrap()
            .with_external_schemes(["BankID:"])
            .unwrap();
        expect(
            |u| p.decide(u, &r, &[], true),
            &[
                ("https://login.bank.example.com/", ALLOW),
                ("bankid:///?autostarttoken=1", OUTSIDE),
            ],
        );
    }

    #[test]
    fn subframes_never_end_the_flow_nor_leave_the_app() {
        let r = redirect();
        let p = NavigationPolicy::with_external_hosts(["mobilebank.example.com"])
            .with_web_hosts(["bank.example.com"])
            .unwrap()
            .with_external_schemes(["bankid"])
            .unwrap();
        let redirect = "https://app.example.com/aiia/callback?code=x";
        expect(
            |u| p.decide(u, &r, &[], true),
            &[
                (redirect, None),
                ("bankid:///?t=1", OUTSIDE),
                ("https://mobilebank.example.com/o", OUTSIDE),
            ],
        );
        // A subframe.
        expect(
            |u| p.decide(u, &r, &[], false),
            &[
                (redirect, BLOCK),
                ("bankid:///?t=1", BLOCK),
                ("https://mobilebank.example.com/o", BLOCK),
                ("https://bank.example.com/frame", ALLOW),
                ("https://tracker.example.net/frame", BLOCK),
                ("about:srcdoc", ALLOW),
            ],
        );
    }

    #[test]
    fn dangerous_schemes_and_patterns_cannot_be_configured() {
        for scheme in [
            "intent",
            "itms-services",
            "javascript",
            "https",
            "file",
            "a b",
            "",
        ] {
            assert!(
                NavigationPolicy::default()
                    .with_external_schemes([scheme])
                    .is_err()
                    || scheme.is_empty(),
                "{scheme}"
            );
        }
        for host in [
            "*.bank.example.com",
            "https://bank.example.com",
            "bank.example.com/x",
            "com",
        ] {
            assert!(
                NavigationPolicy::default().with_web_hosts([host]).is_err(),
                "{host}"
            );
        }
    }
}
