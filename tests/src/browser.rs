//! Playing the user's browser on the sandbox's hosted bank page.
//!
//! In the app, a WebView loads `authUrl`, the user taps a button, the bank answers the form post
//! with a `302` to the app's redirect URL, and the host hands that URL to the core. Here a plain
//! reqwest client does the same: it loads the page, reads the decision form out of the HTML
//! (action and hidden `startToken`), posts it form-encoded as a browser would, and returns the
//! `Location` without following it, so the test can hand it to `handle_redirect` itself (and
//! choose when, which is how the races are staged).

use url::Url;

use crate::html::attribute_after;

/// A browser that never follows redirects (the app intercepts them).
#[derive(Clone, Debug)]
pub struct Browser {
    http: reqwest::Client,
}

/// The decision form of a loaded bank page.
#[derive(Clone, Debug)]
pub struct BankPage {
    /// Where the forms post to (the `action`, resolved against the page URL).
    pub action: Url,
    /// The hidden `startToken` field, HTML-unescaped.
    pub start_token: String,
}

/// The bank's answer to a decision.
#[derive(Clone, Debug)]
pub struct Decision {
    /// HTTP status (302 when the login ended and the user goes back to the app).
    pub status: u16,
    /// The `Location` header: the app's redirect URL with `code` or `error`.
    pub location: Option<String>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A fresh browser.
    pub fn new() -> Self {
        Browser { http: plain_http() }
    }

    /// Loads `auth_url` and reads its decision form. Panics unless the page is a login page.
    pub async fn open(&self, auth_url: &str) -> BankPage {
        let page_url = Url::parse(auth_url).expect("authUrl is a URL");
        let response = self
            .http
            .get(page_url.clone())
            .send()
            .await
            .expect("the page loads");
        let status = response.status().as_u16();
        let html = response.text().await.expect("an HTML body");
        assert_eq!(status, 200, "the bank page did not load: {html}");
        let action = attribute_after(&html, "<form", "action").expect("a decision form");
        let start_token =
            attribute_after(&html, "name=\"startToken\"", "value").expect("a startToken field");
        BankPage {
            action: page_url.join(&action).expect("a relative form action"),
            start_token,
        }
    }

    /// Posts the form with `decision` (`approve`, `cancel` or `fail`).
    pub async fn decide(&self, page: &BankPage, decision: &str) -> Decision {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("startToken", &page.start_token)
            .append_pair("decision", decision)
            .finish();
        let response = self
            .http
            .post(page.action.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("the form post is answered");
        Decision {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().expect("an ASCII Location").to_owned()),
        }
    }

    /// Opens the page, takes `decision` and returns the `Location` of the `302` back to the app.
    pub async fn choose(&self, auth_url: &str, decision: &str) -> String {
        let page = self.open(auth_url).await;
        let answer = self.decide(&page, decision).await;
        assert_eq!(answer.status, 302, "decision {decision}: {answer:?}");
        answer.location.expect("a 302 carries a Location")
    }
}

/// A reqwest client for plain loopback HTTP that follows no redirects and uses no proxy.
///
/// In a workspace build reqwest is compiled with the core's `rustls-no-provider` feature, and
/// then building any client (even one only used for `http://`) needs a process-wide rustls
/// crypto provider; installing it twice is harmless.
pub fn plain_http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("a plain HTTP client")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_form_attributes() {
        let html = "<form method=\"post\" action=\"/v1/x\"><input type=\"hidden\" \
                    name=\"startToken\" value=\"a+b/c==&amp;\">";
        assert_eq!(
            attribute_after(html, "<form", "action").as_deref(),
            Some("/v1/x")
        );
        assert_eq!(
            attribute_after(html, "name=\"startToken\"", "value").as_deref(),
            Some("a+b/c==&")
        );
    }
}
