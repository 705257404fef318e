//! HTTP as plain data, so that state machines can speak it without doing I/O.
//!
//! A flow describes the request it wants as an [`HttpRequest`]; the driver sends it and hands
//! back an [`HttpResponse`] or a [`TransportFailure`]. Parsing and classifying the answer
//! ([`classify`]) is pure code inside the core, unit-testable without a socket. Secrets inside
//! headers and bodies stay wrapped in [`Secret`] until the driver writes them to the wire.

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::error::{Error, sanitize_provider_code};
use crate::secret::Secret;
use crate::timestamp::Timestamp;

/// Which request of a flow this is. A flow has at most one request of each kind in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RequestKind {
    /// Start a supervised login session.
    Initialize,
    /// Long-poll the supervised login status.
    Status,
    /// Exchange an authorization code for tokens.
    Exchange,
    /// Refresh a token with a refresh token.
    Refresh,
    /// Request a token with the client-credentials grant.
    ClientCredentials,
    /// Revoke a token (RFC 7009).
    Revocation,
    /// Fetch an OpenID Connect discovery document.
    Discovery,
    /// An authenticated call to the provider's session API made on the host's behalf.
    Api,
    /// An unattended login with a stored login token.
    Unattended,
}

impl RequestKind {
    /// The provider endpoint name used in errors and logs.
    pub fn endpoint(self) -> &'static str {
        match self {
            RequestKind::Initialize => "initialize",
            RequestKind::Status => "status",
            RequestKind::Exchange => "token exchange",
            RequestKind::Refresh => "token refresh",
            RequestKind::ClientCredentials => "client credentials",
            RequestKind::Revocation => "token revocation",
            RequestKind::Discovery => "discovery",
            RequestKind::Api => "session API",
            RequestKind::Unattended => "unattended login",
        }
    }
}

/// HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
}

/// A request a flow wants sent.
#[derive(Clone)]
pub struct HttpRequest {
    /// What the request is for.
    pub kind: RequestKind,
    /// Method.
    pub method: Method,
    /// Absolute URL (never carries secrets).
    pub url: Url,
    /// Headers; values are secrets because some are (client secret, Basic credentials).
    pub headers: Vec<(&'static str, Secret)>,
    /// Body and its content type.
    pub body: Option<(&'static str, Secret)>,
    /// Time-out for the whole exchange.
    pub timeout: Duration,
}

impl HttpRequest {
    /// Sets `X-Correlation-Id` (replacing one already set): the id is not a secret, but headers
    /// are carried as [`Secret`]s.
    pub fn set_correlation_id(&mut self, id: &crate::correlation::CorrelationId) {
        self.headers
            .retain(|(name, _)| *name != crate::correlation::HEADER);
        self.headers
            .push((crate::correlation::HEADER, Secret::new(id.as_str())));
    }

    /// The `X-Correlation-Id` this request carries, if any.
    pub fn correlation_id(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(name, _)| *name == crate::correlation::HEADER)
            .map(|(_, value)| value.expose())
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("kind", &self.kind)
            .field("method", &self.method)
            .field("url", &crate::redact::url_for_log(self.url.as_str()))
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            )
            .field("body", &self.body.as_ref().map(|(ct, _)| *ct))
            .finish()
    }
}

/// A response as the flow sees it.
#[derive(Clone)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header names (lower case) and values; only the ones the flows read are kept.
    pub headers: Vec<(String, String)>,
    /// The body; may contain tokens.
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Headers the driver copies into [`HttpResponse::headers`].
pub const KEPT_HEADERS: [&str; 3] = ["retry-after", "x-access-token-expires", "content-type"];

impl HttpResponse {
    /// A header value by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A request that produced no HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportFailure {
    /// Connecting, TLS, or the connection broke before a full response arrived.
    Network(String),
    /// The request's time-out elapsed.
    Timeout,
    /// The driver refused the request (e.g. plain HTTP to a non-loopback host).
    Refused(String),
    /// Relay mode: no usable app token — the provider failed (its error), or the relay rejected
    /// the token twice ([`Error::AppTokenRejected`]). Nothing reached the provider.
    AppToken(Error),
}

/// What a flow gets back for a request.
pub type HttpResult = Result<HttpResponse, TransportFailure>;

/// A failed request, with what the flow needs to decide on a retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The error to report if the flow gives up.
    pub error: Error,
    /// The provider's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
}

impl Failure {
    /// Whether sending the same request again may succeed.
    pub fn is_transient(&self) -> bool {
        self.error.is_transient()
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            retry_after: None,
        }
    }
}

