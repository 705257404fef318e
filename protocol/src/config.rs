//! Client configuration shared by every flow.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::backoff::RetryPolicy;
use crate::error::Error;
use crate::navigation::NavigationPolicy;
use crate::secret::Secret;
use crate::validate;

/// How to reach the provider and who the app is.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The provider's API root, e.g. `https://api.nordicapigateway.com`. HTTPS unless loopback.
    pub api_url: String,
    /// The partner's client id.
    pub client_id: String,
    /// The partner's client secret.
    pub client_secret: Secret,
    /// Time-out of a single ordinary request (long-polls get their poll window plus this).
    pub request_timeout: Duration,
    /// How transient failures are retried.
    pub retry: RetryPolicy,
    /// Hosts whose links the WebView should hand to the OS (banks' app-link domains); see
    /// [`crate::navigation`].
    pub external_app_hosts: Vec<String>,
    /// Hosts (and their subdomains) the WebView may show besides the flow's own provider page
    /// (the supervised login's `authUrl` host, the connect flow's API host): the banks' login
    /// domains. Any other https page is blocked; see [`crate::navigation`].
    pub web_hosts: Vec<String>,
    /// URL schemes the WebView may hand to the OS (a bank app's scheme such as `bankid`);
    /// every other non-web scheme is blocked. `intent`, `itms-services` and the schemes that
    /// run or read content (`javascript`, `file`, …) cannot be listed.
    pub external_schemes: Vec<String>,
    /// Whether redirects may use a custom URL scheme (`myapp://callback`). Off by default:
    /// any app can register a custom scheme, so https Universal Links / App Links (verified by
    /// the OS against the domain) are the default. Snapshots are checked against it too.
    pub allow_custom_scheme_redirects: bool,
    /// A key (at least 32 characters, e.g. a random base64 string the app keeps in the
    /// Keychain / Keystore) with which every snapshot is sealed (HMAC-SHA256) and checked on
    /// restore, so an edited snapshot is refused; see [`crate::snapshot`]. `None`: snapshots
    /// are unsealed, as before.
    pub snapshot_key: Option<Secret>,
    /// Relay mode ([`ClientConfig::relay`]): `api_url` is the app's relay, which holds the
    /// partner credentials and derives the `userHash`; every request carries
    /// `Authorization: Bearer <app token>` from this source instead of partner headers.
    pub app_token: Option<AppTokenSource>,
}

/// The host's source of the app's own token (a JWT from the integrator's sign-in), presented
/// to the relay in relay mode.
///
/// Called before every request with `force_refresh = false` (return the current token; cache
/// it); after the relay answered `401 InvalidAppToken`, called once with
/// `force_refresh = true` (get a new one), and the request is sent again. A second rejection
/// fails the flow with [`Error::AppTokenRejected`]. An error returned here fails the request
/// with that error. May block (it is called off the async workers).
pub trait AppTokenProvider: Send + Sync {
    /// The app token, fresh from the integrator's back end when `force_refresh` is set.
    fn app_token(&self, force_refresh: bool) -> Result<Secret, Error>;
}

impl<F> AppTokenProvider for F
where
    F: Fn(bool) -> Result<Secret, Error> + Send + Sync,
{
    fn app_token(&self, force_refresh: bool) -> Result<Secret, Error> {
        self(force_refresh)
    }
}

/// A shared [`AppTokenProvider`] (its `Debug` names no token).
#[derive(Clone)]
pub struct AppTokenSource(pub Arc<dyn AppTokenProvider>);

impl AppTokenSource {
    /// Wraps a provider.
    pub fn new(provider: impl AppTokenProvider + 'static) -> Self {
        AppTokenSource(Arc::new(provider))
    }

    /// Asks the provider; an empty token is refused as the provider's fault.
    pub fn token(&self, force_refresh: bool) -> Result<Secret, Error> {
        let token = self.0.app_token(force_refresh)?;
        if token.is_empty() || token.expose().chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::invalid(
                "appToken",
                "the app token provider returned an empty or malformed token",
            ));
        }
        Ok(token)
    }
}

impl fmt::Debug for AppTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppTokenSource")
    }
}

impl ClientConfig {
    /// A configuration with default time-outs and retry policy.
    pub fn new(
        api_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        ClientConfig {
            api_url: api_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            external_app_hosts: Vec::new(),
            web_hosts: Vec::new(),
            external_schemes: Vec::new(),
            allow_custom_scheme_redirects: false,
            snapshot_key: None,
            app_token: None,
        }
    }

    /// Relay mode: the app talks to its own relay (`obauth-relay`) at `relay_url`, which holds
    /// the partner credentials and derives the user from the app token. No client id, no client
    /// secret and no `userHash` on the device; supervised logins take an empty `userHash`.
    pub fn relay(relay_url: impl Into<String>, app_token: impl AppTokenProvider + 'static) -> Self {
        ClientConfig {
            app_token: Some(AppTokenSource::new(app_token)),
            ..ClientConfig::new(relay_url, "", "")
        }
    }

