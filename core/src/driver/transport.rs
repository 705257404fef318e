//! Sending [`HttpRequest`]s: the [`Transport`] every flow of a client shares, and the
//! [`HttpSender`] underneath it that moves the bytes.
//!
//! Why a sender trait: the default build sends with reqwest over rustls (feature `reqwest`, on by
//! default: the CLI, servers and the default mobile library). The platform-networking flavour of
//! the mobile library leaves reqwest, hyper, rustls and ring out and sends through the app's own
//! networking (URLSession, HttpURLConnection), installed with [`set_host_sender`], so the app's
//! networking policy applies and the library drops its TLS stack. Everything that is a decision
//! stays here, the same for every sender: plain http only to loopback hosts, the relay's app
//! token, the time-out (enforced here again), the body limit and the headers the flows may
//! read. A sender only moves bytes.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use crate::config::AppTokenSource;
use crate::error::Error;
use crate::http::{
    HttpRequest, HttpResponse, HttpResult, KEPT_HEADERS, TransportFailure, provider_error_code,
};
use crate::secret::Secret;
use crate::validate::is_loopback;

/// Largest response body accepted; provider answers are a few KiB.
pub const MAX_BODY: usize = 1 << 20;

/// The HTTP client every flow of a [`crate::Client`] shares (one connection pool).
///
/// It sends through the host's sender if one is installed ([`set_host_sender`]), otherwise
/// through reqwest (feature `reqwest`); without either, building it fails.
///
/// In relay mode ([`Transport::with_app_token`]) every request carries
/// `Authorization: Bearer <app token>`; a `401 InvalidAppToken` from the relay makes it ask the
/// provider once for a fresh token and send the request again (safe for every request: the
/// relay refused it before going upstream); a second refusal is
/// [`Error::AppTokenRejected`].
#[derive(Clone)]
pub struct Transport {
    sender: Arc<dyn HttpSender>,
    app_token: Option<AppTokenSource>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("relay", &self.app_token.is_some())
            .finish_non_exhaustive()
    }
}

/// What a sender's [`HttpSender::send`] returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = HttpResult> + Send + 'a>>;

/// Moves one request's bytes: reqwest in the default build, the app's networking in the
/// platform-networking flavour of the mobile library. The driver's transport has already refused
/// what must not be sent and, around the sender, enforces the time-out, the body limit
/// ([`MAX_BODY`]) and which response headers reach the flows; a sender must not follow
/// redirects, and returns error statuses (4xx/5xx) as responses, not failures.
pub trait HttpSender: Send + Sync {
    /// Sends `request` once.
    fn send(&self, request: HttpRequest) -> SendFuture<'_>;
}

static HOST_SENDER: RwLock<Option<Arc<dyn HttpSender>>> = RwLock::new(None);

/// Installs (`Some`) or removes (`None`) the process-wide sender of the host's networking: every
/// client built afterwards sends through it; clients already built keep theirs.
pub fn set_host_sender(sender: Option<Arc<dyn HttpSender>>) {
    *HOST_SENDER.write().unwrap_or_else(|e| e.into_inner()) = sender;
}