/// Sorts a result into "a 2xx response to parse" or a [`Failure`]: transport problems, 5xx and
/// 429 are transient; 401 means bad client credentials; other statuses are definitive.
pub fn classify(
    kind: RequestKind,
    result: HttpResult,
    now: Timestamp,
) -> Result<HttpResponse, Failure> {
    let endpoint = kind.endpoint();
    let response = match result {
        Ok(r) => r,
        Err(TransportFailure::Timeout) => return Err(Error::RequestTimeout { endpoint }.into()),
        Err(TransportFailure::Network(detail)) => {
            return Err(Error::Network { endpoint, detail }.into());
        }
        Err(TransportFailure::Refused(reason)) => {
            return Err(Error::invalid("apiUrl", reason).into());
        }
        Err(TransportFailure::AppToken(error)) => return Err(error.into()),
    };
    let retry_after = response
        .header("retry-after")
        .and_then(|v| Timestamp::parse_retry_after(v, now));
    match response.status {
        200..=299 => Ok(response),
        401 => Err(Error::BadClientCredentials.into()),
        429 => Err(Failure {
            error: Error::RateLimited {
                endpoint,
                retry_after,
            },
            retry_after,
        }),
        status @ 500..=599 => Err(Failure {
            error: Error::ServerError { endpoint, status },
            retry_after,
        }),
        status => Err(provider_error(endpoint, status, &response.body).into()),
    }
}

/// The most field names kept from one provider error body.
const MAX_FIELDS: usize = 8;

/// The relay's (`obauth relay`) code for a redirect that is not on its allowlist, answered with
/// 400 on every call that carries the flow's redirect.
pub(crate) const RELAY_REDIRECT_NOT_ALLOWED: &str = "RedirectUrlNotAllowed";

/// Reads a provider's 4xx error body. The provider's shape is
/// `{"error":"InvalidInput","details":{"reason":"…","validationErrors":{"Field":["…"]}}}`:
/// with field names it is [`Error::ProviderInvalidInput`] (the code and the fields, sanitized,
/// at most eight), otherwise [`Error::UnexpectedStatus`] with the code — except the relay's
/// `400 RedirectUrlNotAllowed`, [`Error::RedirectUrlNotAllowed`]. The `reason` and the messages
/// are free text written from what was sent, so they are never kept.
pub fn provider_error(endpoint: &'static str, status: u16, body: &[u8]) -> Error {
    // Read once; the code and the fields both come from it.
    let value = serde_json::from_slice::<serde_json::Value>(body).ok();
    let code = value.as_ref().and_then(code_of);
    if status == 400 && code.as_deref() == Some(RELAY_REDIRECT_NOT_ALLOWED) {
        return Error::RedirectUrlNotAllowed { endpoint };
    }
    let fields = value
        .as_ref()
        .and_then(|value| {
            value
                .get("details")?
                .get("validationErrors")?
                .as_object()
                .map(|errors| {
                    // Borrowed and sorted unstably: equal names are interchangeable, and the
                    // `&str` sort is the one the ID token checks use (no second sort compiled).
                    let mut fields: Vec<&str> = errors
                        .keys()
                        .map(String::as_str)
                        .filter(|name| is_field_name(name))
                        .collect();
                    fields.sort_unstable();
                    fields.dedup();
                    fields.truncate(MAX_FIELDS);
                    fields
                        .into_iter()
                        .map(str::to_owned)
                        .collect::<Vec<String>>()
                })
        })
        .unwrap_or_default();
    if fields.is_empty() {
        Error::UnexpectedStatus {
            endpoint,
            status,
            code,
        }
    } else {
        Error::ProviderInvalidInput {
            endpoint,
            status,
            code: code.unwrap_or_else(|| "InvalidInput".to_owned()),
            fields,
        }
    }
}

/// A field name as a provider reports it (`LoginToken`, `X-Correlation-Id`, `items[0].name`):
/// 64 characters at most of `[A-Za-z0-9_.\-\[\]$]`; anything else means it is not a name.
fn is_field_name(raw: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '$');
    !raw.is_empty() && raw.len() <= 64 && raw.chars().all(ok)
}

/// The `error` (or `errorType`/`code`) field of a JSON error body, sanitized.
pub fn provider_error_code(body: &[u8]) -> Option<String> {
    code_of(&serde_json::from_slice(body).ok()?)
}

/// The `error` (or `errorType`/`code`) field of a parsed JSON error body, sanitized.
fn code_of(value: &serde_json::Value) -> Option<String> {
    ["error", "errorType", "code"]
        .iter()
        .find_map(|k| value.get(k).and_then(|v| v.as_str()))
        .and_then(sanitize_provider_code)
}

/// Parses a 2xx JSON body into `T`, reporting a malformed body without echoing it.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    kind: RequestKind,
    response: &HttpResponse,
) -> Result<T, Error> {
    serde_json::from_slice(&response.body).map_err(|e| Error::MalformedResponse {
        endpoint: kind.endpoint(),
        detail: format!(
            "{} at line {} column {}",
            json_error_kind(&e),
            e.line(),
            e.column()
        ),
    })
}

