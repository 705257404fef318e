//! Playing the user's browser on the sandbox's hosted OAuth pages, and watching
//! authorization-code flows (Aiia Data connect, OIDC + PKCE) from the host's side.
//!
//! In the app, a WebView loads the flow's `authorize_url`. For Aiia's connect flow the provider
//! answers with a `302` to its hosted consent page (the seed: "The response will be a `302
//! Found` that you need to follow"); the OIDC authorize endpoint shows its sign-in page at once.
//! The user presses Approve or Cancel (a plain form post with hidden `request` and `decision`
//! fields), and the provider answers with a `302` to the app's `redirect_uri` carrying `code`,
//! `state` (and Aiia's `consentId`), or `error=access_denied`. The WebView never loads that last
//! URL: the host hands it to the core.
//!
//! [`OAuthBrowser`] does exactly that with a reqwest client that follows no redirects by itself:
//! it follows the provider's own hops to the consent page (recording them, so a test can assert
//! the `302`), reads the decision form out of the HTML, posts it, and returns the final
//! `Location` untouched, so the test decides when and how (tampered, twice, to which flow) it is
//! handed over.
//!
//! The rest is what the OAuth scenarios share: [`FlowStates`] (every state a flow reports through
//! `subscribe()`), [`finished`] (the flow's result, with a time limit), the redirect tampering
//! helpers ([`replace_query_value`], [`remove_query_param`], [`altered`]), [`jwt_claims`] (read an
//! ID token's payload) and [`add_token_set`] (register a token set's secrets with [`Secrets`]).

use crate::html::{attribute_after, element_text, unescape};
use std::time::Duration;

use obauth::{
    AuthorizationFlow, AuthorizationParams, AuthorizationState, Client, Error, RedirectOutcome,
    TokenSet,
};
use tokio::task::JoinHandle;
use url::Url;

use crate::browser::plain_http;
use crate::secrets::Secrets;

/// The connect flow's registered redirect (a Universal Link; never loaded, only handed over).
pub const CONNECT_REDIRECT: &str = "https://app.example.com/aiia/callback";
/// The public (PKCE) client's registered redirect.
pub const OIDC_REDIRECT: &str = "https://app.example.com/oidc/callback";
/// How long any helper here waits for a flow or a page before failing the test.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A browser for the hosted OAuth pages that never follows a redirect to the app.
#[derive(Clone, Debug)]
pub struct OAuthBrowser {
    http: reqwest::Client,
}

/// A plain HTTP answer, redirects not followed.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `Location` header, if any.
    pub location: Option<String>,
    /// The body, as text.
    pub body: String,
}

/// A loaded consent (or OIDC sign-in) page.
#[derive(Clone, Debug)]
pub struct ConsentPage {
    /// The URL the page was finally loaded from.
    pub url: Url,
    /// The `(status, Location)` of every provider redirect followed to get here, in order.
    pub hops: Vec<(u16, String)>,
    /// Where the decision forms post to (resolved against [`ConsentPage::url`]).
    pub action: Url,
    /// The hidden `request` field of the forms, HTML-unescaped.
    pub request_id: String,
    /// The page's HTML.
    pub html: String,
}

impl ConsentPage {
    /// The client the page says is asking (`#client`).
    pub fn client(&self) -> Option<String> {
        element_text(&self.html, "id=\"client\"")
    }

    /// The scopes the page lists (`data-scope` of each item), in order.
    pub fn scopes(&self) -> Vec<String> {
        let mut scopes = Vec::new();
        let mut rest = self.html.as_str();
        while let Some(at) = rest.find("data-scope=\"") {
            rest = &rest[at + "data-scope=\"".len()..];
            if let Some(end) = rest.find('"') {
                scopes.push(unescape(&rest[..end]));
            }
        }
        scopes
    }
}

impl Default for OAuthBrowser {
    fn default() -> Self {
        Self::new()
    }
}

impl OAuthBrowser {
    /// A fresh browser.
    pub fn new() -> Self {
        OAuthBrowser { http: plain_http() }
    }

