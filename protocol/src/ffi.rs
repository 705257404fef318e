//! How the protocol's types cross to Swift and Kotlin (feature `uniffi`).
//!
//! With the feature, this crate is a UniFFI component of its own (`obauth_protocol`): the types
//! an app sees derive UniFFI's traits where they are defined, behind
//! `#[cfg_attr(feature = "uniffi", derive(...))]` — [`LoginState`](crate::supervised::LoginState),
//! [`AuthorizationState`](crate::authorization::AuthorizationState),
//! [`CodeSource`](crate::supervised::CodeSource), [`CancelOrigin`](crate::error::CancelOrigin),
//! [`ErrorCategory`], [`TokenSet`](crate::oauth::TokenSet),
//! [`ClientAuth`](crate::oauth::ClientAuth) and
//! [`ProviderMetadata`](crate::oauth::discovery::ProviderMetadata) — so the FFI crate exports them
//! as they are instead of mirroring them. The root `uniffi.toml` puts their Kotlin in the package
//! `dev.obauth`; their Swift is compiled into the module `ObAuthFFI` with the FFI crate's.
//!
//! Four types cross in another shape, defined here:
//! - [`Secret`], as a custom type over a string that `uniffi.toml` maps to hand-written Kotlin
//!   and Swift types printing `[redacted]`: no generated `toString()` / `description` of a record
//!   can print a client secret or a token;
//! - [`Timestamp`], as a UniFFI timestamp (`java.time.Instant`, `Date`) at millisecond precision;
//! - [`ErrorInfo`], the plain error information a failed state carries, as an [`ObAuthError`]
//!   (Kotlin `ObAuthException`) whose variant is the category, with the stable code and the
//!   message (never a secret): the same type the exported functions throw, built from an
//!   [`Error`] by way of its `ErrorInfo`, so both shapes agree field for field;
//! - [`Error`] itself, where an outcome carries one (a redirect's
//!   [`RedirectOutcome`](crate::flow::RedirectOutcome), a revocation's), as that `ErrorInfo`:
//!   the FFI crate declares those outcomes as the core has them instead of mirroring them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, ErrorCategory, ErrorInfo};
use crate::secret::Secret;
use crate::timestamp::Timestamp;

uniffi::custom_type!(Secret, String, {
    lower: |secret| secret.expose().to_owned(),
    try_lift: |value| Ok(Secret::new(value)),
});

uniffi::custom_type!(Timestamp, SystemTime, {
    lower: |t| system_time(t),
    try_lift: |t| Ok(Timestamp::from_system_time(t)),
});

fn system_time(t: Timestamp) -> SystemTime {
    let ms = t.unix_millis();
    let offset = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        UNIX_EPOCH + offset
    } else {
        UNIX_EPOCH - offset
    }
}

uniffi::custom_type!(ErrorInfo, ObAuthError, {
    lower: |info| ObAuthError::from(info),
    // Only the host can hand one back (it never does today).
    try_lift: |error| Ok(ErrorInfo::from(error)),
});

type Info = ErrorInfo;
type Tag = crate::UniFfiTag;

// An `Error` inside an outcome the host receives (a redirect's, a revocation's) crosses as the
// `ErrorInfo` it reduces to: the same `ObAuthError`, and the same type to the host. Only the host
// can hand one back (it never does); it returns as `Error::Restored`.
unsafe impl<UT> uniffi::FfiConverter<UT> for Error {
    type FfiType = <Info as uniffi::Lower<Tag>>::FfiType;
    fn lower(error: Error) -> Self::FfiType {
        <Info as uniffi::Lower<Tag>>::lower(error.into())
    }
    fn try_lift(v: Self::FfiType) -> uniffi::Result<Error> {
        <Info as uniffi::Lift<Tag>>::try_lift(v).map(restored)
    }
    fn write(error: Error, buf: &mut Vec<u8>) {
        <Info as uniffi::Lower<Tag>>::write(error.into(), buf)
    }
    fn try_read(buf: &mut &[u8]) -> uniffi::Result<Error> {
        <Info as uniffi::Lift<Tag>>::try_read(buf).map(restored)
    }
    const TYPE_ID_META: uniffi::MetadataBuffer = <Info as uniffi::TypeId<Tag>>::TYPE_ID_META;
}
uniffi::derive_ffi_traits!(impl<UT> Lower<UT> for Error);
uniffi::derive_ffi_traits!(impl<UT> Lift<UT> for Error);
uniffi::derive_ffi_traits!(impl<UT> TypeId<UT> for Error);