fn host_sender() -> Option<Arc<dyn HttpSender>> {
    HOST_SENDER
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

impl Transport {
    /// A transport over the host's sender if one is installed ([`set_host_sender`]), otherwise
    /// over reqwest ([`ReqwestSender`], feature `reqwest`). Without the feature and without a
    /// host sender it fails with [`Error::InvalidInput`] on `httpTransport`.
    pub fn new() -> Result<Self, Error> {
        Ok(Self::with_sender(match host_sender() {
            Some(sender) => sender,
            None => default_sender()?,
        }))
    }

    /// A transport over `sender`.
    pub fn with_sender(sender: Arc<dyn HttpSender>) -> Self {
        Transport {
            sender,
            app_token: None,
        }
    }

    /// Relay mode: every request carries the app token from `source`.
    pub fn with_app_token(mut self, source: AppTokenSource) -> Self {
        self.app_token = Some(source);
        self
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
        let (method, path, timeout) = (
            request.method,
            request.url.path().to_owned(),
            request.timeout,
        );
        let result = match tokio::time::timeout(timeout, self.sender.send(request)).await {
            Ok(result) => result.and_then(checked),
            Err(_) => Err(TransportFailure::Timeout),
        };
        log::debug!(
            "{method:?} {path} -> {} ({} ms)",
            match &result {
                Ok(r) => r.status.to_string(),
                Err(e) => format!("{e:?}"),
            },
            started.elapsed().as_millis()
        );
        result
    }
}

/// What every sender's response goes through: the body limit, and only the headers the flows
/// read ([`KEPT_HEADERS`], names in lower case).
fn checked(mut response: HttpResponse) -> HttpResult {
    if response.body.len() > MAX_BODY {
        return Err(TransportFailure::Network("response body too large".into()));
    }
    response.headers.retain_mut(|(name, _)| {
        name.make_ascii_lowercase();
        KEPT_HEADERS.contains(&name.as_str())
    });
    Ok(response)
}

#[cfg(not(feature = "reqwest"))]
fn default_sender() -> Result<Arc<dyn HttpSender>, Error> {
    Err(Error::invalid(
        "httpTransport",
        "this build sends HTTP through the app: install an HTTP transport (setHttpTransport) before building a client",
    ))
}

#[cfg(feature = "reqwest")]
fn default_sender() -> Result<Arc<dyn HttpSender>, Error> {
    Ok(Arc::new(ReqwestSender::new()?))
}

/// The default sender: reqwest over rustls (ring provider) verifying certificates against the
/// operating system's trust store, never following redirects (the WebView does that, not the
/// API client).
#[cfg(feature = "reqwest")]
pub struct ReqwestSender {
    client: reqwest::Client,
}

#[cfg(feature = "reqwest")]
impl ReqwestSender {
    /// The TLS configuration is built once per process (loading the trust store takes
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
        Ok(ReqwestSender { client })
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

    async fn exchange(&self, request: HttpRequest) -> HttpResult {
        let mut builder = match request.method {
            crate::http::Method::Get => self.client.get(request.url),
            crate::http::Method::Post => self.client.post(request.url),
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
        Self::read(builder.send().await).await
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

#[cfg(feature = "reqwest")]
impl HttpSender for ReqwestSender {
    fn send(&self, request: HttpRequest) -> SendFuture<'_> {
        Box::pin(self.exchange(request))
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
#[cfg(feature = "reqwest")]
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::http::{Method, RequestKind};

    /// A sender that counts its calls and answers with `answer` (never, if `None`).
    struct Canned {
        calls: AtomicUsize,
        answer: Option<HttpResponse>,
    }

    impl HttpSender for Canned {
        fn send(&self, _request: HttpRequest) -> SendFuture<'_> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let answer = self.answer.clone();
            Box::pin(async move {
                match answer {
                    Some(response) => Ok(response),
                    None => std::future::pending().await,
                }
            })
        }
    }

    fn transport(answer: Option<HttpResponse>) -> (Transport, Arc<Canned>) {
        let sender = Arc::new(Canned {
            calls: AtomicUsize::new(0),
            answer,
        });
        (Transport::with_sender(sender.clone()), sender)
    }

    fn request(url: &str) -> HttpRequest {
        HttpRequest {
            kind: RequestKind::Status,
            method: Method::Get,
            url: url.parse().unwrap(),
            headers: Vec::new(),
            body: None,
            timeout: Duration::from_secs(5),
        }
    }

    fn response(headers: &[(&str, &str)], body: Vec<u8>) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body,
        }
    }

    #[tokio::test]
    async fn plain_http_to_a_remote_host_never_reaches_the_sender() {
        let (transport, sender) = transport(Some(response(&[], Vec::new())));
        let result = transport.execute(request("http://api.example.com/x")).await;
        assert!(
            matches!(result, Err(TransportFailure::Refused(_))),
            "{result:?}"
        );
        assert_eq!(sender.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_body_over_the_limit_from_any_sender_is_a_failure() {
        let (transport, _) = transport(Some(response(&[], vec![b'x'; MAX_BODY + 1])));
        let result = transport
            .execute(request("https://api.example.com/x"))
            .await;
        assert_eq!(
            result.unwrap_err(),
            TransportFailure::Network("response body too large".into())
        );
    }

    #[tokio::test]
    async fn only_the_headers_the_flows_read_reach_them_in_lower_case() {
        let headers = [
            ("Retry-After", "3"),
            ("Set-Cookie", "session=secret"),
            ("content-type", "application/json"),
        ];
        let (transport, _) = transport(Some(response(&headers, b"{}".to_vec())));
        let response = transport
            .execute(request("https://api.example.com/x"))
            .await
            .unwrap();
        assert_eq!(
            response.headers,
            vec![
                ("retry-after".to_string(), "3".to_string()),
                ("content-type".to_string(), "application/json".to_string()),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_sender_that_never_answers_times_out() {
        let (transport, sender) = transport(None);
        let result = transport
            .execute(request("https://api.example.com/x"))
            .await;
        assert_eq!(result.unwrap_err(), TransportFailure::Timeout);
        assert_eq!(sender.calls.load(Ordering::SeqCst), 1);
    }
}
