//! The snapshot records of format version 1: what a snapshot's `flow` object holds, field by
//! field, with every name on the wire spelled out here.
//!
//! The machines never serialise their own state. They convert it to one of these records
//! ([`SupervisedSnapshotV1`], [`AuthorizationSnapshotV1`]) to write a snapshot, and build
//! themselves from one to restore, so renaming or reshaping an internal type (a phase, an
//! error, a token set) cannot change what is written or break what was stored. Every enum here
//! names each variant with `#[serde(rename)]` and every struct is a plain list of fields: the
//! names are frozen to what the first implementation wrote (see the golden files in
//! `tests/fixtures/snapshots/v1/`, which `protocol/tests/golden_records.rs` re-encodes byte for
//! byte). Scalars keep their own fixed text forms: [`Timestamp`] as RFC 3339 with milliseconds,
//! [`Secret`] as the plain string.
//!
//! A change to the format is a new record (`…V2`) and a new [`crate::snapshot::SNAPSHOT_VERSION`],
//! with a conversion from the old record; these stay as they are.

use serde::{Deserialize, Serialize};

use crate::correlation::CorrelationId;
use crate::error::{CancelOrigin, ErrorCategory, PersistedError};
use crate::oauth::TokenSet;
use crate::secret::Secret;
use crate::session::AccessSession;
use crate::supervised::{CodeSource, LoginToken, SupervisedTokens};
use crate::timestamp::Timestamp;

// --- Supervised login --------------------------------------------------------------------------

/// A supervised login (`"kind": "supervised_login"`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SupervisedSnapshotV1 {
    pub client_id: String,
    pub user_hash: String,
    pub redirect_url: String,
    pub poll_timeout_ms: u64,
    pub timeout_ms: u64,
    pub code_lifetime_ms: u64,
    /// The overall deadline (wall-clock: it must survive a restart); `null` before the start.
    pub deadline_at: Option<Timestamp>,
    pub phase: SupervisedPhaseV1,
    /// The flow's `X-Correlation-Id`; absent in snapshots written before it existed (and then
    /// not written back, so those snapshots round-trip byte for byte).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<CorrelationId>,
}

/// Where a supervised login was, tagged by `"phase"`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "phase")]
pub(crate) enum SupervisedPhaseV1 {
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "initializing")]
    Initializing,
    #[serde(rename = "awaiting")]
    Awaiting {
        auth_url: String,
        session_id: String,
    },
    #[serde(rename = "exchanging")]
    Exchanging {
        via: CodeSourceV1,
        code: Secret,
        received_at: Timestamp,
        /// Relay mode only: the session (handle) the code is for; absent otherwise.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        session_id: String,
    },
    #[serde(rename = "authenticated")]
    Authenticated { tokens: SupervisedTokensV1 },
    #[serde(rename = "failed")]
    Failed { error: ErrorV1 },
    #[serde(rename = "cancelled")]
    Cancelled { by: CancelOriginV1 },
    #[serde(rename = "not_applicable")]
    NotApplicable,
    #[serde(rename = "timed_out")]
    TimedOut,
}

/// How the code reached the app.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) enum CodeSourceV1 {
    #[serde(rename = "redirect")]
    Redirect,
    #[serde(rename = "poll")]
    Poll,
    /// Only in stored tokens: a flow's snapshot never holds it.
    #[serde(rename = "unattended")]
    Unattended,
}

/// The tokens of an authenticated supervised login.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SupervisedTokensV1 {
    pub access_token: Secret,
    /// The session token's expiry when the snapshot was written (it slides).
    pub access_token_expires: Timestamp,
    pub login: LoginTokenV1,
    pub provider_id: String,
    pub completed_via: CodeSourceV1,
}

/// The long-lived login token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct LoginTokenV1 {
    pub token: Secret,
    pub expires: Timestamp,
    pub provider_id: String,
    pub supports_unattended: bool,
    pub label: Option<String>,
    pub subject_id: Option<String>,
}

// --- Authorization-code flows ------------------------------------------------------------------

/// An Aiia connect or PKCE flow (`"kind": "aiia_connect"` or `"pkce"`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AuthorizationSnapshotV1 {
    pub kind: AuthorizationKindV1,
    pub client_id: String,
    pub authorize_endpoint: String,
    pub token_endpoint: String,
    pub redirect_uri: String,
    pub redirect_pattern: String,
    pub scope: String,
    pub state: Secret,
    pub nonce: Secret,
    pub code_verifier: Secret,
    /// The caller's extra authorize parameters (`prompt`, …), in URL order. Added after the
    /// first release: absent (and not written) when there are none, so older snapshots read
    /// as before and a flow without extras writes exactly what it always wrote.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorize_params: Vec<(String, String)>,
    /// Connect flows sending PKCE (written only when `true`; absent in snapshots of versions
    /// before connect flows sent PKCE, which read as `false`). Implied for `"Pkce"`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub pkce: bool,
    /// RFC 9207 `iss` required in the redirect; written only when true, so snapshots of flows
    /// without it (and the v1 golden files) are unchanged.
    #[serde(default, skip_serializing_if = "is_false")]
    pub iss_required: bool,
    pub timeout_ms: u64,
    pub code_lifetime_ms: u64,
    /// The overall deadline (wall-clock: it must survive a restart); `null` before the start.
    pub deadline_at: Option<Timestamp>,
    pub phase: AuthorizationPhaseV1,
    /// As [`SupervisedSnapshotV1::correlation_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<CorrelationId>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The provider dialect: `{"AiiaConnect": {…}}` or `"Pkce"`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum AuthorizationKindV1 {
    #[serde(rename = "AiiaConnect")]
    AiiaConnect {
        accounts_group_name: Option<String>,
        accounts_group_id: Option<String>,
    },
    #[serde(rename = "Pkce")]
    Pkce,
}