    /// `GET url`, redirects not followed.
    pub async fn get(&self, url: &str) -> Answer {
        let response = tokio::time::timeout(PATIENCE, self.http.get(url).send())
            .await
            .expect("the page answers in time")
            .expect("the page answers");
        Self::answer(response).await
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().expect("an ASCII Location").to_owned());
        let body = response.text().await.unwrap_or_default();
        Answer {
            status,
            location,
            body,
        }
    }

    /// Loads `authorize_url` as a WebView would: follows the provider's own redirects (same
    /// origin as `authorize_url`, at most three) to the page with the decision forms, and reads
    /// the forms. Panics if the provider redirects anywhere else first (e.g. straight back to
    /// the app with an error) or shows no decision form.
    pub async fn open(&self, authorize_url: &str) -> ConsentPage {
        let start = Url::parse(authorize_url).expect("the authorize URL is a URL");
        let mut url = start.clone();
        let mut hops = Vec::new();
        for _ in 0..4 {
            let answer = self.get(url.as_str()).await;
            match (answer.status, answer.location) {
                (300..=399, Some(location)) => {
                    let next = url.join(&location).expect("a valid Location");
                    assert_eq!(
                        next.origin(),
                        start.origin(),
                        "the provider sent the browser away before the consent page: {location}"
                    );
                    hops.push((answer.status, location));
                    url = next;
                }
                (200, _) => {
                    let html = answer.body;
                    let action = attribute_after(&html, "<form", "action")
                        .unwrap_or_else(|| panic!("no decision form on {url}: {html}"));
                    let request_id = attribute_after(&html, "name=\"request\"", "value")
                        .unwrap_or_else(|| panic!("no hidden request field on {url}: {html}"));
                    return ConsentPage {
                        action: url.join(&action).expect("a relative form action"),
                        url,
                        hops,
                        request_id,
                        html,
                    };
                }
                (status, _) => panic!("{url} answered {status}: {}", answer.body),
            }
        }
        panic!("too many redirects from {authorize_url}: {hops:?}");
    }

    /// Posts the page's form with `decision` (`approve` or `cancel`), as a browser would.
    pub async fn decide(&self, page: &ConsentPage, decision: &str) -> Answer {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("request", &page.request_id)
            .append_pair("decision", decision)
            .finish();
        let sent = self
            .http
            .post(page.action.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send();
        let response = tokio::time::timeout(PATIENCE, sent)
            .await
            .expect("the decision is answered in time")
            .expect("the decision is answered");
        Self::answer(response).await
    }

    /// Opens the page, takes `decision` and returns the `Location` of the `302` back to the app.
    pub async fn choose(&self, authorize_url: &str, decision: &str) -> String {
        let page = self.open(authorize_url).await;
        let answer = self.decide(&page, decision).await;
        assert_eq!(answer.status, 302, "decision {decision}: {answer:?}");
        answer.location.expect("a 302 carries a Location")
    }

    /// [`OAuthBrowser::choose`] with `approve`.
    pub async fn approve(&self, authorize_url: &str) -> String {
        self.choose(authorize_url, "approve").await
    }
}

/// Every state one flow reports through `subscribe()`, collected in the background.
pub struct FlowStates {
    task: JoinHandle<Vec<AuthorizationState>>,
}

impl FlowStates {
    /// Subscribes now (before `start()` to see `Created` first).
    pub fn attach(flow: &AuthorizationFlow) -> FlowStates {
        let mut stream = flow.subscribe();
        let task = tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Some(state) = stream.next().await {
                seen.push(state);
            }
            seen
        });
        FlowStates { task }
    }

    /// Waits for the stream to end (right after the terminal state) and returns every state.
    pub async fn finish(self) -> Vec<AuthorizationState> {
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("the state stream ends after the terminal state")
            .expect("the collector task")
    }
}

/// The state names, for readable comparisons.
pub fn state_names(states: &[AuthorizationState]) -> Vec<&'static str> {
    states.iter().map(AuthorizationState::name).collect()
}

/// The flow's result (panics if it does not finish within [`PATIENCE`]).
pub async fn finished(flow: &AuthorizationFlow) -> Result<TokenSet, Error> {
    match tokio::time::timeout(PATIENCE, flow.wait()).await {
        Ok(result) => result,
        Err(_) => panic!(
            "the flow did not finish within {PATIENCE:?} (state {})",
            flow.state().name()
        ),
    }
}

/// The `authorize_url` of a flow in `AwaitingUser` (panics in any other state).
pub fn authorize_url(flow: &AuthorizationFlow) -> String {
    match flow.state() {
        AuthorizationState::AwaitingUser { authorize_url } => authorize_url,
        other => panic!("the flow is not awaiting the user: {other:?}"),
    }
}

/// Connect-flow parameters for `redirect_uri` with a 60 s deadline (a safety net only).
pub fn connect_params(redirect_uri: &str) -> AuthorizationParams {
    let mut p = AuthorizationParams::new(redirect_uri);
    p.timeout = Duration::from_secs(60);
    p
}

