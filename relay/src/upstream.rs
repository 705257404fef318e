//! The provider, as the relay calls it: partner headers (or Basic auth) added here and nowhere
//! else, bounded response bodies, timeouts, and the conversion of the provider's answer into the
//! relay's (passed through, except a `401`, which the device cannot fix).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use url::Url;

use obauth_protocol::correlation::CorrelationId;

use crate::config::{ConfigError, Limits, PartnerCredentials, config_error, is_secure_or_loopback};
use crate::respond::{self, ErrorCode};

/// The provider's optional request id header; it echoes it in the answer.
pub(crate) const CORRELATION_ID: &str = "x-correlation-id";

/// Response headers of the provider that reach the device (and [`CORRELATION_ID`]); everything
/// else is dropped.
const PASSED_HEADERS: &[HeaderName] = &[
    header::CONTENT_TYPE,
    header::RETRY_AFTER,
    header::CACHE_CONTROL,
];

tokio::task_local! {
    /// The device's (checked) `X-Correlation-Id` for the request being served: every provider
    /// call made while serving it carries the same id ([`Upstream::send`]).
    static REQUEST_CORRELATION_ID: Option<CorrelationId>;
}

/// Runs `fut` (a request's handling) with `id` as the correlation id of its provider calls.
pub(crate) async fn with_correlation_id<F: std::future::Future>(
    id: Option<CorrelationId>,
    fut: F,
) -> F::Output {
    REQUEST_CORRELATION_ID.scope(id, fut).await
}
const ACCESS_TOKEN_EXPIRES: &str = "x-access-token-expires";

/// How a request authenticates as the partner.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PartnerAuth {
    /// `X-Client-Id` / `X-Client-Secret` (Aiia Enterprise).
    Headers,
    /// `Authorization: Basic` (Aiia Data `/v1/oauth/token`).
    Basic,
}

/// A provider answer, read in full.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The body as a JSON object, if it is one.
    pub fn json_object(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match serde_json::from_slice(&self.body) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            _ => None,
        }
    }
}

/// Why no answer came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Connection refused/reset, DNS, TLS: `502 UpstreamUnavailable`.
    Unavailable,
    /// No answer in time: `504 UpstreamTimeout`.
    Timeout,
    /// The answer's body exceeded the bound: `502 UpstreamUnavailable`.
    TooLarge,
}

pub(crate) struct Upstream {
    base: String,
    http: reqwest::Client,
    client_id: HeaderValue,
    client_secret: HeaderValue,
    basic: HeaderValue,
    timeout: Duration,
    max_body: usize,
}

/// The HTTP client for the provider and the JWKS: rustls (ring) with the platform's trust
/// store, no redirects followed, no proxy from the environment.
pub(crate) fn http_client() -> Result<reqwest::Client, ConfigError> {
    static TLS: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    let tls = TLS
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
                .map_err(|e| format!("platform certificate verifier unavailable: {e}"))?;
            Ok(rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth())
        })
        .clone()
        .map_err(config_error)?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("obauth-relay/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| config_error(format!("cannot build the HTTP client: {e}")))
}

/// A short, secret-free description of a reqwest error (no URL: it could carry a session id).
pub(crate) fn describe(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "body error"
    } else {
        "transport error"
    }
}