fn json_error_kind(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Io => "I/O error",
        Category::Syntax => "invalid JSON",
        Category::Data => "unexpected JSON shape",
        Category::Eof => "truncated JSON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResult {
        Ok(HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        })
    }

    #[test]
    fn classifies_statuses() {
        let now = Timestamp::from_unix_millis(0);
        let k = RequestKind::Status;
        assert!(classify(k, resp(200, &[], "{}"), now).is_ok());
        assert_eq!(
            classify(k, resp(401, &[], r#"{"error":"Unauthorized"}"#), now)
                .unwrap_err()
                .error,
            Error::BadClientCredentials
        );
        let f = classify(k, resp(429, &[("retry-after", "3")], ""), now).unwrap_err();
        assert!(f.is_transient());
        assert_eq!(f.retry_after, Some(Duration::from_secs(3)));
        let f = classify(k, resp(503, &[], ""), now).unwrap_err();
        assert!(f.is_transient());
        let f = classify(k, resp(404, &[], r#"{"error":"NotFound"}"#), now).unwrap_err();
        assert!(!f.is_transient());
        assert_eq!(
            f.error,
            Error::UnexpectedStatus {
                endpoint: "status",
                status: 404,
                code: Some("NotFound".into())
            }
        );
        assert!(
            classify(k, Err(TransportFailure::Timeout), now)
                .unwrap_err()
                .is_transient()
        );
        assert!(
            classify(k, Err(TransportFailure::Network("reset".into())), now)
                .unwrap_err()
                .is_transient()
        );
        assert_eq!(
            classify(
                k,
                Err(TransportFailure::AppToken(Error::AppTokenRejected)),
                now
            )
            .unwrap_err()
            .error,
            Error::AppTokenRejected
        );
    }

    #[test]
    fn provider_error_bodies_keep_the_code_and_the_fields_only() {
        let now = Timestamp::from_unix_millis(0);
        let body = r#"{"error":"InvalidInput","details":{"reason":"LoginToken SECRET-VALUE is bad","validationErrors":{"LoginToken":["SECRET-VALUE is not valid"],"UserHash":["x"],"<script>":["y"]}}}"#;
        let e = classify(RequestKind::Unattended, resp(400, &[], body), now)
            .unwrap_err()
            .error;
        assert_eq!(
            e,
            Error::ProviderInvalidInput {
                endpoint: "unattended login",
                status: 400,
                code: "InvalidInput".into(),
                fields: vec!["LoginToken".into(), "UserHash".into()],
            }
        );
        let text = e.to_string();
        assert!(
            text.contains("LoginToken") && text.contains("InvalidInput"),
            "{text}"
        );
        assert!(
            !text.contains("SECRET") && !text.contains("script"),
            "{text}"
        );
        assert_eq!(e.category(), crate::error::ErrorCategory::InvalidInput);

        // Many fields: bounded.
        let many: serde_json::Map<String, serde_json::Value> = (0..50)
            .map(|i| (format!("F{i:02}"), serde_json::json!(["x"])))
            .collect();
        let body = serde_json::json!({"error": "InvalidInput",
            "details": {"validationErrors": many}})
        .to_string();
        match provider_error("x", 400, body.as_bytes()) {
            Error::ProviderInvalidInput { fields, .. } => assert_eq!(fields.len(), MAX_FIELDS),
            other => panic!("{other:?}"),
        }
        // Without field names: the code only.
        let body = r#"{"error":"LoginTokenExpired","details":{"reason":"expired at 12:00"}}"#;
        assert_eq!(
            provider_error("x", 400, body.as_bytes()),
            Error::UnexpectedStatus {
                endpoint: "x",
                status: 400,
                code: Some("LoginTokenExpired".into())
            }
        );
    }

    #[test]
    fn correlation_ids_are_set_once() {
        let mut req = HttpRequest {
            kind: RequestKind::Status,
            method: Method::Get,
            url: Url::parse("https://api.example.com/").unwrap(),
            headers: vec![("accept", Secret::new("application/json"))],
            body: None,
            timeout: Duration::from_secs(1),
        };
        let id = crate::correlation::CorrelationId::from_entropy(7);
        req.set_correlation_id(&id);
        req.set_correlation_id(&id);
        assert_eq!(req.headers.len(), 2);
        assert_eq!(req.correlation_id(), Some(id.as_str()));
    }

    #[test]
    fn malformed_json_does_not_echo_the_body() {
        let r = resp(200, &[], r#"{"accessToken": "SECRET-TOKEN"#).unwrap();
        let e = parse_json::<serde_json::Value>(RequestKind::Exchange, &r).unwrap_err();
        assert!(!e.to_string().contains("SECRET"), "{e}");
        assert!(matches!(e, Error::MalformedResponse { .. }));
    }

    #[test]
    fn debug_of_requests_hides_secrets() {
        let req = HttpRequest {
            kind: RequestKind::Exchange,
            method: Method::Post,
            url: Url::parse("https://api.example.com/v1/authentication/tokens").unwrap(),
            headers: vec![("x-client-secret", Secret::new("s3cr3t"))],
            body: Some(("application/json", Secret::new(r#"{"code":"abc"}"#))),
            timeout: Duration::from_secs(1),
        };
        let text = format!("{req:?}");
        assert!(!text.contains("s3cr3t") && !text.contains("abc"), "{text}");
    }
}
