//! Shared helpers for the sandbox's HTTP tests: a started sandbox plus a plain reqwest client
//! that does not follow redirects (the tests inspect the `302` themselves).

#![allow(dead_code)]

pub mod oauth;

use obauth_sandbox::{Sandbox, SandboxConfig};
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::Value;

pub const REDIRECT: &str = "https://app.example/callback";

pub struct Harness {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
}

pub fn client() -> reqwest::Client {
    // In a workspace build reqwest is compiled with the core's `rustls-no-provider` feature, and
    // then a plain client needs a process-wide crypto provider even for http:// URLs.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

pub async fn start() -> Harness {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(config: SandboxConfig) -> Harness {
    let sandbox = Sandbox::start(config).await.unwrap();
    Harness {
        sandbox,
        http: client(),
    }
}

pub fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Percent-decodes a query value strictly (a `+` stays a `+`).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The raw (still encoded) value of `name` in the query of `url`.
pub fn raw_query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .map(str::to_owned)
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    /// A request with the partner headers set.
    pub fn authed(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("X-Client-Id", self.sandbox.client_id())
            .header("X-Client-Secret", self.sandbox.client_secret())
    }

    /// Calls the `/_sandbox` control API (no partner headers); returns status and parsed body.
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(body) = body {
            req = req.body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, parse(&resp.text().await.unwrap()))
    }

    /// POSTs JSON with partner headers; returns status and body text.
    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, String) {
        let resp = self
            .authed(reqwest::Method::POST, path)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }

    /// Initializes a session; returns `(sessionId, authUrl)`.
    pub async fn initialize(&self, user_hash: &str) -> (String, String) {
        self.initialize_to(user_hash, REDIRECT).await
    }

    pub async fn initialize_to(&self, user_hash: &str, redirect: &str) -> (String, String) {
        let (status, body) = self
            .post_json(
                "/v1/authentication/initialize",
                &serde_json::json!({ "userHash": user_hash, "redirectUrl": redirect }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let v = parse(&body);
        (
            v["sessionId"].as_str().unwrap().to_owned(),
            v["authUrl"].as_str().unwrap().to_owned(),
        )
    }

    /// Calls the status endpoint; returns status code and JSON body.
    pub async fn status(&self, session_id: &str, poll_timeout: Option<u64>) -> (u16, Value) {
        let mut path = format!("/v1/authentication/{session_id}/status");
        if let Some(t) = poll_timeout {
            path.push_str(&format!("?pollTimeout={t}"));
        }
        let resp = self
            .authed(reqwest::Method::GET, &path)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, parse(&resp.text().await.unwrap()))
    }

    /// The code of a `Succeeded` session, read from the status endpoint.
    pub async fn code_of(&self, session_id: &str) -> String {
        let (status, body) = self.status(session_id, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["state"], "Succeeded", "{body}");
        body["code"].as_str().unwrap().to_owned()
    }

    /// Exchanges a code; returns status and JSON body.
    pub async fn exchange(&self, code: &str) -> (u16, Value) {
        let (status, body) = self
            .post_json(
                "/v1/authentication/tokens",
                &serde_json::json!({ "code": code }),
            )
            .await;
        (status, parse(&body))
    }

    /// Posts a decision form for `start_token`; returns status, Location header and body.
    pub async fn decide(&self, start_token: &str, decision: &str) -> (u16, Option<String>, String) {
        let form = format!(
            "startToken={}&decision={decision}",
            encode_form_value(start_token)
        );
        let resp = self
            .http
            .post(self.url("/v1/authentication/start/decision"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        (status, location, resp.text().await.unwrap())
    }
}

/// The decoded `startToken` of an `authUrl`.
pub fn start_token_of(auth_url: &str) -> String {
    percent_decode(&raw_query_value(auth_url, "startToken").unwrap())
}

/// Encodes a form value the way a browser does (`+` as `%2B`, `/` as `%2F`, `=` as `%3D`).
pub fn encode_form_value(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
