//! Errors as Swift `Error`s and Kotlin exceptions, sorted by what the app should do next.
//!
//! The core's [`obauth::Error`] has many variants, several carrying types the FFI cannot carry
//! (`&'static str`, `Duration`). What an app needs first is its [`obauth::ErrorCategory`]: fix
//! the input, retry later, let the user act, sign in again, or give up. So the exported error
//! has one variant per category — `catch (e: ObAuthException.RetryLater)` in Kotlin, `catch
//! ObAuthError.retryLater` in Swift — and every variant carries a stable machine-readable `code`
//! (the core variant, e.g. `bad_client_credentials`, `cancelled_by_user`) and the core's
//! human-readable `detail` (never a secret: the core's messages carry provider error codes only).
//! The Kotlin and Swift layers add a `category` property that returns the [`ErrorCategory`].
//!
//! A host callback that throws (observer, log sink, later secure storage) comes back as
//! [`ObAuthError::Fatal`] with code `host_callback` (see [`From<uniffi::UnexpectedUniFFICallbackError>`]).

use obauth::Error;
pub use obauth::ErrorCategory;

/// What the host app should do about an error (the core's [`obauth::ErrorCategory`]).
#[uniffi::remote(Enum)]
pub enum ErrorCategory {
    /// An argument or configuration value is wrong; fix it. Nothing was sent.
    InvalidInput,
    /// A transient problem (network, provider 5xx, rate limit, time-out): try again later.
    RetryLater,
    /// The user stopped or failed the sign-in at the bank: offer to start again.
    UserAction,
    /// The grant is gone (expired or rejected code): run the sign-in again.
    Reauthenticate,
    /// Not recoverable by retrying: bad client credentials, protocol violation, forged state.
    Fatal,
}

/// An ObAuth failure. The variant is the [`ErrorCategory`]: what to do next.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum ObAuthError {
    /// An argument, configuration value or snapshot was refused before any request was sent.
    #[error("{detail}")]
    InvalidInput {
        /// The argument or configuration field at fault (e.g. `userHash`, `apiUrl`); empty for
        /// snapshot errors.
        field: String,
        /// Stable code: `invalid_input`, `invalid_snapshot`, `unsupported_snapshot_version`.
        code: String,
        /// Human-readable explanation.
        detail: String,
    },
    /// A transient failure (network, provider 5xx, rate limit, time-out): try again later.
    #[error("{detail}")]
    RetryLater {
        /// Stable code: `network`, `request_timeout`, `server_error`, `rate_limited`,
        /// `timed_out`, `storage` (the host's secure storage failed), `authorization_error`
        /// (`server_error` / `temporarily_unavailable` on a redirect).
        code: String,
        /// Human-readable explanation.
        detail: String,
        /// The provider's `Retry-After`, in milliseconds, when it sent one.
        retry_after_ms: Option<u64>,
    },
    /// The user cancelled or failed the sign-in at the bank, or the app cancelled it.
    #[error("{detail}")]
    UserAction {
        /// Stable code: `login_failed`, `cancelled_by_user`, `cancelled_by_app`.
        code: String,
        /// Human-readable explanation.
        detail: String,
    },
    /// The grant is gone (code expired or rejected): start the sign-in again.
    #[error("{detail}")]
    Reauthenticate {
        /// Stable code: `code_expired`, `code_rejected`, `invalid_grant`, `session_expired`.
        code: String,
        /// Human-readable explanation.
        detail: String,
    },
    /// Not recoverable by retrying: wrong client credentials, protocol violation, a host
    /// callback that threw.
    #[error("{detail}")]
    Fatal {
        /// Stable code: `bad_client_credentials`, `unexpected_status`, `malformed_response`,
        /// `session_not_found`, `not_applicable`, `invalid_redirect`, `state_mismatch`,
        /// `authorization_error`, `nonce_mismatch`, `host_callback` (a host callback threw
        /// something other than an `ObAuthError`), `internal`.
        code: String,
        /// Human-readable explanation.
        detail: String,
    },
}

