//! Sending [`HttpRequest`]s with reqwest.

use std::sync::Arc;
use std::time::Instant;

use crate::config::AppTokenSource;
use crate::error::Error;
use crate::http::{
    HttpRequest, HttpResponse, HttpResult, KEPT_HEADERS, Method, TransportFailure,
    provider_error_code,
};
use crate::secret::Secret;
use crate::validate::is_loopback;

/// Largest response body accepted; provider answers are a few KiB.
const MAX_BODY: usize = 1 << 20;

/// The HTTP client every flow of a [`crate::Client`] shares (one connection pool).
///
/// In relay mode ([`Transport::with_app_token`]) every request carries
/// `Authorization: Bearer <app token>`; a `401 InvalidAppToken` from the relay makes it ask the
/// provider once for a fresh token and send the request again (safe for every request: the
/// relay refused it before going upstream); a second refusal is
/// [`Error::AppTokenRejected`].
#[derive(Clone, Debug)]
pub struct Transport {
    client: reqwest::Client,
    app_token: Option<AppTokenSource>,
}

impl Transport {
    /// A client with rustls (ring provider) verifying certificates against the operating
    /// system's trust store, that never follows redirects (the WebView does that, not the API
    /// client). The TLS configuration is built once per process (loading the trust store takes
    /// milliseconds); the HTTP client is per [`crate::Client`], because a connection pool must
    /// not outlive the tokio runtime it was created on.
    pub fn new() -> Result<Self, Error> {
        static TLS: std::sync::OnceLock<Result<rustls::ClientConfig, Error>> =
            std::sync::OnceLock::new();
        let tls = TLS.get_or_init(Self::tls_config).clone()?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("obauth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::invalid("tls", format!("cannot build the HTTP client: {e}")))?;
        Ok(Transport {
            client,
            app_token: None,
        })
    }

    /// Relay mode: every request carries the app token from `source`.
    pub fn with_app_token(mut self, source: AppTokenSource) -> Self {
        self.app_token = Some(source);
        self
    }

    fn tls_config() -> Result<rustls::ClientConfig, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).map_err(|e| {
            Error::invalid(
                "tls",
                format!("platform certificate verifier unavailable: {e}"),
            )
        })?;
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::invalid("tls", e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth())
    }

    /// Sends one request (in relay mode with the app token, and once more with a fresh one if
    /// the relay refused it). Never panics; every failure comes back as a [`TransportFailure`].
    pub async fn execute(&self, request: HttpRequest) -> HttpResult {
        let Some(source) = &self.app_token else {
            return self.send(request).await;
        };
        let first = self
            .send(with_bearer(&request, ask(source, false).await?))
            .await?;
        if !is_invalid_app_token(&first) {
            return Ok(first);
        }
        log::debug!("the relay refused the app token; asking the host for a fresh one");
        let second = self
            .send(with_bearer(&request, ask(source, true).await?))
            .await?;
        if is_invalid_app_token(&second) {
            log::warn!("the relay refused the fresh app token too");
            return Err(TransportFailure::AppToken(Error::AppTokenRejected));
        }
        Ok(second)
    }

    async fn send(&self, request: HttpRequest) -> HttpResult {
        if request.url.scheme() != "https" && !is_loopback(&request.url) {
            return Err(TransportFailure::Refused(
                "refusing plain http to a non-loopback host".into(),
            ));
        }
        let started = Instant::now();
        let mut builder = match request.method {
            Method::Get => self.client.get(request.url.clone()),
            Method::Post => self.client.post(request.url.clone()),
        }
        .timeout(request.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.expose());
        }
        if let Some((content_type, body)) = &request.body {
            builder = builder
                .header("content-type", *content_type)
                .body(body.expose().to_owned());
        }
        let result = Self::read(builder.send().await).await;
        log::debug!(
            "{:?} {} -> {} ({} ms)",
            request.method,
            request.url.path(),
            match &result {
                Ok(r) => r.status.to_string(),
                Err(e) => format!("{e:?}"),
            },
            started.elapsed().as_millis()
        );
        result
    }

    async fn read(sent: reqwest::Result<reqwest::Response>) -> HttpResult {
        let mut response = sent.map_err(failure)?;
        let status = response.status().as_u16();
        let headers = KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let value = response.headers().get(*name)?.to_str().ok()?;
                Some((name.to_string(), value.to_owned()))
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failure)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(TransportFailure::Network("response body too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// The host's app token, asked off the async workers (a host callback may block).
async fn ask(source: &AppTokenSource, force_refresh: bool) -> Result<Secret, TransportFailure> {
    let source = source.clone();
    match tokio::task::spawn_blocking(move || source.token(force_refresh)).await {
        Ok(result) => result.map_err(TransportFailure::AppToken),
        Err(_) => Err(TransportFailure::AppToken(Error::invalid(
            "appToken",
            "the app token provider panicked",
        ))),
    }
}

fn with_bearer(request: &HttpRequest, token: Secret) -> HttpRequest {
    let mut request = request.clone();
    request
        .headers
        .retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
    request.headers.push((
        "authorization",
        Secret::new(format!("Bearer {}", token.expose())),
    ));
    request
}

/// The relay's `401 {"error":"InvalidAppToken"}`.
fn is_invalid_app_token(response: &HttpResponse) -> bool {
    response.status == 401
        && provider_error_code(&response.body).as_deref() == Some("InvalidAppToken")
}

/// Describes a reqwest error without its URL, walking the source chain for the cause.
fn failure(error: reqwest::Error) -> TransportFailure {
    if error.is_timeout() {
        return TransportFailure::Timeout;
    }
    let error = error.without_url();
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    TransportFailure::Network(detail)
}