/// Where an authorization-code flow was, tagged by `"phase"`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "phase")]
pub(crate) enum AuthorizationPhaseV1 {
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "awaiting")]
    Awaiting,
    #[serde(rename = "exchanging")]
    Exchanging {
        code: Secret,
        consent_id: Option<String>,
        received_at: Timestamp,
    },
    #[serde(rename = "authenticated")]
    Authenticated { tokens: TokenSetV1 },
    #[serde(rename = "failed")]
    Failed { error: ErrorV1 },
    #[serde(rename = "cancelled")]
    Cancelled { by: CancelOriginV1 },
    #[serde(rename = "timed_out")]
    TimedOut,
}

/// Tokens from a token endpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct TokenSetV1 {
    pub access_token: Secret,
    pub token_type: String,
    pub expires_at: Option<Timestamp>,
    pub refresh_token: Option<Secret>,
    pub scope: Option<String>,
    pub id_token: Option<Secret>,
    pub consent_id: Option<String>,
    /// When the token endpoint answered; added later, written only when known, so older
    /// snapshots (and the v1 golden files) read and re-encode unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<Timestamp>,
}

// --- Shared pieces -----------------------------------------------------------------------------

/// The error a flow ended with: its category and message (the variant is not kept).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ErrorV1 {
    pub category: ErrorCategoryV1,
    pub message: String,
}

/// What the host should do about an error.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) enum ErrorCategoryV1 {
    #[serde(rename = "InvalidInput")]
    InvalidInput,
    #[serde(rename = "RetryLater")]
    RetryLater,
    #[serde(rename = "UserAction")]
    UserAction,
    #[serde(rename = "Reauthenticate")]
    Reauthenticate,
    #[serde(rename = "Fatal")]
    Fatal,
}

/// Who cancelled.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) enum CancelOriginV1 {
    #[serde(rename = "User")]
    User,
    #[serde(rename = "Host")]
    Host,
}

// --- Conversions of the shared types (the machines convert their own phases) -------------------

/// Both conversions between a fieldless enum and its record, variant by variant (the names
/// match; the record's serialised names are frozen by its own `serde` attributes).
macro_rules! same_variants {
    ($live:ident <=> $record:ident { $($variant:ident),+ $(,)? }) => {
        impl From<$live> for $record {
            fn from(value: $live) -> Self {
                match value {
                    $($live::$variant => $record::$variant,)+
                }
            }
        }

        impl From<$record> for $live {
            fn from(value: $record) -> Self {
                match value {
                    $($record::$variant => $live::$variant,)+
                }
            }
        }
    };
}

same_variants!(CodeSource <=> CodeSourceV1 {
    Redirect,
    Poll,
    Unattended,
});
same_variants!(CancelOrigin <=> CancelOriginV1 { User, Host });
same_variants!(ErrorCategory <=> ErrorCategoryV1 {
    InvalidInput,
    RetryLater,
    UserAction,
    Reauthenticate,
    Fatal,
});

impl From<&PersistedError> for ErrorV1 {
    fn from(error: &PersistedError) -> Self {
        ErrorV1 {
            category: error.category().into(),
            message: error.message().to_owned(),
        }
    }
}

impl From<ErrorV1> for PersistedError {
    fn from(error: ErrorV1) -> Self {
        PersistedError::restored(error.category.into(), error.message)
    }
}

impl From<&TokenSet> for TokenSetV1 {
    fn from(t: &TokenSet) -> Self {
        TokenSetV1 {
            access_token: t.access_token.clone(),
            token_type: t.token_type.clone(),
            expires_at: t.expires_at,
            refresh_token: t.refresh_token.clone(),
            scope: t.scope.clone(),
            id_token: t.id_token.clone(),
            consent_id: t.consent_id.clone(),
            issued_at: t.issued_at,
        }
    }
}

impl From<TokenSetV1> for TokenSet {
    fn from(r: TokenSetV1) -> Self {
        TokenSet {
            access_token: r.access_token,
            token_type: r.token_type,
            expires_at: r.expires_at,
            refresh_token: r.refresh_token,
            scope: r.scope,
            id_token: r.id_token,
            consent_id: r.consent_id,
            issued_at: r.issued_at,
        }
    }
}

impl From<&SupervisedTokens> for SupervisedTokensV1 {
    fn from(t: &SupervisedTokens) -> Self {
        SupervisedTokensV1 {
            access_token: t.session.token().clone(),
            access_token_expires: t.session.expires(),
            login: LoginTokenV1 {
                token: t.login.token.clone(),
                expires: t.login.expires,
                provider_id: t.login.provider_id.clone(),
                supports_unattended: t.login.supports_unattended,
                label: t.login.label.clone(),
                subject_id: t.login.subject_id.clone(),
            },
            provider_id: t.provider_id.clone(),
            completed_via: t.completed_via.into(),
        }
    }
}

impl From<SupervisedTokensV1> for SupervisedTokens {
    fn from(r: SupervisedTokensV1) -> Self {
        SupervisedTokens {
            session: AccessSession::new(r.access_token, r.access_token_expires),
            login: LoginToken {
                token: r.login.token,
                expires: r.login.expires,
                provider_id: r.login.provider_id,
                supports_unattended: r.login.supports_unattended,
                label: r.login.label,
                subject_id: r.login.subject_id,
            },
            provider_id: r.provider_id,
            completed_via: r.completed_via.into(),
        }
    }
}