impl ObAuthError {
    /// The category, i.e. the variant.
    pub fn category(&self) -> ErrorCategory {
        match self {
            ObAuthError::InvalidInput { .. } => ErrorCategory::InvalidInput,
            ObAuthError::RetryLater { .. } => ErrorCategory::RetryLater,
            ObAuthError::UserAction { .. } => ErrorCategory::UserAction,
            ObAuthError::Reauthenticate { .. } => ErrorCategory::Reauthenticate,
            ObAuthError::Fatal { .. } => ErrorCategory::Fatal,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &str {
        match self {
            ObAuthError::InvalidInput { code, .. }
            | ObAuthError::RetryLater { code, .. }
            | ObAuthError::UserAction { code, .. }
            | ObAuthError::Reauthenticate { code, .. }
            | ObAuthError::Fatal { code, .. } => code,
        }
    }

    /// An error of the bindings themselves (a panic caught at the boundary, a lost task).
    pub(crate) fn internal(detail: impl Into<String>) -> Self {
        ObAuthError::Fatal {
            code: "internal".into(),
            detail: detail.into(),
        }
    }
}

impl From<Error> for ObAuthError {
    fn from(error: Error) -> Self {
        ObAuthError::from(&error)
    }
}

impl From<&Error> for ObAuthError {
    fn from(error: &Error) -> Self {
        let code = error.code().to_owned();
        let detail = error.to_string();
        match error.category() {
            obauth::ErrorCategory::InvalidInput => ObAuthError::InvalidInput {
                field: match error {
                    Error::InvalidInput { field, .. } => (*field).to_owned(),
                    _ => String::new(),
                },
                code,
                detail,
            },
            obauth::ErrorCategory::RetryLater => ObAuthError::RetryLater {
                code,
                detail,
                retry_after_ms: match error {
                    Error::RateLimited {
                        retry_after: Some(after),
                        ..
                    } => Some(u64::try_from(after.as_millis()).unwrap_or(u64::MAX)),
                    _ => None,
                },
            },
            obauth::ErrorCategory::UserAction => ObAuthError::UserAction { code, detail },
            obauth::ErrorCategory::Reauthenticate => ObAuthError::Reauthenticate { code, detail },
            obauth::ErrorCategory::Fatal => ObAuthError::Fatal { code, detail },
        }
    }
}

/// A host callback threw something the bindings do not know (any exception / `Error` that is
/// not an `ObAuthError`): it becomes a typed, fatal `ObAuthError` instead of a crash.
///
/// The detail keeps only the first line of what the host reported (Kotlin sends the whole stack
/// trace), at most 200 characters.
impl From<uniffi::UnexpectedUniFFICallbackError> for ObAuthError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        let first_line: String = error
            .reason
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        ObAuthError::Fatal {
            code: "host_callback".into(),
            detail: format!("a host callback failed: {first_line}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use obauth::CancelOrigin;

    use super::*;

    #[test]
    fn the_variant_is_the_core_category() {
        let cases = [
            Error::BadClientCredentials,
            Error::CodeExpired,
            Error::Cancelled {
                by: CancelOrigin::Host,
            },
            Error::TimedOut(Duration::from_secs(1)),
            Error::NotApplicable,
        ];
        for core in cases {
            let ffi = ObAuthError::from(&core);
            assert_eq!(ffi.category(), core.category(), "{core:?}");
            assert_eq!(ffi.to_string(), core.to_string());
        }
    }

    #[test]
    fn fields_survive() {
        let core = Error::RateLimited {
            endpoint: "status",
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(
            ObAuthError::from(core),
            ObAuthError::RetryLater {
                code: "rate_limited".into(),
                detail: "rate limited by status".into(),
                retry_after_ms: Some(3000),
            }
        );
        let core = Error::Cancelled {
            by: CancelOrigin::User,
        };
        assert_eq!(ObAuthError::from(core).code(), "cancelled_by_user");
        let bad = ObAuthError::from(uniffi::UnexpectedUniFFICallbackError::new("boom"));
        assert_eq!(bad.category(), ErrorCategory::Fatal);
        assert_eq!(bad.code(), "host_callback");
    }
}