impl Upstream {
    pub fn new(
        base: &Url,
        credentials: &PartnerCredentials,
        limits: &Limits,
        http: reqwest::Client,
    ) -> Result<Self, ConfigError> {
        if !is_secure_or_loopback(base) {
            return Err(config_error(
                "--upstream must be https (or http on a loopback address): the partner \
                 credentials travel on every request",
            ));
        }
        if base.query().is_some() || base.fragment().is_some() || !base.username().is_empty() {
            return Err(config_error(
                "--upstream must be a base URL without user info, query or fragment",
            ));
        }
        if credentials.client_id.is_empty() || credentials.client_secret.is_empty() {
            return Err(config_error("the partner client id and secret must be set"));
        }
        let secret = std::str::from_utf8(credentials.client_secret.expose())
            .map_err(|_| config_error("the partner client secret is not UTF-8"))?;
        let sensitive = |v: &str, what: &str| {
            HeaderValue::from_str(v)
                .map(|mut h| {
                    h.set_sensitive(true);
                    h
                })
                .map_err(|_| {
                    config_error(format!("the partner {what} is not a valid header value"))
                })
        };
        let basic = format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{secret}", credentials.client_id))
        );
        Ok(Upstream {
            base: base.as_str().trim_end_matches('/').to_owned(),
            http,
            client_id: sensitive(&credentials.client_id, "client id")?,
            client_secret: sensitive(secret, "client secret")?,
            basic: sensitive(&basic, "credentials")?,
            timeout: limits.upstream_timeout,
            max_body: limits.max_upstream_body_bytes,
        })
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        auth: PartnerAuth,
    ) -> Result<Answer, Failure> {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        self.send(req, auth, self.timeout).await
    }

    /// `GET /v1/authentication/{session_id}/status[?pollTimeout=N]`.
    pub async fn status(
        &self,
        session_id: &str,
        poll_timeout: Option<u64>,
    ) -> Result<Answer, Failure> {
        let mut url = format!(
            "{}/v1/authentication/{}/status",
            self.base,
            encode_segment(session_id)
        );
        if let Some(secs) = poll_timeout {
            url.push_str(&format!("?pollTimeout={secs}"));
        }
        let timeout = self.timeout + Duration::from_secs(poll_timeout.unwrap_or(0));
        self.send(self.http.get(url), PartnerAuth::Headers, timeout)
            .await
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        auth: PartnerAuth,
        timeout: Duration,
    ) -> Result<Answer, Failure> {
        let req = match auth {
            PartnerAuth::Headers => req
                .header("X-Client-Id", self.client_id.clone())
                .header("X-Client-Secret", self.client_secret.clone()),
            PartnerAuth::Basic => req.header(header::AUTHORIZATION, self.basic.clone()),
        };
        let req = match REQUEST_CORRELATION_ID
            .try_with(|id| id.clone())
            .ok()
            .flatten()
        {
            Some(id) => req.header(CORRELATION_ID, id.as_str()),
            None => req,
        };
        let read = async {
            let mut resp = req.send().await.map_err(|e| {
                log::warn!(target: "obauth_relay", "upstream request failed: {}", describe(&e));
                if e.is_timeout() {
                    Failure::Timeout
                } else {
                    Failure::Unavailable
                }
            })?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let mut body = Vec::new();
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        if body.len() + chunk.len() > self.max_body {
                            log::warn!(target: "obauth_relay", "upstream answer too large");
                            return Err(Failure::TooLarge);
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        log::warn!(target: "obauth_relay", "upstream body: {}", describe(&e));
                        return Err(if e.is_timeout() {
                            Failure::Timeout
                        } else {
                            Failure::Unavailable
                        });
                    }
                }
            }
            Ok(Answer {
                status,
                headers,
                body: Bytes::from(body),
            })
        };
        match tokio::time::timeout(timeout, read).await {
            Ok(result) => result,
            Err(_) => {
                log::warn!(target: "obauth_relay", "upstream request timed out");
                Err(Failure::Timeout)
            }
        }
    }
}

/// Percent-encodes a path segment (everything but unreserved characters).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The relay's answer for a provider answer to operation `op`: passed through unchanged
/// (status, body and a few headers), except the provider's `401`, which means the partner
/// credentials are wrong: `502 UpstreamUnauthorized` and an error log line.
pub(crate) fn pass_through(op: &str, result: Result<Answer, Failure>) -> Response {
    match result {
        Ok(answer) if answer.status == StatusCode::UNAUTHORIZED => {
            log::error!(
                target: "obauth_relay",
                "the provider refused the partner credentials (401) on {op}: check \
                 OBAUTH_CLIENT_ID and OBAUTH_CLIENT_SECRET"
            );
            respond::error(StatusCode::BAD_GATEWAY, ErrorCode::UpstreamUnauthorized)
        }
        Ok(answer) => {
            let mut response = Response::new(Body::from(answer.body));
            *response.status_mut() = answer.status;
            for name in PASSED_HEADERS {
                if let Some(v) = answer.headers.get(name) {
                    response.headers_mut().insert(name.clone(), v.clone());
                }
            }
            if let Some(v) = answer.headers.get(CORRELATION_ID) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(CORRELATION_ID), v.clone());
            }
            // Answers carry codes and tokens: never cached on the way, unless the provider
            // said otherwise.
            response
                .headers_mut()
                .entry(header::CACHE_CONTROL)
                .or_insert(HeaderValue::from_static("no-store"));
            if let Some(v) = answer.headers.get(ACCESS_TOKEN_EXPIRES) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(ACCESS_TOKEN_EXPIRES), v.clone());
            }
            response
        }
        Err(failure) => failure_response(failure),
    }
}

/// The relay's answer when the provider gave none.
fn failure_response(failure: Failure) -> Response {
    match failure {
        Failure::Timeout => respond::error(StatusCode::GATEWAY_TIMEOUT, ErrorCode::UpstreamTimeout),
        Failure::Unavailable | Failure::TooLarge => {
            respond::error(StatusCode::BAD_GATEWAY, ErrorCode::UpstreamUnavailable)
        }
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("abc-_.~09"), "abc-_.~09");
        assert_eq!(encode_segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
    }
}