fn restored(info: ErrorInfo) -> Error {
    Error::Restored {
        category: info.category,
        message: info.message,
    }
}

/// An ObAuth failure as Swift (`ObAuthError`) and Kotlin (`ObAuthException`) see it. The
/// variant is the [`ErrorCategory`]: what to do next. Every variant carries a stable
/// machine-readable `code` (the core variant, e.g. `bad_client_credentials`,
/// `cancelled_by_user`), the core's human-readable `detail` (never a secret) and, when a flow
/// failed, that flow's `correlation_id`. The Kotlin and Swift layers add `category` and
/// `correlationId` properties.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum ObAuthError {
    /// An argument, configuration value or snapshot was refused before any request was sent.
    #[error("{detail}")]
    InvalidInput {
        /// The argument or configuration field at fault (e.g. `userHash`, `apiUrl`); for
        /// `provider_invalid_input` the fields the provider named, comma-separated; empty for
        /// snapshot errors.
        field: String,
        /// Stable code: `invalid_input`, `provider_invalid_input` (the provider refused named
        /// fields), `invalid_snapshot`, `unsupported_snapshot_version`.
        code: String,
        /// Human-readable explanation.
        detail: String,
        /// The correlation id of the flow that failed, for a support ticket to quote; `null` /
        /// `nil` for an error that belongs to no flow (an argument, a host callback).
        correlation_id: Option<String>,
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
        /// The correlation id of the flow that failed, for a support ticket to quote; `null` /
        /// `nil` for an error that belongs to no flow (an argument, a host callback).
        correlation_id: Option<String>,
    },
    /// The user cancelled or failed the sign-in at the bank, or the app cancelled it.
    #[error("{detail}")]
    UserAction {
        /// Stable code: `login_failed`, `cancelled_by_user`, `cancelled_by_app`, `start_again`
        /// (a connect flow came back without a code: cancelled or failed at the bank).
        code: String,
        /// Human-readable explanation.
        detail: String,
        /// The correlation id of the flow that failed, for a support ticket to quote; `null` /
        /// `nil` for an error that belongs to no flow (an argument, a host callback).
        correlation_id: Option<String>,
    },
    /// The grant is gone (code expired or rejected): start the sign-in again.
    #[error("{detail}")]
    Reauthenticate {
        /// Stable code: `code_expired`, `code_rejected`, `invalid_grant`, `session_expired`,
        /// `app_token_rejected` (relay mode: the relay refused the app token, also a fresh one),
        /// `login_token_rejected` (an unattended login was refused: run a supervised login).
        code: String,
        /// Human-readable explanation.
        detail: String,
        /// The correlation id of the flow that failed, for a support ticket to quote; `null` /
        /// `nil` for an error that belongs to no flow (an argument, a host callback).
        correlation_id: Option<String>,
    },
    /// Not recoverable by retrying: wrong client credentials, protocol violation, a host
    /// callback that threw.
    #[error("{detail}")]
    Fatal {
        /// Stable code: `bad_client_credentials`, `unexpected_status`,
        /// `redirect_url_not_allowed` (relay mode: the relay's allowlist lacks the redirect),
        /// `malformed_response`, `session_not_found`, `not_applicable`, `invalid_redirect`, `state_mismatch`,
        /// `authorization_error`, `nonce_mismatch`, `host_callback` (a host callback threw
        /// something other than an `ObAuthError`), `internal`.
        code: String,
        /// Human-readable explanation.
        detail: String,
        /// The correlation id of the flow that failed, for a support ticket to quote; `null` /
        /// `nil` for an error that belongs to no flow (an argument, a host callback).
        correlation_id: Option<String>,
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

    /// The correlation id of the flow that failed, if the error belongs to one.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            ObAuthError::InvalidInput { correlation_id, .. }
            | ObAuthError::RetryLater { correlation_id, .. }
            | ObAuthError::UserAction { correlation_id, .. }
            | ObAuthError::Reauthenticate { correlation_id, .. }
            | ObAuthError::Fatal { correlation_id, .. } => correlation_id.as_deref(),
        }
    }

    /// This error as the flow with correlation id `id` reports it (the flows' `awaitTokens`).
    pub fn with_correlation_id(mut self, id: Option<String>) -> Self {
        match &mut self {
            ObAuthError::InvalidInput { correlation_id, .. }
            | ObAuthError::RetryLater { correlation_id, .. }
            | ObAuthError::UserAction { correlation_id, .. }
            | ObAuthError::Reauthenticate { correlation_id, .. }
            | ObAuthError::Fatal { correlation_id, .. } => *correlation_id = id,
        }
        self
    }

    /// A failure of the FFI layer itself (a panic caught at the boundary, a lost task):
    /// `Fatal`, code `internal`.
    pub fn internal(detail: impl Into<String>) -> Self {
        ObAuthError::Fatal {
            code: "internal".into(),
            detail: detail.into(),
            correlation_id: None,
        }
    }
}

