//! Plain data crossing the boundary: configuration, states, results, navigation decisions.
//!
//! Simple core enums are exposed as they are (`#[uniffi::remote]`: the compiler checks the copy
//! against the core's definition). Types with fields the FFI cannot carry (core errors,
//! `Timestamp`, `AccessSession`, `Secret`) get a mirror here plus a `From` conversion, and
//! nothing else: no decision is made in this file.
//!
//! Instants are UniFFI timestamps: `java.time.Instant` in Kotlin, `Date` in Swift.
//!
//! **Tokens are plain strings** in [`SupervisedTokens`]. The host must put them straight into
//! secure storage (Keychain / Keystore) and must not log the record: Kotlin data classes and
//! Swift structs print every field in `toString()` / `description`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use obauth::Timestamp;
pub use obauth::{CancelOrigin, CodeSource, IgnoredReason};

use crate::error::ObAuthError;

// --- instants --------------------------------------------------------------------------------

uniffi::custom_type!(Timestamp, SystemTime, {
    remote,
    lower: |t| timestamp_to_system_time(t),
    try_lift: |t| Ok(system_time_to_timestamp(t)),
});

fn timestamp_to_system_time(t: Timestamp) -> SystemTime {
    let ms = t.unix_millis();
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

fn system_time_to_timestamp(t: SystemTime) -> Timestamp {
    let ms = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    };
    Timestamp::from_unix_millis(ms)
}

// --- configuration ---------------------------------------------------------------------------

/// How to reach the provider and who the app is.
#[derive(Clone, uniffi::Record)]
pub struct ClientConfig {
    /// The provider's API root, e.g. `https://api.nordicapigateway.com`. HTTPS unless loopback.
    pub api_url: String,
    /// The partner's client id.
    pub client_id: String,
    /// The partner's client secret. It goes into the core and never comes back out.
    pub client_secret: String,
    /// Time-out of a single ordinary request, in milliseconds (long-polls get their poll window
    /// on top). Default 30 000.
    #[uniffi(default = 30000)]
    pub request_timeout_ms: u64,
    /// Hosts whose links the WebView hands to the OS (banks' Universal Link / App Link domains,
    /// subdomains included).
    #[uniffi(default = [])]
    pub external_app_hosts: Vec<String>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("api_url", &self.api_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("request_timeout_ms", &self.request_timeout_ms)
            .field("external_app_hosts", &self.external_app_hosts)
            .finish()
    }
}

impl From<ClientConfig> for obauth::ClientConfig {
    fn from(c: ClientConfig) -> Self {
        let mut config = obauth::ClientConfig::new(c.api_url, c.client_id, c.client_secret);
        config.request_timeout = Duration::from_millis(c.request_timeout_ms);
        config.external_app_hosts = c.external_app_hosts;
        config
    }
}

/// What a supervised login asks for.
#[derive(Clone, Debug, uniffi::Record)]
pub struct SupervisedLoginParams {
    /// Identifies the user at the provider; `^[a-zA-Z0-9-]{8,64}$`.
    pub user_hash: String,
    /// Where the bank sends the user when done: the app's Universal Link / App Link.
    pub redirect_url: String,
    /// Long-poll window in milliseconds (1 s to 300 s); `null`/`nil`: 30 s.
    #[uniffi(default = None)]
    pub poll_timeout_ms: Option<u64>,
    /// Overall deadline in milliseconds from start to tokens; `null`/`nil`: 15 minutes.
    #[uniffi(default = None)]
    pub timeout_ms: Option<u64>,
}

