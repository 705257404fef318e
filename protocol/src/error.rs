//! Errors sorted by what the host app should do next.
//!
//! An app cannot do much with "HTTP 400". It needs to know whether to fix its configuration,
//! show a retry button, ask the user to act, or start the sign-in again. Every [`Error`] maps to
//! one [`ErrorCategory`] that says exactly that, and the category survives the trip through the
//! Swift and Kotlin bindings. Messages never contain secrets: provider error text is reduced to
//! its short error code, transport errors are stripped of URLs.

use std::time::Duration;

/// What the host app should do about an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ErrorCategory {
    /// An argument or configuration value is wrong; fix it (the error names the field). Nothing
    /// was sent — except when the provider itself named the fields it refused
    /// ([`Error::ProviderInvalidInput`]).
    InvalidInput,
    /// A transient problem (network, provider 5xx, rate limit, time-out): try again later.
    RetryLater,
    /// The user stopped or failed the sign-in at the bank: offer to start again.
    UserAction,
    /// The grant is gone (expired or rejected code, `invalid_grant`): run the sign-in again.
    Reauthenticate,
    /// Not recoverable by retrying: bad client credentials, protocol violation, forged state.
    Fatal,
}

/// Everything that can go wrong in a flow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument failed validation before any request was sent.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The argument or configuration field at fault (e.g. `userHash`, `redirectUrl`).
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// The provider answered 401: the client id or secret is wrong.
    #[error(
        "unauthorized: the provider rejected the client credentials (check the client id and secret)"
    )]
    BadClientCredentials,
    /// Relay mode: the relay refused the app token (`401 InvalidAppToken`), and again after the
    /// app token provider was asked for a fresh one: the app's own sign-in is over; sign the
    /// user in to the app again.
    #[error("the relay rejected the app token, also after a refresh (sign in to the app again)")]
    AppTokenRejected,
    /// The request could not be completed on the network.
    #[error("network error calling {endpoint}: {detail}")]
    Network {
        /// Which provider endpoint.
        endpoint: &'static str,
        /// What failed (no URLs, no secrets).
        detail: String,
    },
    /// A single request took longer than its time-out.
    #[error("request to {endpoint} timed out")]
    RequestTimeout {
        /// Which provider endpoint.
        endpoint: &'static str,
    },
    /// The provider answered 5xx.
    #[error("provider error: HTTP {status} from {endpoint}")]
    ServerError {
        /// Which provider endpoint.
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
    },
    /// The provider answered 429.
    #[error("rate limited by {endpoint}")]
    RateLimited {
        /// Which provider endpoint.
        endpoint: &'static str,
        /// The provider's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// The provider answered with a status this flow does not expect.
    #[error("unexpected HTTP {status} from {endpoint}{}", provider_code(.code))]
    UnexpectedStatus {
        /// Which provider endpoint.
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
        /// The provider's short error code from the body, if any.
        code: Option<String>,
    },
    /// Relay mode: the relay (`obauth relay`) refused the flow's redirect URL, which is not on
    /// its allowlist (`400 {"error":"RedirectUrlNotAllowed"}`). A set-up error, the same for
    /// every user: allow the URL in the relay (`--allow-redirect`) or fix the app's redirect.
    /// Signing in again cannot help.
    #[error(
        "the relay refused the redirect URL at {endpoint} (RedirectUrlNotAllowed): allow it with the relay's --allow-redirect"
    )]
    RedirectUrlNotAllowed {
        /// Which endpoint the relay refused.
        endpoint: &'static str,
    },
    /// The provider refused the request's input and named the fields at fault (its
    /// `{"error", "details": {"validationErrors": {Field: […]}}}` body). Only the error code and
    /// the field names are kept (sanitized, at most eight): the provider's messages are free
    /// text built from what was sent.
    #[error("the provider refused the input of {endpoint} (HTTP {status}: {code}; fields: {})", fields.join(", "))]
    ProviderInvalidInput {
        /// Which provider endpoint.
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
        /// The provider's error code (e.g. `InvalidInput`).
        code: String,
        /// The fields the provider named (e.g. `LoginToken`).
        fields: Vec<String>,
    },
    /// An unattended login was refused: the login token is unknown, expired or replaced, or the
    /// bank does not support unattended logins. Run a supervised login.
    #[error("the provider refused the login token{}; start a supervised login", provider_code(.code))]
    LoginTokenRejected {
        /// The provider's short error code (e.g. `LoginTokenExpired`), if any.
        code: Option<String>,
    },
    /// An Aiia Data connect flow came back to the app without a code: the user cancelled or the
    /// bank failed. The flow is over; offer to start it again.
    #[error("the connect flow ended without a code (cancelled or failed at the bank); start again")]
    StartAgain,
    /// The provider's answer could not be understood.
    #[error("malformed response from {endpoint}: {detail}")]
    MalformedResponse {
        /// Which provider endpoint.
        endpoint: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// The provider does not know the login session (expired or never created).
    #[error("the provider does not know this login session")]
    SessionNotFound,
    /// The sign-in failed at the bank.
    #[error("failed: the login failed at the bank{}", provider_code(.detail))]
    LoginFailed {
        /// The provider's description, if it gave one.
        detail: Option<String>,
    },
    /// The flow was cancelled, by the user at the bank or by the host app.
    #[error("cancelled by {by}")]
    Cancelled {
        /// Who cancelled.
        by: CancelOrigin,
    },
    /// The provider reports that this login needs no session (e.g. some payments): there is no
    /// token to get.
    #[error("not applicable: the provider reports that no session is needed")]
    NotApplicable,
    /// The overall deadline of the flow passed before it finished.
    #[error("timed out: the sign-in did not finish within {0:?}")]
    TimedOut(Duration),
    /// The authorization code expired before it could be exchanged.
    #[error("the authorization code expired before it could be exchanged")]
    CodeExpired,
    /// The provider refused the code (already used, expired or unknown).
    #[error("the provider rejected the authorization code (HTTP {status}{})", provider_code(.code))]
    CodeRejected {
        /// The HTTP status.
        status: u16,
        /// The provider's short error code, if any.
        code: Option<String>,
    },
    /// A redirect reached the app that does not belong to this flow's request, or is malformed.
    #[error("rejected redirect: {0}")]
    InvalidRedirect(String),
    /// A redirect's `state` is missing or differs from the one this flow sent: a forged or
    /// stale redirect. It is never exchanged.
    #[error(
        "rejected redirect: the state parameter is missing or does not match this flow (forged or stale redirect)"
    )]
    StateMismatch,
    /// The authorization server reported an error on the redirect (other than the user
    /// declining, which is [`Error::Cancelled`]).
    #[error("authorization failed: {code}{}", provider_code(.description))]
    AuthorizationError {
        /// The OAuth error code (`invalid_scope`, `server_error`, …).
        code: String,
        /// Its description, if given.
        description: Option<String>,
    },
    /// The ID token's `nonce` is missing or not the one this flow sent.
    #[error("the ID token's nonce does not match this flow")]
    NonceMismatch,
    /// The refresh token or grant is no longer valid (`invalid_grant`): sign in again.
    #[error("invalid_grant: the grant has expired or was revoked; sign in again")]
    InvalidGrant,
    /// The session access token expired and cannot be renewed without a new login.
    #[error("the session has expired; sign in again")]
    SessionExpired,
    /// A snapshot could not be read.
    #[error("invalid snapshot: {0}")]
    InvalidSnapshot(String),
    /// A snapshot was written by a newer (or unknown) version of ObAuth.
    #[error("unsupported snapshot version {found} (this version reads up to {supported})")]
    UnsupportedSnapshotVersion {
        /// The version in the snapshot.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The host's secure storage failed.
    #[error("secure storage failed: {0}")]
    Storage(String),
    /// The error a flow had ended with before it was saved and restored (its details live on
    /// only as text; the category is kept).
    #[error("{message}")]
    Restored {
        /// The original error's category.
        category: ErrorCategory,
        /// The original error's message.
        message: String,
    },
}

