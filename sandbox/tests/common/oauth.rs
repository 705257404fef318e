//! Helpers for the OAuth tests: the Aiia connect flow, form token requests, PKCE values and JWT
//! payloads. Every request goes over real HTTP with a client that does not follow redirects.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Harness, encode_form_value, parse, percent_decode, raw_query_value};

/// A redirect URI registered (exactly) for the confidential client by default.
pub const AIIA_REDIRECT: &str = "https://app.example.com/aiia/callback";
/// A redirect URI registered for the public client by default.
pub const OIDC_REDIRECT: &str = "https://app.example.com/oidc/callback";
/// A valid PKCE verifier (RFC 7636 appendix B) and its S256 challenge.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A plain response: status, `Location`, body text and `Content-Type`.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub content_type: String,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub async fn of(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let location = headers
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let content_type = headers
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Answer {
            status,
            location,
            content_type,
            body: resp.text().await.unwrap(),
            headers,
        }
    }

    pub fn json(&self) -> Value {
        parse(&self.body)
    }

    pub fn location(&self) -> &str {
        self.location
            .as_deref()
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.body))
    }
}

/// Builds `a=1&b=2` with browser-style encoding of every value.
pub fn query_string(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_form_value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The strictly percent-decoded value of `name` in `url`'s query.
pub fn query_value(url: &str, name: &str) -> Option<String> {
    raw_query_value(url, name).map(|v| percent_decode(&v))
}

/// The names of the query parameters of `url`, in order.
pub fn query_names(url: &str) -> Vec<String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split('=').next().unwrap().to_owned())
        .collect()
}

/// The hidden `request` field of a consent page.
pub fn request_id_of(html: &str) -> String {
    let marker = "name=\"request\" value=\"";
    let start = html.find(marker).expect("no request field") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// `Basic base64(id:secret)`.
pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// The JSON payload of a JWT.
pub fn jwt_payload(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWT: {token}");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

/// The JSON header of a JWT.
pub fn jwt_header(token: &str) -> Value {
    let first = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(first).unwrap()).unwrap()
}

/// HMAC-SHA-256, to check HS256 signatures against the published JWK.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new()
        .chain_update(k.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(k.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

/// The S256 challenge of a verifier.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Harness {
    /// `GET path` with a raw query.
    pub async fn get(&self, path_and_query: &str) -> Answer {
        Answer::of(
            self.http
                .get(self.url(path_and_query))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `GET /v1/oauth/connect?...`.
    pub async fn connect(&self, params: &[(&str, &str)]) -> Answer {
        self.get(&format!("/v1/oauth/connect?{}", query_string(params)))
            .await
    }

    /// The standard connect parameters for `redirect_uri` and `state`.
    pub fn connect_params<'a>(
        &'a self,
        redirect: &'a str,
        state: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        vec![
            ("client_id", self.sandbox.client_id()),
            ("redirect_uri", redirect),
            ("scope", "accounts offline_access"),
            ("response_type", "code"),
            ("state", state),
        ]
    }

    /// Posts a consent page's form (`decision` = approve | cancel) to `action`.
    pub async fn consent_decision(&self, action: &str, request_id: &str, decision: &str) -> Answer {
        let resp = self
            .http
            .post(self.url(action))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(query_string(&[
                ("request", request_id),
                ("decision", decision),
            ]))
            .send()
            .await
            .unwrap();
        Answer::of(resp).await
    }

    /// Runs the connect flow through the consent page; returns the final redirect `Location`.
    pub async fn connect_and_decide(&self, redirect: &str, state: &str, decision: &str) -> String {
        let start = self.connect(&self.connect_params(redirect, state)).await;
        assert_eq!(start.status, 302, "{}", start.body);
        let page = Answer::of(self.http.get(start.location()).send().await.unwrap()).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let id = request_id_of(&page.body);
        let done = self
            .consent_decision("/v1/oauth/connect/decision", &id, decision)
            .await;
        assert_eq!(done.status, 302, "{}", done.body);
        done.location().to_owned()
    }

    /// Runs the connect flow to approval; returns the decoded `(code, consentId)`.
    pub async fn connect_code(&self, redirect: &str) -> (String, String) {
        let location = self.connect_and_decide(redirect, "st", "approve").await;
        (
            query_value(&location, "code").unwrap(),
            query_value(&location, "consentId").unwrap(),
        )
    }

    /// `POST /v1/oauth/token` with a JSON body and optional `Authorization` header value.
    pub async fn aiia_token(&self, authorization: Option<&str>, body: &Value) -> Answer {
        let mut req = self
            .http
            .post(self.url("/v1/oauth/token"))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(a) = authorization {
            req = req.header(AUTHORIZATION, a);
        }
        Answer::of(req.send().await.unwrap()).await
    }

    /// The correct Basic header for the confidential client.
    pub fn client_basic(&self) -> String {
        basic(self.sandbox.client_id(), self.sandbox.client_secret())
    }

    /// Exchanges an Aiia code with correct credentials.
    pub async fn aiia_exchange(&self, code: &str, redirect: &str) -> Answer {
        let body = serde_json::json!({
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
        });
        self.aiia_token(Some(&self.client_basic()), &body).await
    }

    /// `POST path` with a form body and optional `Authorization` header value.
    pub async fn form_token(
        &self,
        path: &str,
        authorization: Option<&str>,
        form: &[(&str, &str)],
    ) -> Answer {
        let mut req = self
            .http
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(query_string(form));
        if let Some(a) = authorization {
            req = req.header(AUTHORIZATION, a);
        }
        Answer::of(req.send().await.unwrap()).await
    }

    /// The standard PKCE authorize parameters (with `prompt=consent`, which OIDC Core §11 requires
    /// for the `offline_access` they ask for).
    pub fn authorize_params<'a>(
        &'a self,
        state: &'a str,
        nonce: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        vec![
            ("response_type", "code"),
            ("client_id", self.sandbox.public_client_id()),
            ("redirect_uri", OIDC_REDIRECT),
            ("scope", "openid profile offline_access"),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("prompt", "consent"),
        ]
    }

    /// `GET /oidc/authorize?...`.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> Answer {
        self.get(&format!("/oidc/authorize?{}", query_string(params)))
            .await
    }

    /// Authorize + approve on the page; returns the final redirect `Location`.
    pub async fn authorize_and_decide(&self, params: &[(&str, &str)], decision: &str) -> String {
        let page = self.authorize(params).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let id = request_id_of(&page.body);
        let done = self
            .consent_decision("/oidc/authorize/decision", &id, decision)
            .await;
        assert_eq!(done.status, 302, "{}", done.body);
        done.location().to_owned()
    }

    /// Exchanges a PKCE code at `/oidc/token` as the public client.
    pub async fn pkce_exchange(&self, code: &str, verifier: &str) -> Answer {
        self.form_token(
            "/oidc/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", OIDC_REDIRECT),
                ("client_id", self.sandbox.public_client_id()),
                ("code_verifier", verifier),
            ],
        )
        .await
    }
}