impl From<SupervisedLoginParams> for obauth::SupervisedLoginParams {
    fn from(p: SupervisedLoginParams) -> Self {
        let mut params = obauth::SupervisedLoginParams::new(p.user_hash, p.redirect_url);
        if let Some(ms) = p.poll_timeout_ms {
            params.poll_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = p.timeout_ms {
            params.timeout = Duration::from_millis(ms);
        }
        params
    }
}

// --- states and results ----------------------------------------------------------------------

/// How the authorization code reached the app.
#[uniffi::remote(Enum)]
pub enum CodeSource {
    /// The redirect to the app's redirect URL (WebView, Universal Link, App Link).
    Redirect,
    /// The status long-poll.
    Poll,
}

/// Who cancelled a flow.
#[uniffi::remote(Enum)]
pub enum CancelOrigin {
    /// The user cancelled on the bank's pages.
    User,
    /// The app called `cancel`.
    Host,
}

/// The states of a supervised login, as a UI renders them. Terminal: `Authenticated`, `Failed`,
/// `Cancelled`, `NotApplicable`, `TimedOut`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
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
    /// Exchanging the code for tokens.
    Exchanging {
        /// How the code arrived.
        via: CodeSource,
    },
    /// Done: `awaitTokens()` returns the tokens.
    Authenticated {
        /// How the code arrived.
        via: CodeSource,
        /// Session access token expiry at the time of sign-in (it slides later).
        session_expires: Timestamp,
        /// Login token expiry.
        login_expires: Timestamp,
        /// The bank.
        provider_id: String,
    },
    /// Ended with an error; its category says what to do next.
    Failed {
        /// What went wrong.
        error: ObAuthError,
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

impl From<obauth::LoginState> for LoginState {
    fn from(state: obauth::LoginState) -> Self {
        use obauth::LoginState as S;
        match state {
            S::Created => LoginState::Created,
            S::Initializing => LoginState::Initializing,
            S::AwaitingUser {
                auth_url,
                session_id,
            } => LoginState::AwaitingUser {
                auth_url,
                session_id,
            },
            S::CodeReceived { via } => LoginState::CodeReceived { via },
            S::Exchanging { via } => LoginState::Exchanging { via },
            S::Authenticated {
                via,
                session_expires,
                login_expires,
                provider_id,
            } => LoginState::Authenticated {
                via,
                session_expires,
                login_expires,
                provider_id,
            },
            S::Failed { error } => LoginState::Failed {
                error: error.into(),
            },
            S::Cancelled { by } => LoginState::Cancelled { by },
            S::NotApplicable => LoginState::NotApplicable,
            S::TimedOut => LoginState::TimedOut,
        }
    }
}

/// The result of a supervised login.
///
/// **The tokens are plain strings.** Store them only in secure storage (Keychain / Keystore) and
/// never log this record: its generated `toString()` / `description` prints every field.
#[derive(Clone, uniffi::Record)]
pub struct SupervisedTokens {
    /// The session access token (`Authorization: Bearer …` on the session API).
    pub access_token: String,
    /// Its expiry at sign-in. It slides: every session API answer may move it
    /// (`X-Access-Token-Expires`).
    pub access_token_expires: Timestamp,
    /// The long-lived login token.
    pub login_token: String,
    /// Its expiry.
    pub login_token_expires: Timestamp,
    /// The bank.
    pub provider_id: String,
    /// Whether unattended logins are possible with the login token.
    pub supports_unattended: bool,
    /// Human-readable label of the login, if the provider sent one.
    pub label: Option<String>,
    /// The provider's subject id for the user, if it sent one.
    pub subject_id: Option<String>,
    /// How the code arrived.
    pub completed_via: CodeSource,
}

impl std::fmt::Debug for SupervisedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupervisedTokens")
            .field("access_token", &"[redacted]")
            .field("access_token_expires", &self.access_token_expires)
            .field("login_token", &"[redacted]")
            .field("login_token_expires", &self.login_token_expires)
            .field("provider_id", &self.provider_id)
            .field("completed_via", &self.completed_via)
            .finish_non_exhaustive()
    }
}

impl From<obauth::SupervisedTokens> for SupervisedTokens {
    fn from(t: obauth::SupervisedTokens) -> Self {
        SupervisedTokens {
            access_token: t.session.token().expose().to_owned(),
            access_token_expires: t.session.expires(),
            login_token: t.login.token.expose().to_owned(),
            login_token_expires: t.login.expires,
            provider_id: t.provider_id,
            supports_unattended: t.login.supports_unattended,
            label: t.login.label.clone(),
            subject_id: t.login.subject_id.clone(),
            completed_via: t.completed_via,
        }
    }
}