/// An error as a flow's state carries it: plain information, not the error itself — what to do
/// next, a stable code and the message. States are data a host renders (and the bindings hand
/// to Swift and Kotlin as they are), so they hold no Rust error type; the full [`Error`] is what
/// a flow's result and the API's calls return.
///
/// Equality compares the error (category, code, message, `Retry-After`), not which flow
/// reported it: the same failure of two flows is the same error.
#[derive(Clone, Debug, Eq)]
pub struct ErrorInfo {
    /// What the host should do next ([`Error::category`]).
    pub category: ErrorCategory,
    /// The stable machine-readable code ([`Error::code`]), e.g. `code_expired`.
    pub code: String,
    /// The human-readable message (never a secret).
    pub message: String,
    /// The provider's `Retry-After`, when a rate limit ended the flow.
    pub retry_after: Option<Duration>,
    /// The correlation id of the flow that failed (sent as `X-Correlation-Id` on each of its
    /// requests), for a support ticket to quote; `None` for an error that belongs to no flow.
    /// Not a secret ([`crate::correlation`]).
    pub correlation_id: Option<String>,
}

/// Two records are the same error when category, code, message and `retry_after` agree; the
/// correlation id says which flow failed, not what failed, so it is left out.
impl PartialEq for ErrorInfo {
    fn eq(&self, other: &Self) -> bool {
        (self.category, &self.code, &self.message, self.retry_after)
            == (
                other.category,
                &other.code,
                &other.message,
                other.retry_after,
            )
    }
}