/// The set-up of most connect scenarios: a connect flow on `client` to [`CONNECT_REDIRECT`],
/// started, and the user approving on the consent page. Returns the flow and the redirect with
/// the code, not yet handed to the flow (the test decides when, how and to which flow).
pub async fn approved_connect_flow(client: &Client) -> (AuthorizationFlow, String) {
    let flow = client
        .connect_flow(connect_params(CONNECT_REDIRECT), None, None)
        .expect("valid connect parameters");
    flow.start();
    let location = OAuthBrowser::new().approve(&authorize_url(&flow)).await;
    (flow, location)
}

/// Runs a whole connect flow on `client` (approving on the consent page) and returns the tokens
/// and the redirect that delivered the code.
pub async fn connect_tokens(client: &Client) -> (TokenSet, String) {
    let (flow, location) = approved_connect_flow(client).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let tokens = finished(&flow).await.expect("the connect flow succeeds");
    (tokens, location)
}

/// `url` with the raw value of query parameter `name` replaced by `value` (inserted as is).
pub fn replace_query_value(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').expect("a URL with a query");
    let prefix = format!("{name}=");
    let mut found = false;
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            if pair.starts_with(&prefix) {
                found = true;
                format!("{prefix}{value}")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    assert!(found, "{name} is not in {url}");
    format!("{base}?{}", pairs.join("&"))
}

/// `url` without query parameter `name`.
pub fn remove_query_param(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').expect("a URL with a query");
    let prefix = format!("{name}=");
    let pairs: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.starts_with(&prefix))
        .collect();
    assert_ne!(pairs.len(), query.split('&').count(), "{name} not in {url}");
    format!("{base}?{}", pairs.join("&"))
}

/// The same value with its first character changed (same length, same base64url alphabet):
/// what a forger who almost knew it would send.
pub fn altered(value: &str) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

/// The payload of a JWT (its middle part, base64url-decoded), as JSON.
pub fn jwt_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64url_decode(payload);
    serde_json::from_slice(&bytes).expect("the JWT payload is JSON")
}

/// Decodes unpadded (or padded) base64url; panics on other characters (a test bug).
fn base64url_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c:?}"),
        }
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        acc = (acc << 6) | value(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Registers every secret of `tokens` (access, refresh and ID token) with `secrets`.
pub fn add_token_set(secrets: &mut Secrets, label: &str, tokens: &TokenSet) {
    secrets.add(
        &format!("{label} access token"),
        tokens.access_token.expose(),
    );
    if let Some(t) = &tokens.refresh_token {
        secrets.add(&format!("{label} refresh token"), t.expose());
    }
    if let Some(t) = &tokens.id_token {
        secrets.add(&format!("{label} ID token"), t.expose());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_tampering() {
        let url = "https://app.example.com/cb?code=a%2Bb&state=xyz&consentId=c";
        assert_eq!(
            replace_query_value(url, "state", "abc"),
            "https://app.example.com/cb?code=a%2Bb&state=abc&consentId=c"
        );
        assert_eq!(
            remove_query_param(url, "state"),
            "https://app.example.com/cb?code=a%2Bb&consentId=c"
        );
        assert_eq!(altered("Abc"), "Bbc");
        assert_eq!(altered("xbc"), "Abc");
    }

    #[test]
    fn decodes_jwt_payloads() {
        // {"sub":"u","n":1} in base64url without padding.
        let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1IiwibiI6MX0.sig";
        assert_eq!(jwt_claims(token), serde_json::json!({"sub": "u", "n": 1}));
    }

    #[test]
    fn reads_consent_pages() {
        let html = "<form method=\"post\" action=\"/v1/oauth/connect/decision\">\
                    <input type=\"hidden\" name=\"request\" value=\"r&amp;1\">\
                    <b id=\"client\">my-client</b><li data-scope=\"accounts\"></li>\
                    <li data-scope=\"offline_access\"></li>";
        let page = ConsentPage {
            url: Url::parse("http://127.0.0.1:1/v1/oauth/connect/consent").unwrap(),
            hops: vec![],
            action: Url::parse("http://127.0.0.1:1/v1/oauth/connect/decision").unwrap(),
            request_id: attribute_after(html, "name=\"request\"", "value").unwrap(),
            html: html.to_owned(),
        };
        assert_eq!(page.request_id, "r&1");
        assert_eq!(page.client().as_deref(), Some("my-client"));
        assert_eq!(page.scopes(), ["accounts", "offline_access"]);
    }
}
