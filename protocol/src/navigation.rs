//! The WebView navigation policy, decided in the core.
//!
//! Every URL the host's WebView is about to load (`WKNavigationDelegate`,
//! `shouldOverrideUrlLoading`) is classified here, so the host glue is a few lines and every
//! app gets the same, reviewed rules:
//!
//! | URL | decision |
//! |---|---|
//! | this flow's redirect (scheme, host, port, path match; wildcard patterns honoured) | [`Navigation::Intercept`]: never loaded; handed to the flow |
//! | `https://…`, and `http://` to loopback (local sandbox) | [`Navigation::Allow`] |
//! | a host listed as an external app link (e.g. a bank's Universal Link domain) | [`Navigation::OpenExternally`] |
//! | other schemes an OS can route to an app (`bankid:`, `intent:`, `tel:`, `mailto:`, custom app schemes) | [`Navigation::OpenExternally`] |
//! | `http://` to a remote host, `javascript:`, `data:`, `file:`, `blob:`, `content:`, unparsable | [`Navigation::Block`] |
//!
//! `about:blank` and `about:srcdoc` are allowed (frames use them).

use url::Url;

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

/// Schemes that must never be loaded or handed to the OS from a bank page.
const BLOCKED_SCHEMES: [&str; 7] = [
    "javascript",
    "data",
    "file",
    "blob",
    "content",
    "filesystem",
    "vbscript",
];

/// The rules apart from the flow's own redirect (which needs the flow to handle it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NavigationPolicy {
    external_hosts: Vec<String>,
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
            external_hosts: hosts
                .into_iter()
                .map(|h| {
                    h.as_ref()
                        .trim()
                        .trim_start_matches('.')
                        .to_ascii_lowercase()
                })
                .filter(|h| !h.is_empty())
                .collect(),
        }
    }

    /// Classifies `url` for a flow waiting at `redirect`. Returns `None` when the URL is the
    /// flow's redirect: the caller hands it to the flow and answers [`Navigation::Intercept`].
    pub fn classify(&self, url: &str, redirect: &RedirectPattern) -> Option<Navigation> {
        let Ok(parsed) = Url::parse(url.trim()) else {
            return Some(Navigation::Block);
        };
        if redirect.matches(&parsed) {
            return None;
        }
        let scheme = parsed.scheme();
        Some(match scheme {
            "about" => match parsed.path() {
                "blank" | "srcdoc" => Navigation::Allow,
                _ => Navigation::Block,
            },
            "https" | "http" => {
                if self.is_external(&parsed) {
                    Navigation::OpenExternally
                } else if scheme == "https" || is_loopback(&parsed) {
                    Navigation::Allow
                } else {
                    Navigation::Block
                }
            }
            s if BLOCKED_SCHEMES.contains(&s) => Navigation::Block,
            _ => Navigation::OpenExternally,
        })
    }

    fn is_external(&self, url: &Url) -> bool {
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
            return false;
        };
        self.external_hosts
            .iter()
            .any(|h| host == *h || host.ends_with(&format!(".{h}")))
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

    #[test]
    fn classifies() {
        let p = NavigationPolicy::with_external_hosts(["mobilebank.example.com"]);
        let r = redirect();
        let c = |u: &str| p.classify(u, &r);
        assert_eq!(c("https://app.example.com/aiia/callback?code=x"), None);
        assert_eq!(c("https://bank.example.com/login"), Some(Navigation::Allow));
        assert_eq!(
            c("http://127.0.0.1:8080/v1/authentication/start"),
            Some(Navigation::Allow)
        );
        assert_eq!(c("https://app.example.com/other"), Some(Navigation::Allow));
        assert_eq!(c("http://bank.example.com/login"), Some(Navigation::Block));
        assert_eq!(
            c("https://mobilebank.example.com/open"),
            Some(Navigation::OpenExternally)
        );
        assert_eq!(
            c("https://x.mobilebank.example.com/open"),
            Some(Navigation::OpenExternally)
        );
        assert_eq!(
            c("https://evilmobilebank.example.com/"),
            Some(Navigation::Allow)
        );
        assert_eq!(
            c("bankid:///?autostarttoken=1"),
            Some(Navigation::OpenExternally)
        );
        assert_eq!(
            c("intent://scan/#Intent;scheme=zxing;end"),
            Some(Navigation::OpenExternally)
        );
        assert_eq!(c("tel:+4512345678"), Some(Navigation::OpenExternally));
        assert_eq!(c("javascript:alert(1)"), Some(Navigation::Block));
        assert_eq!(c("data:text/html,hi"), Some(Navigation::Block));
        assert_eq!(c("file:///etc/passwd"), Some(Navigation::Block));
        assert_eq!(c("about:blank"), Some(Navigation::Allow));
        assert_eq!(c("not a url"), Some(Navigation::Block));
    }
}
