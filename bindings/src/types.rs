//! What the core shapes differently for Rust callers, as the host sees it, with a `From`
//! conversion each: millisecond numbers for `Duration`s and optional parameters
//! ([`ClientConfig`], the params), the flat [`SupervisedTokens`]; and `#[uniffi::remote]`
//! declarations of core types exported as they are, in this component (Kotlin `dev.obauth.ffi`),
//! the core's tuple variants with field names ([`RedirectOutcome`], [`Navigation`]).
//! Everything else crosses as the core's own type (see the crate docs).

use std::collections::HashMap;
use std::time::Duration;

use obauth::supervised::LoginToken;
use obauth::{AccessSession, ClientAuth, CodeSource, Error, Secret, Timestamp};
pub use obauth::{ClientCredentialsConfig, IgnoredReason, Navigation, PkceConfig, RedirectOutcome};

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

/// A public client of an OpenID Connect provider (authorization code + PKCE; no secret).
#[uniffi::remote(Record)]
pub struct PkceConfig {
    /// The issuer, e.g. `https://auth.apiture.com/oidc`; endpoints come from its discovery
    /// document.
    pub issuer: String,
    /// The public client id.
    pub client_id: String,
}

/// A confidential client using the client-credentials grant (Aritma, Apiture). Give exactly
/// one of `token_url` and `issuer`.
#[uniffi::remote(Record)]
pub struct ClientCredentialsConfig {
    /// Client id.
    pub client_id: String,
    /// Client secret. It goes into the core and never comes back out.
    pub client_secret: Secret,
    /// `Post` (`client_secret_post`) or `Basic` (`client_secret_basic`); `None` is refused.
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
    /// Hosts (subdomains included) the WebView may show besides the flow's own provider page
    /// and the app's redirect domain: the banks' login domains. Any other page is blocked.
    #[uniffi(default = [])]
    pub web_hosts: Vec<String>,
    /// URL schemes the WebView may hand to the OS (a bank app's scheme such as `bankid`);
    /// every other non-web scheme is blocked (`intent` and `itms-services` always).
    #[uniffi(default = [])]
    pub external_schemes: Vec<String>,
    /// Whether redirects may use a custom URL scheme; off: https Universal Links / App Links.
    #[uniffi(default = false)]
    pub allow_custom_scheme_redirects: bool,
    /// A key of at least 32 characters (random, kept in the Keychain / Keystore) that seals
    /// every snapshot (HMAC-SHA256): an edited snapshot is refused on restore. `null`/`nil`:
    /// snapshots are unsealed.
    #[uniffi(default = None)]
    pub snapshot_key: Option<Secret>,
}

impl From<ClientConfig> for obauth::ClientConfig {
    fn from(c: ClientConfig) -> Self {
        obauth::ClientConfig {
            request_timeout: Duration::from_millis(c.request_timeout_ms),
            external_app_hosts: c.external_app_hosts,
            web_hosts: c.web_hosts,
            external_schemes: c.external_schemes,
            allow_custom_scheme_redirects: c.allow_custom_scheme_redirects,
            snapshot_key: c.snapshot_key,
            ..obauth::ClientConfig::new(c.api_url, c.client_id, c.client_secret)
        }
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
        let (d, ms) = (
            Self::new(p.user_hash, p.redirect_url),
            Duration::from_millis,
        );
        obauth::SupervisedLoginParams {
            poll_timeout: p.poll_timeout_ms.map_or(d.poll_timeout, ms),
            timeout: p.timeout_ms.map_or(d.timeout, ms),
            ..d
        }
    }
}

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
    /// OpenID Connect `prompt` (`none`, `login`, `consent`, `select_account`, space-delimited);
    /// `null`/`nil`: none, except `consent` for a PKCE scope with `offline_access` (OIDC Core
    /// §11: providers grant offline access only then).
    #[uniffi(default = None)]
    pub prompt: Option<String>,
    /// OpenID Connect `login_hint`: pre-fills the user's name at the provider.
    #[uniffi(default = None)]
    pub login_hint: Option<String>,
    /// OpenID Connect `ui_locales`: space-delimited language tags, most preferred first.
    #[uniffi(default = None)]
    pub ui_locales: Option<String>,
    /// OpenID Connect `max_age` in seconds: the longest time since the user last signed in.
    #[uniffi(default = None)]
    pub max_age_seconds: Option<u64>,
    /// OpenID Connect `acr_values`: space-delimited authentication context classes.
    #[uniffi(default = None)]
    pub acr_values: Option<String>,
    /// Any other authorize parameter the provider documents. The flow's own (`state`,
    /// `code_challenge`, `redirect_uri`, `client_id`, `response_type`, `scope`, `nonce`, …) and
    /// the named ones above are refused with an invalid-input error before any request.
    #[uniffi(default)]
    pub extra_params: HashMap<String, String>,
    /// Whether the connect flow sends an S256 PKCE challenge (default); `false` only for a
    /// provider that rejects PKCE. The PKCE flow always uses it.
    #[uniffi(default = true)]
    pub pkce: bool,
}

impl From<AuthorizationParams> for obauth::AuthorizationParams {
    fn from(p: AuthorizationParams) -> Self {
        let (d, ms) = (Self::new(p.redirect_uri), Duration::from_millis);
        obauth::AuthorizationParams {
            pkce: p.pkce,
            redirect_pattern: p.redirect_pattern,
            scope: p.scope,
            timeout: p.timeout_ms.map_or(d.timeout, ms),
            code_lifetime: p.code_lifetime_ms.map_or(d.code_lifetime, ms),
            extras: obauth::AuthorizeExtras {
                prompt: p.prompt,
                login_hint: p.login_hint,
                ui_locales: p.ui_locales,
                max_age_seconds: p.max_age_seconds,
                acr_values: p.acr_values,
                params: p.extra_params.into_iter().collect(),
            },
            ..d
        }
    }
}

/// The result of a supervised login. The tokens are `Secret`s: printing the record shows
/// `[redacted]`; `expose()` gives the value for secure storage and the `Authorization` header.
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
            login_token: t.login.token,
            login_token_expires: t.login.expires,
            provider_id: t.provider_id,
            supports_unattended: t.login.supports_unattended,
            label: t.login.label,
            subject_id: t.login.subject_id,
            completed_via: t.completed_via,
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

/// What the core did with a URL the host handed it.
#[uniffi::remote(Enum)]
pub enum RedirectOutcome {
    /// Not this flow's redirect: handle the URL as the app normally would.
    NotForThisFlow,
    /// The redirect carried a code; the exchange has started.
    CodeAccepted,
    /// The redirect reported an error from the provider; the flow has ended with it.
    ProviderError(
        /// The provider's error.
        #[uniffi(name = "error")]
        Error,
    ),
    /// The redirect belongs to this flow but changes nothing.
    Ignored(
        /// Why.
        #[uniffi(name = "reason")]
        IgnoredReason,
    ),
    /// The redirect matched but was refused (malformed, forged or missing state, no code); the
    /// flow goes on waiting for a valid one.
    Rejected(
        /// Why it was refused.
        #[uniffi(name = "error")]
        Error,
    ),
}

/// What the WebView should do with a URL it is about to load.
#[uniffi::remote(Enum)]
pub enum Navigation {
    /// Load it in the WebView.
    Allow,
    /// Do not load it: it is this flow's redirect, already handed to the flow.
    Intercept(
        /// What the flow did with it.
        #[uniffi(name = "outcome")]
        RedirectOutcome,
    ),
    /// Do not load it in the WebView; ask the OS to open it (bank app, phone, mail).
    OpenExternally,
    /// Do not load it at all.
    Block,
}
