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

/// The frozen V1 supervised phases, written once: the record below, and in the tests the
/// reference reading (serde's internally tagged derive) the flat reader is compared with.
macro_rules! supervised_phases_v1 {
    ($(#[$attr:meta])* $vis:vis $name:ident) => {
        $(#[$attr])*
        #[serde(tag = "phase")]
        $vis enum $name {
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
    };
}

supervised_phases_v1! {
    /// Where a supervised login was, tagged by `"phase"` (read through [`SupervisedPhaseFieldsV1`]).
    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(try_from = "SupervisedPhaseFieldsV1")]
    pub(crate) SupervisedPhaseV1
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

/// The frozen V1 authorization phases, written once (as `supervised_phases_v1!`).
macro_rules! authorization_phases_v1 {
    ($(#[$attr:meta])* $vis:vis $name:ident) => {
        $(#[$attr])*
        #[serde(tag = "phase")]
        $vis enum $name {
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
    };
}

authorization_phases_v1! {
    /// Where an authorization-code flow was, tagged by `"phase"` (read through
    /// [`AuthorizationPhaseFieldsV1`]).
    #[derive(Clone, Debug, Serialize, Deserialize)]
    #[serde(try_from = "AuthorizationPhaseFieldsV1")]
    pub(crate) AuthorizationPhaseV1
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

// --- Reading the tagged phases -----------------------------------------------------------------
//
// serde's derive reads an internally tagged enum by buffering the whole object into its generic
// `Content` tree and then deserializing each variant from that buffer: a second deserializer per
// variant field type, and the largest functions of the library's snapshot code. The phases are
// read instead as one flat object, the tag and every variant's fields (`*FieldsV1`), then
// checked into the variant. What is accepted is the same: the tag as serde reads a variant name
// (its name or index), each present field with its variant's type (`null` only where the
// variant's field is an `Option`), a missing required field refused, unknown fields ignored.
// Where they differ (never in a snapshot ObAuth wrote): a field that belongs to another phase
// is type-checked too (the tagged enum ignored it), and a phase written as a JSON array is read
// by the flat object's field order.

/// A field of some phase: absent is `None`; present, it must be a `T` (not `null`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// A required field of the phase being read.
fn required<T>(field: Option<T>, name: &'static str) -> Result<T, MissingField> {
    field.ok_or(MissingField(name))
}

/// The error for a phase without one of its fields.
struct MissingField(&'static str);

impl std::fmt::Display for MissingField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "missing field `{}`", self.0)
    }
}

/// The `"phase"` tag of a supervised login.
#[derive(Deserialize)]
#[serde(variant_identifier)]
enum SupervisedTagV1 {
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "initializing")]
    Initializing,
    #[serde(rename = "awaiting")]
    Awaiting,
    #[serde(rename = "exchanging")]
    Exchanging,
    #[serde(rename = "authenticated")]
    Authenticated,
    #[serde(rename = "failed")]
    Failed,
    #[serde(rename = "cancelled")]
    Cancelled,
    #[serde(rename = "not_applicable")]
    NotApplicable,
    #[serde(rename = "timed_out")]
    TimedOut,
}

/// A supervised login's phase object as read: the tag and the fields of every variant.
#[derive(Deserialize)]
struct SupervisedPhaseFieldsV1 {
    phase: SupervisedTagV1,
    #[serde(default, deserialize_with = "present")]
    auth_url: Option<String>,
    #[serde(default, deserialize_with = "present")]
    session_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    via: Option<CodeSourceV1>,
    #[serde(default, deserialize_with = "present")]
    code: Option<Secret>,
    #[serde(default, deserialize_with = "present")]
    received_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "present")]
    tokens: Option<SupervisedTokensV1>,
    #[serde(default, deserialize_with = "present")]
    error: Option<ErrorV1>,
    #[serde(default, deserialize_with = "present")]
    by: Option<CancelOriginV1>,
}

impl TryFrom<SupervisedPhaseFieldsV1> for SupervisedPhaseV1 {
    type Error = MissingField;

    fn try_from(f: SupervisedPhaseFieldsV1) -> Result<Self, MissingField> {
        use SupervisedTagV1 as Tag;
        Ok(match f.phase {
            Tag::Created => Self::Created,
            Tag::Initializing => Self::Initializing,
            Tag::Awaiting => Self::Awaiting {
                auth_url: required(f.auth_url, "auth_url")?,
                session_id: required(f.session_id, "session_id")?,
            },
            Tag::Exchanging => Self::Exchanging {
                via: required(f.via, "via")?,
                code: required(f.code, "code")?,
                received_at: required(f.received_at, "received_at")?,
                session_id: f.session_id.unwrap_or_default(),
            },
            Tag::Authenticated => Self::Authenticated {
                tokens: required(f.tokens, "tokens")?,
            },
            Tag::Failed => Self::Failed {
                error: required(f.error, "error")?,
            },
            Tag::Cancelled => Self::Cancelled {
                by: required(f.by, "by")?,
            },
            Tag::NotApplicable => Self::NotApplicable,
            Tag::TimedOut => Self::TimedOut,
        })
    }
}

/// The `"phase"` tag of an authorization-code flow.
#[derive(Deserialize)]
#[serde(variant_identifier)]
enum AuthorizationTagV1 {
    #[serde(rename = "created")]
    Created,
    #[serde(rename = "awaiting")]
    Awaiting,
    #[serde(rename = "exchanging")]
    Exchanging,
    #[serde(rename = "authenticated")]
    Authenticated,
    #[serde(rename = "failed")]
    Failed,
    #[serde(rename = "cancelled")]
    Cancelled,
    #[serde(rename = "timed_out")]
    TimedOut,
}

/// An authorization-code flow's phase object as read: the tag and the fields of every variant.
#[derive(Deserialize)]
struct AuthorizationPhaseFieldsV1 {
    phase: AuthorizationTagV1,
    #[serde(default, deserialize_with = "present")]
    code: Option<Secret>,
    /// `Option` in its variant too: `null` and absent are both `None`.
    #[serde(default)]
    consent_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    received_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "present")]
    tokens: Option<TokenSetV1>,
    #[serde(default, deserialize_with = "present")]
    error: Option<ErrorV1>,
    #[serde(default, deserialize_with = "present")]
    by: Option<CancelOriginV1>,
}

