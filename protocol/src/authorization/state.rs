//! What the host sees of an authorization-code flow.

use std::time::Duration;

use crate::error::{CancelOrigin, ErrorInfo};
use crate::oauth::AuthorizeExtras;
use crate::timestamp::Timestamp;

/// Which provider dialect.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AuthorizationKind {
    /// Aiia Data connect: `GET {api}/v1/oauth/connect`, then the JSON token call with Basic
    /// client authentication.
    AiiaConnect {
        /// Optional `accountsGroupName`.
        accounts_group_name: Option<String>,
        /// Optional `accountsGroupId`.
        accounts_group_id: Option<String>,
    },
    /// OAuth 2.0 authorization code with PKCE (S256) and an OpenID Connect nonce, for public
    /// clients that hold no secret.
    Pkce,
}

/// What the app asks for.
#[derive(Clone, Debug)]
pub struct AuthorizationParams {
    /// The redirect URI sent to the provider (a Universal Link / App Link, or loopback).
    pub redirect_uri: String,
    /// The registered pattern the redirect is recognised by, e.g.
    /// `https://mydomain.com/aiia-callback/*`; defaults to `redirect_uri` itself.
    pub redirect_pattern: Option<String>,
    /// Requested scopes (space-delimited). Default: `accounts offline_access` for Aiia connect,
    /// `openid` for PKCE.
    pub scope: Option<String>,
    /// Overall deadline; default 15 minutes.
    pub timeout: Duration,
    /// How long a code can be exchanged (one minute at Aiia).
    pub code_lifetime: Duration,
    /// Extra authorization-request parameters (`prompt`, `login_hint`, `ui_locales`, `max_age`,
    /// `acr_values`, others by name); checked when the flow is built. For PKCE, a scope with
    /// `offline_access` and no `prompt` sends `prompt=consent` (OIDC Core §11).
    pub extras: AuthorizeExtras,
    /// Whether the connect flow sends an S256 PKCE challenge (and the verifier with the code),
    /// as RFC 9700 recommends for confidential clients too: a code stolen from the redirect is
    /// useless without the verifier. On by default; turn it off only for a provider that
    /// rejects PKCE. The PKCE flow always uses it (`false` is refused there).
    pub pkce: bool,
}

impl AuthorizationParams {
    /// Parameters with defaults.
    pub fn new(redirect_uri: impl Into<String>) -> Self {
        AuthorizationParams {
            redirect_uri: redirect_uri.into(),
            redirect_pattern: None,
            scope: None,
            timeout: Duration::from_secs(15 * 60),
            code_lifetime: Duration::from_secs(60),
            extras: AuthorizeExtras::default(),
            pkce: true,
        }
    }
}

/// The states a UI renders. Terminal: `Authenticated`, `Failed`, `Cancelled`, `TimedOut`.
/// `Debug` shows the authorize URL without its query values (`state`, `nonce` and the PKCE
/// challenge): see `redact.rs`.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum AuthorizationState {
    /// Built, not started.
    Created,
    /// Show `authorize_url` in the WebView and wait for the redirect.
    AwaitingUser {
        /// The URL to load (the provider answers it with a 302 the WebView follows).
        authorize_url: String,
    },
    /// A valid redirect with a code arrived.
    CodeReceived,
    /// Exchanging the code.
    Exchanging,
    /// Done: tokens are available.
    Authenticated {
        /// When the access token expires.
        expires_at: Option<Timestamp>,
        /// Granted scopes.
        scope: Option<String>,
        /// Aiia's consent id.
        consent_id: Option<String>,
        /// Whether a refresh token came with it.
        refreshable: bool,
    },
    /// Ended with an error.
    Failed {
        /// What went wrong and, through its category, what to do next (the full error is the
        /// flow's result).
        error: ErrorInfo,
    },
    /// Cancelled by the user (declined) or the app.
    Cancelled {
        /// Who cancelled.
        by: CancelOrigin,
    },
    /// The overall deadline passed.
    TimedOut,
}

impl std::fmt::Debug for AuthorizationState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthorizationState::Created => f.write_str("Created"),
            AuthorizationState::AwaitingUser { authorize_url } => f
                .debug_struct("AwaitingUser")
                .field("authorize_url", &crate::redact::url_for_log(authorize_url))
                .finish(),
            AuthorizationState::CodeReceived => f.write_str("CodeReceived"),
            AuthorizationState::Exchanging => f.write_str("Exchanging"),
            AuthorizationState::Authenticated {
                expires_at,
                scope,
                consent_id,
                refreshable,
            } => f
                .debug_struct("Authenticated")
                .field("expires_at", expires_at)
                .field("scope", scope)
                .field("consent_id", consent_id)
                .field("refreshable", refreshable)
                .finish(),
            AuthorizationState::Failed { error } => {
                f.debug_struct("Failed").field("error", error).finish()
            }
            AuthorizationState::Cancelled { by } => {
                f.debug_struct("Cancelled").field("by", by).finish()
            }
            AuthorizationState::TimedOut => f.write_str("TimedOut"),
        }
    }
}

impl AuthorizationState {
    /// Whether the flow has ended.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            AuthorizationState::Authenticated { .. }
                | AuthorizationState::Failed { .. }
                | AuthorizationState::Cancelled { .. }
                | AuthorizationState::TimedOut
        )
    }

    /// A short name for logs and progress lines.
    pub fn name(&self) -> &'static str {
        match self {
            AuthorizationState::Created => "created",
            AuthorizationState::AwaitingUser { .. } => "awaiting_user",
            AuthorizationState::CodeReceived => "code_received",
            AuthorizationState::Exchanging => "exchanging",
            AuthorizationState::Authenticated { .. } => "authenticated",
            AuthorizationState::Failed { .. } => "failed",
            AuthorizationState::Cancelled { .. } => "cancelled",
            AuthorizationState::TimedOut => "timed_out",
        }
    }
}
