//! Plain data crossing the boundary: configuration, states, results, navigation decisions.
//!
//! Simple core enums are exposed as they are (`#[uniffi::remote]`: the compiler checks the copy
//! against the core's definition). Types with fields the FFI cannot carry (core errors,
//! `Timestamp`, `AccessSession`, `Secret`) get a mirror here plus a `From` conversion, and
//! nothing else: no decision is made in this file.
//!
//! Instants are UniFFI timestamps: `java.time.Instant` in Kotlin, `Date` in Swift.
//!
//! **Secrets cross as [`Secret`]** (client secrets; access, refresh, ID and login tokens): a
//! UniFFI custom type that `uniffi.toml` maps to the hand-written `dev.obauth.Secret` (Kotlin)
//! and `Secret` (Swift), which print `[redacted]` and give the value only through `expose()`. So
//! a record's generated `toString()` / `description` never prints a secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use obauth::supervised::LoginToken;
use obauth::{AccessSession, Secret, Timestamp};
pub use obauth::{CancelOrigin, CodeSource, IgnoredReason};

use crate::error::ObAuthError;

// --- secrets ---------------------------------------------------------------------------------

uniffi::custom_type!(Secret, String, {
    remote,
    lower: |s| s.expose().to_owned(),
    try_lift: |s| Ok(Secret::new(s)),
});

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
    Timestamp::from_system_time(t)
}

// --- configuration ---------------------------------------------------------------------------