impl ObAuthError {
    /// What a host's secure storage threw, as the core's error: `Error::Storage` (category
    /// `RetryLater`, code `storage`) with the text of an `ObAuthError` the host threw, or the
    /// `host_callback` detail of anything else.
    pub fn into_storage_error(self) -> Error {
        Error::Storage(match self {
            ObAuthError::Fatal { code, detail, .. } if code == "host_callback" => detail,
            other => other.to_string(),
        })
    }
}

impl ObAuthError {
    /// What a host's app token provider threw, as the core's error: `app_token_rejected` stays
    /// [`Error::AppTokenRejected`]; anything else keeps its category and message
    /// ([`Error::Restored`]).
    pub fn into_app_token_error(self) -> Error {
        if self.code() == "app_token_rejected" {
            return Error::AppTokenRejected;
        }
        Error::Restored {
            category: self.category(),
            message: self.to_string(),
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
        match (ObAuthError::from(ErrorInfo::from(error)), error) {
            (ObAuthError::InvalidInput { code, detail, .. }, Error::InvalidInput { field, .. }) => {
                ObAuthError::InvalidInput {
                    field: (*field).to_owned(),
                    code,
                    detail,
                    correlation_id: None,
                }
            }
            (
                ObAuthError::InvalidInput { code, detail, .. },
                Error::ProviderInvalidInput { fields, .. },
            ) => ObAuthError::InvalidInput {
                field: fields.join(","),
                code,
                detail,
                correlation_id: None,
            },
            (plain, _) => plain,
        }
    }
}

/// Plain error information as the host sees it: the category picks the variant; an
/// `InvalidInput` names no field (states never fail on an argument).
impl From<ErrorInfo> for ObAuthError {
    fn from(info: ErrorInfo) -> Self {
        let ErrorInfo {
            category,
            code,
            message: detail,
            retry_after,
            correlation_id,
        } = info;
        match category {
            ErrorCategory::InvalidInput => ObAuthError::InvalidInput {
                field: String::new(),
                code,
                detail,
                correlation_id,
            },
            ErrorCategory::RetryLater => ObAuthError::RetryLater {
                code,
                detail,
                retry_after_ms: retry_after
                    .map(|after| u64::try_from(after.as_millis()).unwrap_or(u64::MAX)),
                correlation_id,
            },
            ErrorCategory::UserAction => ObAuthError::UserAction {
                code,
                detail,
                correlation_id,
            },
            ErrorCategory::Reauthenticate => ObAuthError::Reauthenticate {
                code,
                detail,
                correlation_id,
            },
            ErrorCategory::Fatal => ObAuthError::Fatal {
                code,
                detail,
                correlation_id,
            },
        }
    }
}

impl From<ObAuthError> for ErrorInfo {
    fn from(error: ObAuthError) -> Self {
        ErrorInfo {
            category: error.category(),
            code: error.code().to_owned(),
            retry_after: match &error {
                ObAuthError::RetryLater {
                    retry_after_ms: Some(ms),
                    ..
                } => Some(Duration::from_millis(*ms)),
                _ => None,
            },
            message: error.to_string(),
            correlation_id: error.correlation_id().map(str::to_owned),
        }
    }
}

/// A host callback threw something that is not an `ObAuthError` (Kotlin sends its whole stack
/// trace): a typed, fatal error with code `host_callback` instead of a crash. The detail keeps
/// the first line of what the host reported, at most 200 characters.
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
            correlation_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use uniffi::{Lift, Lower};