impl ErrorInfo {
    /// This error as the flow with correlation id `id` reports it.
    pub fn with_correlation_id(mut self, id: Option<&crate::correlation::CorrelationId>) -> Self {
        self.correlation_id = id.map(|id| id.as_str().to_owned());
        self
    }
}

impl From<&Error> for ErrorInfo {
    fn from(error: &Error) -> Self {
        ErrorInfo {
            category: error.category(),
            code: error.code().to_owned(),
            message: error.to_string(),
            retry_after: match error {
                Error::RateLimited { retry_after, .. } => *retry_after,
                _ => None,
            },
            correlation_id: None,
        }
    }
}

impl From<Error> for ErrorInfo {
    fn from(error: Error) -> Self {
        ErrorInfo::from(&error)
    }
}

impl std::fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Who cancelled a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum CancelOrigin {
    /// The user cancelled on the bank's pages.
    User,
    /// The host app called `cancel`.
    Host,
}

impl std::fmt::Display for CancelOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CancelOrigin::User => "the user",
            CancelOrigin::Host => "the app",
        })
    }
}

fn provider_code(code: &Option<String>) -> String {
    code.as_deref()
        .map(|c| format!(": {c}"))
        .unwrap_or_default()
}

impl Error {
    /// What the host should do next.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Error::InvalidInput { .. }
            | Error::ProviderInvalidInput { .. }
            | Error::InvalidSnapshot(_)
            | Error::UnsupportedSnapshotVersion { .. } => ErrorCategory::InvalidInput,
            Error::AuthorizationError { code, .. }
                if code == "temporarily_unavailable" || code == "server_error" =>
            {
                ErrorCategory::RetryLater
            }
            Error::Storage(_) => ErrorCategory::RetryLater,
            Error::Restored { category, .. } => *category,
            Error::Network { .. }
            | Error::RequestTimeout { .. }
            | Error::ServerError { .. }
            | Error::RateLimited { .. }
            | Error::TimedOut(_) => ErrorCategory::RetryLater,
            Error::LoginFailed { .. } | Error::Cancelled { .. } | Error::StartAgain => {
                ErrorCategory::UserAction
            }
            Error::CodeExpired
            | Error::CodeRejected { .. }
            | Error::InvalidGrant
            | Error::SessionExpired
            | Error::LoginTokenRejected { .. }
            | Error::AppTokenRejected => ErrorCategory::Reauthenticate,
            Error::BadClientCredentials
            | Error::UnexpectedStatus { .. }
            | Error::RedirectUrlNotAllowed { .. }
            | Error::MalformedResponse { .. }
            | Error::SessionNotFound
            | Error::NotApplicable
            | Error::InvalidRedirect(_)
            | Error::StateMismatch
            | Error::AuthorizationError { .. }
            | Error::NonceMismatch => ErrorCategory::Fatal,
        }
    }

    /// A stable, machine-readable code for the error: its variant in snake case
    /// (`bad_client_credentials`, `state_mismatch`, `cancelled_by_user`, …). Hosts may switch on
    /// it; it survives the Swift and Kotlin bindings unchanged.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::BadClientCredentials => "bad_client_credentials",
            Error::AppTokenRejected => "app_token_rejected",
            Error::Network { .. } => "network",
            Error::RequestTimeout { .. } => "request_timeout",
            Error::ServerError { .. } => "server_error",
            Error::RateLimited { .. } => "rate_limited",
            Error::UnexpectedStatus { .. } => "unexpected_status",
            Error::RedirectUrlNotAllowed { .. } => "redirect_url_not_allowed",
            Error::ProviderInvalidInput { .. } => "provider_invalid_input",
            Error::LoginTokenRejected { .. } => "login_token_rejected",
            Error::StartAgain => "start_again",
            Error::MalformedResponse { .. } => "malformed_response",
            Error::SessionNotFound => "session_not_found",
            Error::LoginFailed { .. } => "login_failed",
            Error::Cancelled {
                by: CancelOrigin::User,
            } => "cancelled_by_user",
            Error::Cancelled {
                by: CancelOrigin::Host,
            } => "cancelled_by_app",
            Error::NotApplicable => "not_applicable",
            Error::TimedOut(_) => "timed_out",
            Error::CodeExpired => "code_expired",
            Error::CodeRejected { .. } => "code_rejected",
            Error::InvalidRedirect(_) => "invalid_redirect",
            Error::StateMismatch => "state_mismatch",
            Error::AuthorizationError { .. } => "authorization_error",
            Error::NonceMismatch => "nonce_mismatch",
            Error::InvalidGrant => "invalid_grant",
            Error::SessionExpired => "session_expired",
            Error::InvalidSnapshot(_) => "invalid_snapshot",
            Error::UnsupportedSnapshotVersion { .. } => "unsupported_snapshot_version",
            Error::Storage(_) => "storage",
            Error::Restored { .. } => "restored",
        }
    }

    /// Whether the same request may succeed if sent again later (network trouble, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Network { .. }
                | Error::RequestTimeout { .. }
                | Error::ServerError { .. }
                | Error::RateLimited { .. }
        )
    }

    /// Invalid input in `field` (named as the API names it, e.g. `redirectUrl`), with the reason.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}