/// How to reach the provider and who the app is.
#[derive(Clone, Debug, uniffi::Record)]
pub struct ClientConfig {
    /// The provider's API root, e.g. `https://api.nordicapigateway.com`. HTTPS unless loopback.
    pub api_url: String,
    /// The partner's client id.
    pub client_id: String,
    /// The partner's client secret. It goes into the core and never comes back out.
    pub client_secret: Secret,
    /// Time-out of a single ordinary request, in milliseconds (long-polls get their poll window
    /// on top). Default 30 000.
    #[uniffi(default = 30000)]
    pub request_timeout_ms: u64,
    /// Hosts whose links the WebView hands to the OS (banks' Universal Link / App Link domains,
    /// subdomains included).
    #[uniffi(default = [])]
    pub external_app_hosts: Vec<String>,
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
/// The tokens are [`Secret`]s: printing the record shows `[redacted]`; `expose()` gives the value
/// for secure storage (Keychain / Keystore) and the `Authorization` header.
#[derive(Clone, Debug, uniffi::Record)]
pub struct SupervisedTokens {
    /// The session access token (`Authorization: Bearer …` on the session API).
    pub access_token: Secret,
    /// Its expiry at sign-in. It slides: every session API answer may move it
    /// (`X-Access-Token-Expires`).
    pub access_token_expires: Timestamp,
    /// The long-lived login token.
    pub login_token: Secret,
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

impl From<obauth::SupervisedTokens> for SupervisedTokens {
    fn from(t: obauth::SupervisedTokens) -> Self {
        SupervisedTokens {
            access_token: t.session.token().clone(),
            access_token_expires: t.session.expires(),
            login_token: t.login.token.clone(),
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

// --- authorization-code flows (connect, PKCE) -------------------------------------------------

/// What an authorization-code flow (Aiia Data connect, PKCE) asks for.
#[derive(Clone, Debug, uniffi::Record)]
pub struct AuthorizationParams {
    /// The redirect URI sent to the provider (a Universal Link / App Link, or loopback).
    pub redirect_uri: String,
    /// The registered pattern the redirect is recognised by: a URL, or a URL prefix ending in
    /// `/` plus an asterisk for any path below it (e.g. the Aiia pattern for
    /// `https://mydomain.com/aiia-callback/`); `null`/`nil`: `redirectUri` itself. (No literal
    /// pattern here: it would open a comment in the generated Kotlin.)
    #[uniffi(default = None)]
    pub redirect_pattern: Option<String>,
    /// Requested scopes, space-delimited; `null`/`nil`: `accounts offline_access` for connect,
    /// `openid` for PKCE.
    #[uniffi(default = None)]
    pub scope: Option<String>,
    /// Overall deadline in milliseconds from start to tokens; `null`/`nil`: 15 minutes.
    #[uniffi(default = None)]
    pub timeout_ms: Option<u64>,
    /// How long a received code can still be exchanged, in milliseconds; `null`/`nil`: one
    /// minute (Aiia's code lifetime).
    #[uniffi(default = None)]
    pub code_lifetime_ms: Option<u64>,
}

impl From<AuthorizationParams> for obauth::AuthorizationParams {
    fn from(p: AuthorizationParams) -> Self {
        let mut params = obauth::AuthorizationParams::new(p.redirect_uri);
        params.redirect_pattern = p.redirect_pattern;
        params.scope = p.scope;
        if let Some(ms) = p.timeout_ms {
            params.timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = p.code_lifetime_ms {
            params.code_lifetime = Duration::from_millis(ms);
        }
        params
    }
}

/// The states of an authorization-code flow (connect, PKCE), as a UI renders them. Terminal:
/// `Authenticated`, `Failed`, `Cancelled`, `TimedOut`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum AuthorizationState {
    /// Built, not started.
    Created,
    /// Load `authorize_url` in the WebView and wait for the redirect.
    AwaitingUser {
        /// The URL to load (the provider may answer it with a redirect the WebView follows).
        authorize_url: String,
    },
    /// A valid redirect with a code arrived; the exchange starts at once.
    CodeReceived,
    /// Exchanging the code for tokens.
    Exchanging,
    /// Done: `awaitTokens()` returns the tokens.
    Authenticated {
        /// When the access token expires, if the provider said.
        expires_at: Option<Timestamp>,
        /// Granted scopes, if the provider said.
        scope: Option<String>,
        /// Aiia's consent id (connect flow).
        consent_id: Option<String>,
        /// Whether a refresh token came with the tokens.
        refreshable: bool,
    },
    /// Ended with an error; its category says what to do next.
    Failed {
        /// What went wrong.
        error: ObAuthError,
    },
    /// Cancelled by the user (declined at the provider) or by the app.
    Cancelled {
        /// Who cancelled.
        by: CancelOrigin,
    },
    /// The overall deadline passed.
    TimedOut,
}

impl From<obauth::AuthorizationState> for AuthorizationState {
    fn from(state: obauth::AuthorizationState) -> Self {
        use obauth::AuthorizationState as S;
        match state {
            S::Created => AuthorizationState::Created,
            S::AwaitingUser { authorize_url } => AuthorizationState::AwaitingUser { authorize_url },
            S::CodeReceived => AuthorizationState::CodeReceived,
            S::Exchanging => AuthorizationState::Exchanging,
            S::Authenticated {
                expires_at,
                scope,
                consent_id,
                refreshable,
            } => AuthorizationState::Authenticated {
                expires_at,
                scope,
                consent_id,
                refreshable,
            },
            S::Failed { error } => AuthorizationState::Failed {
                error: error.into(),
            },
            S::Cancelled { by } => AuthorizationState::Cancelled { by },
            S::TimedOut => AuthorizationState::TimedOut,
        }
    }
}

/// Tokens from a token endpoint: the result of a connect or PKCE flow, and what a
/// `TokenManager` hands out.
///
/// The tokens are [`Secret`]s: printing the record shows `[redacted]`; `expose()` gives the value
/// for secure storage (Keychain / Keystore) and the `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TokenSet {
    /// The access token.
    pub access_token: Secret,
    /// Usually `Bearer`: the scheme in front of the token in `Authorization`.
    #[uniffi(default = "Bearer")]
    pub token_type: String,
    /// When the access token expires, if the provider said.
    #[uniffi(default = None)]
    pub expires_at: Option<Timestamp>,
    /// The refresh token, if any (client credentials have none).
    #[uniffi(default = None)]
    pub refresh_token: Option<Secret>,
    /// Granted scopes (space-delimited), if the provider said.
    #[uniffi(default = None)]
    pub scope: Option<String>,
    /// The OpenID Connect ID token, if any.
    #[uniffi(default = None)]
    pub id_token: Option<Secret>,
    /// Aiia Data's consent id (from the connect redirect), if any.
    #[uniffi(default = None)]
    pub consent_id: Option<String>,
}

impl From<obauth::TokenSet> for TokenSet {
    fn from(t: obauth::TokenSet) -> Self {
        TokenSet {
            access_token: t.access_token,
            token_type: t.token_type,
            expires_at: t.expires_at,
            refresh_token: t.refresh_token,
            scope: t.scope,
            id_token: t.id_token,
            consent_id: t.consent_id,
        }
    }
}

impl From<TokenSet> for obauth::TokenSet {
    fn from(t: TokenSet) -> Self {
        obauth::TokenSet {
            access_token: t.access_token,
            token_type: t.token_type,
            expires_at: t.expires_at,
            refresh_token: t.refresh_token,
            scope: t.scope,
            id_token: t.id_token,
            consent_id: t.consent_id,
        }
    }
}

impl From<SupervisedTokens> for obauth::SupervisedTokens {
    fn from(t: SupervisedTokens) -> Self {
        obauth::SupervisedTokens {
            session: AccessSession::new(t.access_token, t.access_token_expires),
            login: LoginToken {
                token: t.login_token,
                expires: t.login_token_expires,
                provider_id: t.provider_id.clone(),
                supports_unattended: t.supports_unattended,
                label: t.label,
                subject_id: t.subject_id,
            },
            provider_id: t.provider_id,
            completed_via: t.completed_via,
        }
    }
}

// --- OAuth 2.0 / OpenID Connect clients ------------------------------------------------------

/// A public client of an OpenID Connect provider (authorization code + PKCE; no secret).
#[derive(Clone, Debug, uniffi::Record)]
pub struct PkceConfig {
    /// The issuer, e.g. `https://auth.apiture.com/oidc`; endpoints come from its discovery
    /// document.
    pub issuer: String,
    /// The public client id.
    pub client_id: String,
}

impl From<PkceConfig> for obauth::PkceConfig {
    fn from(c: PkceConfig) -> Self {
        obauth::PkceConfig {
            issuer: c.issuer,
            client_id: c.client_id,
        }
    }
}

/// How a confidential client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ClientAuth {
    /// `client_secret_post`: id and secret as form fields (Aritma).
    Post,
    /// `client_secret_basic`: an HTTP Basic header (Apiture).
    Basic,
}

impl From<ClientAuth> for obauth::ClientAuth {
    fn from(a: ClientAuth) -> Self {
        match a {
            ClientAuth::Post => obauth::ClientAuth::Post,
            ClientAuth::Basic => obauth::ClientAuth::Basic,
        }
    }
}

/// A confidential client using the client-credentials grant (Aritma, Apiture). Give exactly
/// one of `token_url` and `issuer`.
#[derive(Clone, Debug, uniffi::Record)]
pub struct ClientCredentialsConfig {
    /// Client id.
    pub client_id: String,
    /// Client secret. It goes into the core and never comes back out.
    pub client_secret: Secret,
    /// How the client authenticates: `Post` (`client_secret_post`) or `Basic`
    /// (`client_secret_basic`).
    pub client_auth: ClientAuth,
    /// The token endpoint, if known (e.g. `https://id.aritma.io/connect/token`) …
    #[uniffi(default = None)]
    pub token_url: Option<String>,
    /// … or the issuer to discover it from (`{issuer}/.well-known/openid-configuration`).
    #[uniffi(default = None)]
    pub issuer: Option<String>,
    /// Requested scopes, space-delimited; `null`/`nil`: what the provider grants by default.
    #[uniffi(default = None)]
    pub scope: Option<String>,
}

impl From<ClientCredentialsConfig> for obauth::ClientCredentialsConfig {
    fn from(c: ClientCredentialsConfig) -> Self {
        obauth::ClientCredentialsConfig {
            token_url: c.token_url,
            issuer: c.issuer,
            client_id: c.client_id,
            client_secret: c.client_secret,
            scope: c.scope,
            client_auth: c.client_auth.into(),
        }
    }
}

/// The parts of an issuer's discovery document the flows use.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ProviderMetadata {
    /// The issuer identifier.
    pub issuer: String,
    /// Where to send the user (authorization-code flows), if advertised.
    pub authorization_endpoint: Option<String>,
    /// Where to get tokens.
    pub token_endpoint: String,
    /// Supported PKCE methods, if advertised.
    pub code_challenge_methods_supported: Vec<String>,
    /// Supported client authentication methods, if advertised.
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

impl From<obauth::oauth::discovery::ProviderMetadata> for ProviderMetadata {
    fn from(m: obauth::oauth::discovery::ProviderMetadata) -> Self {
        ProviderMetadata {
            issuer: m.issuer,
            authorization_endpoint: m.authorization_endpoint,
            token_endpoint: m.token_endpoint,
            code_challenge_methods_supported: m.code_challenge_methods_supported,
            token_endpoint_auth_methods_supported: m.token_endpoint_auth_methods_supported,
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

    #[test]
    fn token_sets_round_trip_and_hide_secrets() {
        let ffi = TokenSet {
            access_token: "at-secret".into(),
            token_type: "Bearer".into(),
            expires_at: Some(Timestamp::from_unix_millis(1_700_000_000_123)),
            refresh_token: Some("rt-secret".into()),
            scope: Some("accounts offline_access".into()),
            id_token: Some("id-secret".into()),
            consent_id: Some("consent".into()),
        };
        let core = obauth::TokenSet::from(ffi.clone());
        assert_eq!(
            core.refresh_token.as_ref().map(Secret::expose),
            Some("rt-secret")
        );
        assert_eq!(TokenSet::from(core), ffi);
        let text = format!("{ffi:?}");
        for secret in ["at-secret", "rt-secret", "id-secret"] {
            assert!(!text.contains(secret), "{text}");
        }
        let config = ClientCredentialsConfig {
            client_id: "id".into(),
            client_secret: "hunter2".into(),
            client_auth: ClientAuth::Basic,
            token_url: None,
            issuer: Some("https://id.example.com".into()),
            scope: None,
        };
        assert!(!format!("{config:?}").contains("hunter2"));
        let core = obauth::ClientCredentialsConfig::from(config);
        assert_eq!(core.client_auth, obauth::ClientAuth::Basic);
        assert_eq!(core.client_secret.expose(), "hunter2");
    }

    #[test]
    fn authorization_params_keep_the_core_defaults_unless_given() {
        let defaults = obauth::AuthorizationParams::new("https://app.example.com/cb");
        let params = obauth::AuthorizationParams::from(AuthorizationParams {
            redirect_uri: "https://app.example.com/cb".into(),
            redirect_pattern: None,
            scope: None,
            timeout_ms: None,
            code_lifetime_ms: None,
        });
        assert_eq!(params.timeout, defaults.timeout);
        assert_eq!(params.code_lifetime, defaults.code_lifetime);
        let params = obauth::AuthorizationParams::from(AuthorizationParams {
            redirect_uri: "https://app.example.com/cb/x".into(),
            redirect_pattern: Some("https://app.example.com/cb/*".into()),
            scope: Some("accounts".into()),
            timeout_ms: Some(5_000),
            code_lifetime_ms: Some(2_000),
        });
        assert_eq!(params.timeout, Duration::from_secs(5));
        assert_eq!(params.code_lifetime, Duration::from_secs(2));
        assert_eq!(
            params.redirect_pattern.as_deref(),
            Some("https://app.example.com/cb/*")
        );
    }

    #[test]
    fn supervised_tokens_convert_back_for_session_tokens() {
        let expires = Timestamp::from_unix_millis(1_700_000_000_000);
        let ffi = SupervisedTokens {
            access_token: "at".into(),
            access_token_expires: expires,
            login_token: "lt".into(),
            login_token_expires: Timestamp::from_unix_millis(1_800_000_000_000),
            provider_id: "bank".into(),
            supports_unattended: true,
            label: Some("label".into()),
            subject_id: None,
            completed_via: CodeSource::Redirect,
        };
        let core = obauth::SupervisedTokens::from(ffi);
        assert_eq!(core.session.token().expose(), "at");
        assert_eq!(core.session.expires(), expires);
        assert_eq!(core.login.token.expose(), "lt");
        assert!(core.login.supports_unattended);
        assert_eq!(SupervisedTokens::from(core).label.as_deref(), Some("label"));
    }
}