    use super::*;
    use crate::error::CancelOrigin;
    use crate::supervised::LoginState;

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
            Error::invalid("userHash", "too short"),
        ];
        for core in cases {
            let ffi = ObAuthError::from(&core);
            assert_eq!(ffi.category(), core.category(), "{core:?}");
            assert_eq!(ffi.code(), core.code());
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
                correlation_id: None,
            }
        );
        let ObAuthError::InvalidInput { field, .. } =
            ObAuthError::from(Error::invalid("userHash", "too short"))
        else {
            panic!("not InvalidInput");
        };
        assert_eq!(field, "userHash");
        let bad = ObAuthError::from(uniffi::UnexpectedUniFFICallbackError::new(
            "java.io.IOException: boom\n\tat Foo.bar",
        ));
        assert_eq!(bad.category(), ErrorCategory::Fatal);
        assert_eq!(bad.code(), "host_callback");
        assert_eq!(
            bad.to_string(),
            "a host callback failed: java.io.IOException: boom"
        );
        let stored = ObAuthError::from(bad.into_storage_error());
        assert_eq!(stored.category(), ErrorCategory::RetryLater);
        assert_eq!(stored.code(), "storage");
        let detail = stored.to_string();
        assert!(detail.ends_with("a host callback failed: java.io.IOException: boom"));
        let typed = ObAuthError::from(ObAuthError::internal("locked").into_storage_error());
        assert_eq!(typed.code(), "storage");
        assert!(typed.to_string().ends_with("locked"));
    }

    /// What crosses is what the host sees: a state's error arrives as plain error info, and
    /// instants round-trip at millisecond precision (before the epoch too).
    #[test]
    fn values_cross_and_come_back() {
        type Tag = crate::UniFfiTag;
        let state = LoginState::Failed {
            error: Error::CodeExpired.into(),
        };
        let back =
            <LoginState as Lift<Tag>>::try_lift(<LoginState as Lower<Tag>>::lower(state)).unwrap();
        let LoginState::Failed { error } = back else {
            panic!("not Failed: {back:?}");
        };
        assert_eq!(error.category, ErrorCategory::Reauthenticate);
        assert_eq!(error.to_string(), Error::CodeExpired.to_string());
        // A state's error crosses as the same ObAuthError the calls throw, Retry-After included.
        let limited = Error::RateLimited {
            endpoint: "initialize",
            retry_after: Some(Duration::from_secs(2)),
        };
        let info = ErrorInfo::from(&limited);
        assert_eq!(ObAuthError::from(info.clone()), ObAuthError::from(&limited));
        assert_eq!(ErrorInfo::from(ObAuthError::from(info.clone())), info);
        for ms in [0, 1_700_000_000_123, -86_400_000] {
            let t = Timestamp::from_unix_millis(ms);
            assert_eq!(Timestamp::from_system_time(system_time(t)), t);
        }
        let secret =
            <Secret as Lift<Tag>>::try_lift(<Secret as Lower<Tag>>::lower(Secret::new("hunter2")))
                .unwrap();
        assert_eq!(secret.expose(), "hunter2");
    }

    /// An `Error` in an outcome crosses as the `ErrorInfo` it reduces to: the same type to the
    /// host (same metadata) and the same bytes.
    #[test]
    fn an_error_crosses_as_its_error_info() {
        type Tag = crate::UniFfiTag;
        let error = Error::RateLimited {
            endpoint: "status",
            retry_after: Some(Duration::from_secs(2)),
        };
        let info = <ErrorInfo as Lift<Tag>>::try_lift(<Error as Lower<Tag>>::lower(error.clone()))
            .unwrap();
        assert_eq!(info, ErrorInfo::from(&error));
        let back =
            <Error as Lift<Tag>>::try_lift(<Error as Lower<Tag>>::lower(error.clone())).unwrap();
        assert_eq!(back.category(), error.category());
        assert_eq!(back.to_string(), error.to_string());
        assert_eq!(
            <Error as uniffi::TypeId<Tag>>::TYPE_ID_META.as_ref(),
            <ErrorInfo as uniffi::TypeId<Tag>>::TYPE_ID_META.as_ref()
        );
    }
}