    /// Checks every field and returns the parsed form the flows use.
    pub fn validate(&self) -> Result<Credentials, Error> {
        let api_url = validate::service_url("apiUrl", &self.api_url, true)?;
        if self.app_token.is_some() {
            // The point of relay mode: the partner secret stays on the relay.
            if !self.client_secret.is_empty() {
                return Err(Error::invalid(
                    "clientSecret",
                    "must be empty in relay mode (the relay holds the partner secret)",
                ));
            }
        } else {
            if self.client_id.trim().is_empty() {
                return Err(Error::invalid("clientId", "must not be empty"));
            }
            if self.client_secret.is_empty() {
                return Err(Error::invalid("clientSecret", "must not be empty"));
            }
        }
        if self.request_timeout.is_zero() {
            return Err(Error::invalid("requestTimeout", "must be positive"));
        }
        validate::duration_ms("requestTimeout", self.request_timeout)?;
        if let Some(key) = &self.snapshot_key
            && key.expose().len() < crate::snapshot::MIN_KEY_LEN
        {
            return Err(Error::invalid(
                "snapshotKey",
                "must be at least 32 characters (a random key kept in the Keychain / Keystore)",
            ));
        }
        let navigation = NavigationPolicy::with_external_hosts(&self.external_app_hosts)
            .with_web_hosts(&self.web_hosts)?
            .with_external_schemes(&self.external_schemes)?;
        Ok(Credentials {
            api_url,
            client_id: self.client_id.trim().to_owned(),
            client_secret: self.client_secret.clone(),
            request_timeout: self.request_timeout,
            retry: self.retry,
            navigation,
            allow_custom_scheme_redirects: self.allow_custom_scheme_redirects,
            snapshot_key: self.snapshot_key.clone(),
            app_token: self.app_token.clone(),
        })
    }
}

/// Relay mode, Aiia Data connect: where the user gives consent. The consent page is the
/// provider's own (the relay serves API calls only; a browser has no app token) and names the
/// partner's client id, which is public: it is in every consent URL. The code exchange and the
/// refreshes still go to the relay, which adds the partner's Basic authentication.
#[derive(Clone, Debug)]
pub struct ConsentPage {
    /// The provider's API root serving `/v1/oauth/connect`, e.g.
    /// `https://api.nordicapigateway.com`. HTTPS unless loopback.
    pub api_url: String,
    /// The partner's (public) client id.
    pub client_id: String,
}

impl ConsentPage {
    /// A consent page at `api_url` for `client_id`.
    pub fn new(api_url: impl Into<String>, client_id: impl Into<String>) -> Self {
        ConsentPage {
            api_url: api_url.into(),
            client_id: client_id.into(),
        }
    }

    /// Checks both fields: returns the consent endpoint and the trimmed client id.
    pub fn validate(&self) -> Result<(Url, String), Error> {
        let root = validate::service_url("apiUrl", &self.api_url, true)?;
        let client_id = self.client_id.trim();
        if client_id.is_empty() {
            return Err(Error::invalid("clientId", "must not be empty"));
        }
        if client_id.chars().any(char::is_control) {
            return Err(Error::invalid("clientId", "contains control characters"));
        }
        let connect = root
            .join("v1/oauth/connect")
            .map_err(|_| Error::invalid("apiUrl", "cannot hold the consent path"))?;
        Ok((connect, client_id.to_owned()))
    }
}

/// Validated client configuration, as the flows use it.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// API root; its path ends with `/`.
    pub api_url: Url,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: Secret,
    /// Single-request time-out.
    pub request_timeout: Duration,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// WebView navigation rules.
    pub navigation: NavigationPolicy,
    /// Whether redirects may use a custom URL scheme ([`ClientConfig::allow_custom_scheme_redirects`]).
    pub allow_custom_scheme_redirects: bool,
    /// The snapshot integrity key ([`ClientConfig::snapshot_key`]).
    pub snapshot_key: Option<Secret>,
    /// Relay mode: the app token's source (the driver adds the bearer header).
    pub app_token: Option<AppTokenSource>,
}

impl Credentials {
    /// `X-Client-Id` / `X-Client-Secret`, the partner authentication every Aiia Enterprise call
    /// carries. In relay mode only `Accept`: the relay adds the partner authentication, the
    /// driver the app token.
    pub fn partner_headers(&self) -> Vec<(&'static str, Secret)> {
        if self.is_relay() {
            return vec![("accept", Secret::new("application/json"))];
        }
        vec![
            ("x-client-id", Secret::new(self.client_id.clone())),
            ("x-client-secret", self.client_secret.clone()),
            ("accept", Secret::new("application/json")),
        ]
    }

    /// Whether this client talks to a relay ([`ClientConfig::relay`]).
    pub fn is_relay(&self) -> bool {
        self.app_token.is_some()
    }

    /// Checks a flow's redirect against the custom-scheme opt-in: an https (or loopback http)
    /// redirect always passes; a custom scheme only with
    /// [`ClientConfig::allow_custom_scheme_redirects`].
    pub fn check_redirect_scheme(
        &self,
        field: &'static str,
        redirect: &crate::redirect::RedirectPattern,
    ) -> Result<(), Error> {
        if redirect.is_custom_scheme() && !self.allow_custom_scheme_redirects {
            return Err(Error::invalid(
                field,
                "custom URL scheme redirects need allowCustomSchemeRedirects; use an https \
                 Universal Link / App Link",
            ));
        }
        Ok(())
    }

    /// An endpoint under the API root (`path` has no leading slash).
    pub fn endpoint(&self, path: &str) -> Url {
        // The root is validated and ends in '/', and callers pass fixed relative paths.
        self.api_url
            .join(path)
            .unwrap_or_else(|_| self.api_url.clone())
    }
}