impl TryFrom<AuthorizationPhaseFieldsV1> for AuthorizationPhaseV1 {
    type Error = MissingField;

    fn try_from(f: AuthorizationPhaseFieldsV1) -> Result<Self, MissingField> {
        use AuthorizationTagV1 as Tag;
        Ok(match f.phase {
            Tag::Created => Self::Created,
            Tag::Awaiting => Self::Awaiting,
            Tag::Exchanging => Self::Exchanging {
                code: required(f.code, "code")?,
                consent_id: f.consent_id,
                received_at: required(f.received_at, "received_at")?,
            },
            Tag::Authenticated => Self::Authenticated {
                tokens: required(f.tokens, "tokens")?,
            },
            Tag::Failed => Self::Failed {
                error: required(f.error, "error")?,
            },
            Tag::Cancelled => Self::Cancelled {
                by: required(f.by, "by")?,
            },
            Tag::TimedOut => Self::TimedOut,
        })
    }
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

impl From<TokenSet> for TokenSetV1 {
    fn from(t: TokenSet) -> Self {
        TokenSetV1 {
            access_token: t.access_token,
            token_type: t.token_type,
            expires_at: t.expires_at,
            refresh_token: t.refresh_token,
            scope: t.scope,
            id_token: t.id_token,
            consent_id: t.consent_id,
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

impl From<SupervisedTokens> for SupervisedTokensV1 {
    fn from(t: SupervisedTokens) -> Self {
        SupervisedTokensV1::from(&t)
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

#[cfg(test)]
mod tests {
    //! The flat phase reading against serde's internally tagged enums (the derive these records
    //! used before, kept here as the reference): the same inputs are accepted, into the same
    //! values, and the same are refused.
    use super::*;
    use serde_json::{Map, Value, json};

    supervised_phases_v1! {
        #[derive(Serialize, Deserialize)]
        TaggedSupervised
    }

    authorization_phases_v1! {
        #[derive(Serialize, Deserialize)]
        TaggedAuthorization
    }

    /// Reads `input` both ways; both must accept it (into the same JSON) or both refuse it.
    fn same<
        New: Serialize + serde::de::DeserializeOwned,
        Old: Serialize + serde::de::DeserializeOwned,
    >(
        input: &Value,
    ) -> bool {
        let text = input.to_string();
        let new = crate::snapshot::read_json::<New>(&text);
        let old = serde_json::from_str::<Old>(&text);
        match (new, old) {
            (Ok(new), Ok(old)) => {
                assert_eq!(
                    serde_json::to_string(&new).unwrap(),
                    serde_json::to_string(&old).unwrap(),
                    "{text}"
                );
                true
            }
            (Err(_), Err(_)) => false,
            (new, old) => panic!(
                "{text}: flat reading {:?}, tagged enum {:?}",
                new.is_ok(),
                old.is_ok()
            ),
        }
    }

    /// Every phase object of the golden files, and each of them with every field removed, made
    /// `null`, a number or a string, an unknown field added, and the tag as a variant index.
    fn variants_of(golden: &[Value]) -> Vec<Value> {
        let mut out = Vec::new();
        for phase in golden {
            let object = phase.as_object().unwrap();
            out.push(phase.clone());
            let mut extra = object.clone();
            extra.insert("unknown".into(), json!({"x": [1]}));
            out.push(Value::Object(extra));
            for key in object.keys() {
                let mut without: Map<String, Value> = object.clone();
                without.remove(key);
                out.push(Value::Object(without));
                for replacement in [Value::Null, json!(5), json!("x"), json!({})] {
                    let mut changed = object.clone();
                    changed.insert(key.clone(), replacement);
                    out.push(Value::Object(changed));
                }
            }
            for index in [0, 2, 3, 6, 8, 99] {
                let mut indexed = object.clone();
                indexed.insert("phase".into(), json!(index));
                out.push(Value::Object(indexed));
            }
        }
        out
    }

    /// One golden file of each phase (the protocol's sources read no files; `include_str!`).
    const SUPERVISED_GOLDEN: &[&str] = &[
        include_str!("../../../tests/fixtures/snapshots/v1/supervised_login-created.json"),
        include_str!("../../../tests/fixtures/snapshots/v1/supervised_login-initializing.json"),
        include_str!(
            "../../../tests/fixtures/snapshots/v1/supervised_login-awaiting_user-deadline_passed.json"
        ),
        include_str!(
            "../../../tests/fixtures/snapshots/v1/supervised_login-exchanging-code_live.json"
        ),
        include_str!("../../../tests/fixtures/snapshots/v1/supervised_login-authenticated.json"),
        include_str!(
            "../../../tests/fixtures/snapshots/v1/supervised_login-failed-bad_client_credentials.json"
        ),
        include_str!("../../../tests/fixtures/snapshots/v1/supervised_login-cancelled-by_app.json"),
        include_str!("../../../tests/fixtures/snapshots/v1/supervised_login-not_applicable.json"),
        include_str!("../../../tests/fixtures/snapshots/v1/supervised_login-timed_out.json"),
    ];
    const AUTHORIZATION_GOLDEN: &[&str] = &[
        include_str!("../../../tests/fixtures/snapshots/v1/aiia_connect-created.json"),
        include_str!(
            "../../../tests/fixtures/snapshots/v1/aiia_connect-awaiting_user-deadline_passed.json"
        ),
        include_str!("../../../tests/fixtures/snapshots/v1/aiia_connect-exchanging-code_live.json"),
        include_str!("../../../tests/fixtures/snapshots/v1/aiia_connect-authenticated.json"),
        include_str!(
            "../../../tests/fixtures/snapshots/v1/aiia_connect-failed-bad_client_credentials.json"
        ),
        include_str!("../../../tests/fixtures/snapshots/v1/aiia_connect-cancelled-by_app.json"),
        include_str!("../../../tests/fixtures/snapshots/v1/aiia_connect-timed_out.json"),
        include_str!("../../../tests/fixtures/snapshots/v1/pkce-exchanging-code_live.json"),
        include_str!("../../../tests/fixtures/snapshots/v1/pkce-authenticated.json"),
        include_str!("../../../tests/fixtures/snapshots/v1/pkce-failed-invalid_grant.json"),
    ];

    fn golden_phases(files: &[&str]) -> Vec<Value> {
        files
            .iter()
            .map(|text| serde_json::from_str::<Value>(text).unwrap()["flow"]["phase"].clone())
            .collect()
    }

    #[test]
    fn supervised_phases_read_as_the_tagged_enum_did() {
        let inputs = variants_of(&golden_phases(SUPERVISED_GOLDEN));
        let accepted = inputs
            .iter()
            .filter(|v| same::<SupervisedPhaseV1, TaggedSupervised>(v))
            .count();
        assert!(
            accepted > 10 && accepted < inputs.len(),
            "{accepted} of {}",
            inputs.len()
        );
        // The relay session of an exchange: absent is empty, `null` is refused.
        let exchanging = json!({"phase": "exchanging", "via": "poll", "code": "c",
            "received_at": "2026-11-29T22:33:32.419Z"});
        assert!(same::<SupervisedPhaseV1, TaggedSupervised>(&exchanging));
        let mut relay = exchanging.clone();
        relay["session_id"] = json!("handle-1");
        assert!(same::<SupervisedPhaseV1, TaggedSupervised>(&relay));
        let mut null_session = exchanging.clone();
        null_session["session_id"] = Value::Null;
        assert!(!same::<SupervisedPhaseV1, TaggedSupervised>(&null_session));
    }

    #[test]
    fn authorization_phases_read_as_the_tagged_enum_did() {
        let inputs = variants_of(&golden_phases(AUTHORIZATION_GOLDEN));
        let accepted = inputs
            .iter()
            .filter(|v| same::<AuthorizationPhaseV1, TaggedAuthorization>(v))
            .count();
        assert!(
            accepted > 10 && accepted < inputs.len(),
            "{accepted} of {}",
            inputs.len()
        );
    }
}