/// An error as a flow snapshot keeps it: the live error while the process runs; after a
/// restore, its category and message as [`Error::Restored`]. Snapshots write it as
/// [`crate::snapshot::records::ErrorV1`].
#[derive(Clone, Debug)]
pub(crate) struct PersistedError {
    category: ErrorCategory,
    message: String,
    live: Option<Error>,
}

impl PersistedError {
    pub(crate) fn new(error: Error) -> Self {
        PersistedError {
            category: error.category(),
            message: error.to_string(),
            live: Some(error),
        }
    }

    /// An error read back from a snapshot: its category and message only.
    pub(crate) fn restored(category: ErrorCategory, message: String) -> Self {
        PersistedError {
            category,
            message,
            live: None,
        }
    }

    pub(crate) fn category(&self) -> ErrorCategory {
        self.category
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The error as the flow's state shows it.
    pub(crate) fn info(&self) -> ErrorInfo {
        ErrorInfo::from(self.error())
    }

    pub(crate) fn error(&self) -> Error {
        self.live.clone().unwrap_or_else(|| Error::Restored {
            category: self.category,
            message: self.message.clone(),
        })
    }
}

/// Short, printable provider error codes only: anything else could echo request data back.
pub(crate) fn sanitize_provider_code(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
        .take(64)
        .collect();
    let code = code.trim().to_owned();
    (!code.is_empty()).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories() {
        assert_eq!(Error::BadClientCredentials.category(), ErrorCategory::Fatal);
        assert_eq!(
            Error::invalid("userHash", "too short").category(),
            ErrorCategory::InvalidInput
        );
        assert_eq!(
            Error::Cancelled {
                by: CancelOrigin::User
            }
            .category(),
            ErrorCategory::UserAction
        );
        assert_eq!(Error::CodeExpired.category(), ErrorCategory::Reauthenticate);
        assert_eq!(
            Error::AppTokenRejected.category(),
            ErrorCategory::Reauthenticate
        );
        assert_eq!(Error::AppTokenRejected.code(), "app_token_rejected");
        assert!(
            Error::ServerError {
                endpoint: "status",
                status: 503
            }
            .is_transient()
        );
        assert!(!Error::BadClientCredentials.is_transient());
    }

    #[test]
    fn messages_say_what_happened() {
        assert!(
            Error::BadClientCredentials
                .to_string()
                .starts_with("unauthorized")
        );
        assert!(
            Error::invalid("userHash", "must be 8 to 64 characters")
                .to_string()
                .contains("userHash")
        );
        assert_eq!(
            Error::Cancelled {
                by: CancelOrigin::User
            }
            .to_string(),
            "cancelled by the user"
        );
    }

    /// A state's error is plain information: the category, the code and the message of the
    /// error, and a restored error stays what it was restored as.
    #[test]
    fn error_info_is_what_the_error_says() {
        let info = ErrorInfo::from(Error::CodeExpired);
        assert_eq!(info.category, ErrorCategory::Reauthenticate);
        assert_eq!(info.code, "code_expired");
        assert_eq!(info.to_string(), Error::CodeExpired.to_string());
        assert_eq!(info.retry_after, None);
        let restored = PersistedError::restored(ErrorCategory::Fatal, "boom".into()).info();
        assert_eq!(
            (restored.category, restored.code.as_str()),
            (ErrorCategory::Fatal, "restored")
        );
        assert_eq!(restored.message, "boom");
    }

    #[test]
    fn provider_codes_are_sanitized() {
        assert_eq!(
            sanitize_provider_code("InvalidCode"),
            Some("InvalidCode".into())
        );
        assert_eq!(
            sanitize_provider_code("<script>x</script>"),
            Some("scriptxscript".into())
        );
        assert_eq!(sanitize_provider_code("\u{1}\u{2}"), None);
        assert_eq!(sanitize_provider_code(&"a".repeat(500)).unwrap().len(), 64);
    }
}
