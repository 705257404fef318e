//! What the host sees of a supervised login: its parameters, states and result.

use std::time::Duration;

use crate::error::{CancelOrigin, Error, ErrorInfo};
use crate::secret::Secret;
use crate::session::AccessSession;
use crate::timestamp::Timestamp;

/// How the authorization code reached the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "lowercase")]
pub enum CodeSource {
    /// The redirect to `redirectUrl` (WebView, Universal Link, App Link, loopback listener).
    Redirect,
    /// The status long-poll.
    Poll,
    /// No code: an unattended login with a stored login token started the session.
    Unattended,
}

impl CodeSource {
    /// `"redirect"`, `"poll"` or `"unattended"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeSource::Redirect => "redirect",
            CodeSource::Poll => "poll",
            CodeSource::Unattended => "unattended",
        }
    }
}

/// What the app asks for.
#[derive(Clone, Debug)]
pub struct SupervisedLoginParams {
    /// Identifies the user at the provider; `^[a-zA-Z0-9-]{8,64}$`.
    pub user_hash: String,
    /// Where the bank sends the user when done (a Universal Link / App Link, or a loopback URL).
    pub redirect_url: String,
    /// Long-poll window: the provider holds each status request up to this long. At most one
    /// status request is sent per window while nothing changes. 1 s to 300 s; default 30 s.
    pub poll_timeout: Duration,
    /// Overall deadline from start to tokens; default 15 minutes.
    pub timeout: Duration,
    /// How long a code stays exchangeable at the provider (one minute for Aiia).
    pub code_lifetime: Duration,
}

impl SupervisedLoginParams {
    /// Parameters with the defaults.
    pub fn new(user_hash: impl Into<String>, redirect_url: impl Into<String>) -> Self {
        SupervisedLoginParams {
            user_hash: user_hash.into(),
            redirect_url: redirect_url.into(),
            poll_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(15 * 60),
            code_lifetime: Duration::from_secs(60),
        }
    }
}

/// The states a UI renders. Terminal: `Authenticated`, `Failed`, `Cancelled`, `NotApplicable`,
/// `TimedOut`. `Debug` shows the bank page's URL without its query values (the `startToken`
/// lets anyone continue the login): see `redact.rs`.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum LoginState {
    /// Built, not started.
    Created,
    /// Asking the provider for a session.
    Initializing,
    /// Show `auth_url` in the WebView and wait for the user.
    AwaitingUser {
        /// The bank page to load.
        auth_url: String,
        /// The provider's session id.
        session_id: String,
    },
    /// A code arrived; the exchange starts at once.
    CodeReceived {
        /// How it arrived.
        via: CodeSource,
    },
    /// Exchanging the code for tokens (retried while the code is valid).
    Exchanging {
        /// How the code arrived.
        via: CodeSource,
    },
    /// Done: tokens are available.
    Authenticated {
        /// How the code arrived.
        via: CodeSource,
        /// Session access token expiry (slides; see [`AccessSession`]).
        session_expires: Timestamp,
        /// Login token expiry.
        login_expires: Timestamp,
        /// The bank.
        provider_id: String,
    },
    /// Ended with an error.
    Failed {
        /// What went wrong and, through its category, what to do next (the full error is the
        /// flow's result).
        error: ErrorInfo,
    },
    /// Cancelled by the user at the bank or by the app.
    Cancelled {
        /// Who cancelled.
        by: CancelOrigin,
    },
    /// The provider says this login needs no session.
    NotApplicable,
    /// The overall deadline passed.
    TimedOut,
}

impl std::fmt::Debug for LoginState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoginState::Created => f.write_str("Created"),
            LoginState::Initializing => f.write_str("Initializing"),
            LoginState::AwaitingUser {
                auth_url,
                session_id,
            } => f
                .debug_struct("AwaitingUser")
                .field("auth_url", &crate::redact::url_for_log(auth_url))
                .field("session_id", session_id)
                .finish(),
            LoginState::CodeReceived { via } => {
                f.debug_struct("CodeReceived").field("via", via).finish()
            }
            LoginState::Exchanging { via } => {
                f.debug_struct("Exchanging").field("via", via).finish()
            }
            LoginState::Authenticated {
                via,
                session_expires,
                login_expires,
                provider_id,
            } => f
                .debug_struct("Authenticated")
                .field("via", via)
                .field("session_expires", session_expires)
                .field("login_expires", login_expires)
                .field("provider_id", provider_id)
                .finish(),
            LoginState::Failed { error } => f.debug_struct("Failed").field("error", error).finish(),
            LoginState::Cancelled { by } => f.debug_struct("Cancelled").field("by", by).finish(),
            LoginState::NotApplicable => f.write_str("NotApplicable"),
            LoginState::TimedOut => f.write_str("TimedOut"),
        }
    }
}

impl LoginState {
    /// Whether the flow has ended.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            LoginState::Authenticated { .. }
                | LoginState::Failed { .. }
                | LoginState::Cancelled { .. }
                | LoginState::NotApplicable
                | LoginState::TimedOut
        )
    }

    /// A short name for logs and progress lines.
    pub fn name(&self) -> &'static str {
        match self {
            LoginState::Created => "created",
            LoginState::Initializing => "initializing",
            LoginState::AwaitingUser { .. } => "awaiting_user",
            LoginState::CodeReceived { .. } => "code_received",
            LoginState::Exchanging { .. } => "exchanging",
            LoginState::Authenticated { .. } => "authenticated",
            LoginState::Failed { .. } => "failed",
            LoginState::Cancelled { .. } => "cancelled",
            LoginState::NotApplicable => "not_applicable",
            LoginState::TimedOut => "timed_out",
        }
    }
}

/// The long-lived login token (for unattended logins where the bank supports them).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LoginToken {
    /// The token.
    pub token: Secret,
    /// Its expiry.
    pub expires: Timestamp,
    /// The bank.
    pub provider_id: String,
    /// Whether unattended logins are possible with it. The token is always issued; check this.
    pub supports_unattended: bool,
    /// Human-readable label of the login.
    pub label: Option<String>,
    /// The provider's subject id for the user.
    pub subject_id: Option<String>,
}

/// The result of a supervised login. Serializes (for secure storage only) with the session
/// token's current expiry, as the snapshot record of authenticated supervised logins (the same
/// JSON object: one reader and one writer for both).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(
    into = "crate::snapshot::records::SupervisedTokensV1",
    from = "crate::snapshot::records::SupervisedTokensV1"
)]
pub struct SupervisedTokens {
    /// The session access token with its sliding expiry.
    pub session: AccessSession,
    /// The login token.
    pub login: LoginToken,
    /// The bank.
    pub provider_id: String,
    /// How the code arrived.
    pub completed_via: CodeSource,
}

impl SupervisedTokens {
    /// The JSON kept in secure storage (secrets included), with the session token's current
    /// expiry. Tokens that cannot be written are an error (`InvalidSnapshot`), never an empty
    /// string.
    pub fn to_json(&self) -> Result<String, Error> {
        crate::snapshot::write_json("the supervised-login tokens", self)
    }

    /// Reads [`SupervisedTokens::to_json`] output.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        crate::snapshot::read_json(text)
            .map_err(|_| Error::InvalidSnapshot("not stored supervised-login tokens".into()))
    }
}
