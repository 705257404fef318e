//! The app's own networking as ObAuth's HTTP client: the host-implemented [`HttpTransport`]
//! (a UniFFI foreign trait), installed with [`set_http_transport`].
//!
//! Why: with a host transport the app's networking policy applies to ObAuth's requests
//! (proxies, certificate pinning, App Transport Security, MDM VPNs), and the
//! platform-networking flavour of the library (built without the `reqwest` feature) ships no HTTP
//! client and no TLS stack at all. The Kotlin (`HttpUrlConnectionTransport`) and Swift
//! (`URLSessionTransport`) layers implement it. Every decision stays in the core's transport
//! (`obauth::driver`): plain http only to loopback, the relay's app token, the time-out, the body
//! limit, the headers the flows read. The host only moves bytes.
//!
//! The call is completion-shaped rather than `async`: [`HttpTransport::send`] returns at once
//! and the host calls [`HttpCompletion::succeeded`] or [`HttpCompletion::failed`] when the
//! exchange ends, from any thread — the shape of `URLSession.dataTask` and of a Java executor,
//! run by the core (`obauth::host::transport`). This module translates the request and the
//! answer.

use std::sync::Arc;

use obauth::Secret;
use obauth::host::transport::{Completion, sender};
use obauth::http::{HttpRequest, HttpResponse, Method, TransportFailure};
use obauth::transport::set_host_sender;

/// One header. Values are `Secret`s (some are credentials: Basic client authentication, the
/// relay's app token), so printing a request never shows them.
#[derive(Clone, Debug, uniffi::Record)]
pub struct HttpHeader {
    /// Header name (lower case in requests; any case in responses).
    pub name: String,
    /// Header value.
    pub value: Secret,
}

/// A request for the host to send once, without following redirects.
#[derive(Clone, Debug, uniffi::Record)]
pub struct HttpTransportRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// Absolute `https` URL (plain `http` only to loopback hosts); never carries secrets.
    pub url: String,
    /// Request headers, `content-type` included when there is a body.
    pub headers: Vec<HttpHeader>,
    /// The body (UTF-8 text: a form or JSON); it may contain secrets.
    pub body: Option<Secret>,
    /// Time-out for the whole exchange, in milliseconds (the core enforces it too).
    pub timeout_ms: u64,
}

/// The host's answer: any status, error statuses included (they are answers, not failures).
#[derive(Clone, Debug, uniffi::Record)]
pub struct HttpTransportResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers (the core keeps only the few it reads).
    pub headers: Vec<HttpHeader>,
    /// The body; it may contain tokens.
    pub body: Vec<u8>,
}

/// Why a request produced no HTTP response.
#[derive(Clone, Debug, thiserror::Error, uniffi::Error)]
pub enum HttpTransportError {
    /// The time-out elapsed.
    #[error("the request timed out")]
    Timeout,
    /// Connecting, TLS, or the connection broke before a full response arrived. `detail` must
    /// not contain secrets (no request headers or bodies).
    #[error("network failure: {detail}")]
    Network {
        /// What failed.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HttpTransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HttpTransportError::Network {
            detail: format!("the host transport threw: {}", e.reason),
        }
    }
}

/// HTTP as the app does it, implemented by the host (see the module docs).
#[uniffi::export(foreign)]
pub trait HttpTransport: Send + Sync {
    /// Starts sending `request` and returns at once (it is called on ObAuth's I/O thread: do
    /// not block). Later, from any thread, call exactly one of `completion`'s methods; throw only
    /// if the request cannot be started at all.
    fn send(
        &self,
        request: HttpTransportRequest,
        completion: Arc<HttpCompletion>,
    ) -> Result<(), HttpTransportError>;
}

/// Where the host delivers the outcome of one [`HttpTransport::send`]. Only the first call
/// counts; dropping it without a call fails the request.
#[derive(uniffi::Object)]
pub struct HttpCompletion(Completion);

#[uniffi::export]
impl HttpCompletion {
    /// The exchange produced a response (any status).
    pub fn succeeded(&self, response: HttpTransportResponse) {
        self.0.complete(Ok(HttpResponse {
            status: response.status,
            headers: response
                .headers
                .into_iter()
                .map(|h| (h.name, h.value.expose().to_owned()))
                .collect(),
            body: response.body,
        }));
    }

    /// The exchange produced no response.
    pub fn failed(&self, error: HttpTransportError) {
        self.0.complete(Err(failure(error)));
    }
}

fn failure(error: HttpTransportError) -> TransportFailure {
    match error {
        HttpTransportError::Timeout => TransportFailure::Timeout,
        HttpTransportError::Network { detail } => TransportFailure::Network(detail),
    }
}

fn host_request(request: HttpRequest) -> HttpTransportRequest {
    let mut headers: Vec<HttpHeader> = request
        .headers
        .into_iter()
        .map(|(name, value)| HttpHeader {
            name: name.to_owned(),
            value,
        })
        .collect();
    let body = request.body.map(|(content_type, body)| {
        headers.push(HttpHeader {
            name: "content-type".to_owned(),
            value: Secret::new(content_type.to_owned()),
        });
        body
    });
    HttpTransportRequest {
        method: match request.method {
            Method::Get => "GET",
            Method::Post => "POST",
        }
        .to_owned(),
        url: request.url.into(),
        headers,
        body,
        timeout_ms: u64::try_from(request.timeout.as_millis()).unwrap_or(u64::MAX),
    }
}

/// Sends the HTTP requests of every client built afterwards through `transport` (clients
/// already built keep theirs). Required before the first client in the platform-networking
/// flavour; optional in the default one, where it replaces the built-in reqwest client.
#[uniffi::export]
pub fn set_http_transport(transport: Arc<dyn HttpTransport>) {
    set_host_sender(Some(sender(move |request, completion| {
        let completion = Arc::new(HttpCompletion(completion));
        transport
            .send(host_request(request), completion)
            .map_err(failure)
    })));
}

/// Back to the built-in HTTP client for clients built afterwards (in the platform-networking
/// flavour, building a client fails again until a transport is installed).
#[uniffi::export]
pub fn clear_http_transport() {
    set_host_sender(None);
}