// --- redirects and navigation ----------------------------------------------------------------

/// Why a redirect of this flow changed nothing.
#[uniffi::remote(Enum)]
pub enum IgnoredReason {
    /// A code was already received (by an earlier redirect or by polling): duplicates are never
    /// exchanged again.
    CodeAlreadyReceived,
    /// The flow has already finished.
    FlowFinished,
    /// The flow is not yet waiting for the user (a stale redirect).
    NotWaitingForRedirect,
}

/// What the core did with a URL the host handed it.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum RedirectOutcome {
    /// Not this flow's redirect: handle the URL as the app normally would.
    NotForThisFlow,
    /// The redirect carried a code; the exchange has started.
    CodeAccepted,
    /// The redirect reported an error from the provider; the flow has ended with it.
    ProviderError {
        /// The provider's error.
        error: ObAuthError,
    },
    /// The redirect belongs to this flow but changes nothing.
    Ignored {
        /// Why.
        reason: IgnoredReason,
    },
    /// The redirect matched but was refused (malformed, forged or missing state, no code); the
    /// flow goes on waiting for a valid one.
    Rejected {
        /// Why it was refused.
        error: ObAuthError,
    },
}

impl From<obauth::RedirectOutcome> for RedirectOutcome {
    fn from(outcome: obauth::RedirectOutcome) -> Self {
        use obauth::RedirectOutcome as O;
        match outcome {
            O::NotForThisFlow => RedirectOutcome::NotForThisFlow,
            O::CodeAccepted => RedirectOutcome::CodeAccepted,
            O::ProviderError(e) => RedirectOutcome::ProviderError { error: e.into() },
            O::Ignored(reason) => RedirectOutcome::Ignored { reason },
            O::Rejected(e) => RedirectOutcome::Rejected { error: e.into() },
        }
    }
}

/// What the WebView should do with a URL it is about to load.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Navigation {
    /// Load it in the WebView.
    Allow,
    /// Do not load it: it is this flow's redirect, already handed to the flow.
    Intercept {
        /// What the flow did with it.
        outcome: RedirectOutcome,
    },
    /// Do not load it in the WebView; ask the OS to open it (bank app, phone, mail).
    OpenExternally,
    /// Do not load it at all.
    Block,
}

impl From<obauth::Navigation> for Navigation {
    fn from(n: obauth::Navigation) -> Self {
        use obauth::Navigation as N;
        match n {
            N::Allow => Navigation::Allow,
            N::Intercept(outcome) => Navigation::Intercept {
                outcome: outcome.into(),
            },
            N::OpenExternally => Navigation::OpenExternally,
            N::Block => Navigation::Block,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip() {
        for ms in [0, 1_700_000_000_123, -86_400_000] {
            let t = Timestamp::from_unix_millis(ms);
            assert_eq!(system_time_to_timestamp(timestamp_to_system_time(t)), t);
        }
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = ClientConfig {
            api_url: "https://api.example.com".into(),
            client_id: "id".into(),
            client_secret: "hunter2".into(),
            request_timeout_ms: 1000,
            external_app_hosts: vec![],
        };
        assert!(!format!("{config:?}").contains("hunter2"));
        let tokens = SupervisedTokens {
            access_token: "at-secret".into(),
            access_token_expires: Timestamp::from_unix_millis(0),
            login_token: "lt-secret".into(),
            login_token_expires: Timestamp::from_unix_millis(0),
            provider_id: "bank".into(),
            supports_unattended: false,
            label: None,
            subject_id: None,
            completed_via: CodeSource::Poll,
        };
        let text = format!("{tokens:?}");
        assert!(
            !text.contains("at-secret") && !text.contains("lt-secret"),
            "{text}"
        );
    }
}
