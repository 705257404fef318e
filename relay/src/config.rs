//! What a relay runs with: [`RelayConfig`], its parts, the [`Secret`] wrapper, and reading the
//! credentials from their documented environment variables.

use std::fmt;
use std::time::Duration;

use url::Url;
use zeroize::Zeroize;

/// The partner client id: `OBAUTH_CLIENT_ID`.
pub const ENV_CLIENT_ID: &str = "OBAUTH_CLIENT_ID";
/// The partner client secret: `OBAUTH_CLIENT_SECRET`.
pub const ENV_CLIENT_SECRET: &str = "OBAUTH_CLIENT_SECRET";
/// The relay's own key (derives user hashes, seals session handles): `OBAUTH_RELAY_KEY`.
pub const ENV_RELAY_KEY: &str = "OBAUTH_RELAY_KEY";

/// Shortest accepted relay key and HS256 app-token secret, in bytes (RFC 7518 §3.2: a key of
/// the hash's size or larger).
pub const MIN_KEY_BYTES: usize = 32;

/// A configuration problem, found before anything is served. The message never contains a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

pub(crate) fn config_error(message: impl Into<String>) -> ConfigError {
    ConfigError(message.into())
}

/// Bytes that must never be printed: `Debug` shows `Secret([redacted])`, and the bytes are zeroed
/// on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<Vec<u8>>) -> Self {
        Secret(value.into())
    }

    /// The bytes. Only for where they are used (a header, a key schedule).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value.into_bytes())
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.as_bytes().to_vec())
    }
}

/// The partner's credentials at the provider. Only the relay holds them.
#[derive(Clone, Debug)]
pub struct PartnerCredentials {
    /// `X-Client-Id` (and the Basic user name at `/v1/oauth/token`).
    pub client_id: String,
    /// `X-Client-Secret` (and the Basic password).
    pub client_secret: Secret,
}

impl PartnerCredentials {
    /// Reads [`ENV_CLIENT_ID`] and [`ENV_CLIENT_SECRET`]; both must be set and non-empty.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(PartnerCredentials {
            client_id: env_required(ENV_CLIENT_ID)?,
            client_secret: Secret::from(env_required(ENV_CLIENT_SECRET)?),
        })
    }
}

/// Reads [`ENV_RELAY_KEY`] (at least [`MIN_KEY_BYTES`] bytes).
pub fn relay_key_from_env() -> Result<Secret, ConfigError> {
    Ok(Secret::from(env_required(ENV_RELAY_KEY)?))
}

/// Reads a secret from the environment variable `var` (for `--jwt-hs256-secret-env VAR`).
pub fn secret_from_env(var: &str) -> Result<Secret, ConfigError> {
    Ok(Secret::from(env_required(var)?))
}

fn env_required(var: &str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v),
        Ok(_) => Err(config_error(format!("{var} is empty"))),
        Err(std::env::VarError::NotPresent) => Err(config_error(format!("{var} is not set"))),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(config_error(format!("{var} is not valid UTF-8")))
        }
    }
}

/// How the app's own tokens (the `Authorization: Bearer` JWTs) are verified.
#[derive(Clone, Debug)]
pub enum AppTokenKey {
    /// HS256 with a shared secret (at least [`MIN_KEY_BYTES`] bytes).
    Hs256(Secret),
    /// A PEM public key (`PUBLIC KEY`, `RSA PUBLIC KEY` or a `CERTIFICATE`): RSA (RS256) or EC
    /// P-256 (ES256), told apart by the key itself. A private key is refused.
    PublicKeyPem(Vec<u8>),
    /// A JWKS document (RS256 and ES256 keys), fetched on first use, cached, and fetched again
    /// when a token names an unknown `kid` (at most once per
    /// [`Limits::jwks_min_refresh_interval`]) or the copy is older than
    /// [`Limits::jwks_max_age`].
    JwksUrl(Url),
}

/// App-token verification: the key and the optional `iss` / `aud` requirements.
#[derive(Clone, Debug)]
pub struct AppTokenConfig {
    /// The verification key.
    pub key: AppTokenKey,
    /// When set, `iss` must be present and equal.
    pub issuer: Option<String>,
    /// When set, `aud` must be present and contain it. When not set, a token carrying `aud`
    /// is accepted regardless of its value.
    pub audience: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`.
    pub leeway: Duration,
}

impl AppTokenConfig {
    /// A configuration with no `iss`/`aud` requirement and 30 s of leeway.
    pub fn new(key: AppTokenKey) -> Self {
        AppTokenConfig {
            key,
            issuer: None,
            audience: None,
            leeway: Duration::from_secs(30),
        }
    }
}

/// The per-subject rate limit: a token bucket per verified subject, **per relay instance** (the
/// relay keeps no shared store; with N instances behind a balancer a subject gets up to N times
/// this). Exceeding it gets `429` with `Retry-After`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Requests a subject may make at once (the bucket's size).
    pub burst: u32,
    /// Sustained requests per minute (the refill rate).
    pub per_minute: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            burst: 30,
            per_minute: 120,
        }
    }
}

/// Bounds and timeouts.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted (`413` beyond).
    pub max_body_bytes: usize,
    /// Largest upstream response body accepted (`502` beyond).
    pub max_upstream_body_bytes: usize,
    /// `pollTimeout` larger than this is lowered to it before the request goes upstream.
    pub max_poll_timeout: Duration,
    /// Time allowed for one upstream request (plus the `pollTimeout` for a long poll).
    pub upstream_timeout: Duration,
    /// How long a sealed session handle stays valid after initialize.
    pub handle_ttl: Duration,
    /// The per-subject rate limit; `None` disables it.
    pub rate_limit: Option<RateLimit>,
    /// Least time between two JWKS fetches triggered by unknown `kid`s.
    pub jwks_min_refresh_interval: Duration,
    /// A JWKS copy older than this is fetched again before use.
    pub jwks_max_age: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024,
            max_upstream_body_bytes: 1024 * 1024,
            max_poll_timeout: Duration::from_secs(30),
            upstream_timeout: Duration::from_secs(15),
            handle_ttl: Duration::from_secs(30 * 60),
            rate_limit: Some(RateLimit::default()),
            jwks_min_refresh_interval: Duration::from_secs(30),
            jwks_max_age: Duration::from_secs(15 * 60),
        }
    }
}

impl Limits {
    /// The longest a request can legitimately take: a capped long poll plus the upstream
    /// allowance. Requests are cut off (`504`) a little after it.
    pub fn request_deadline(&self) -> Duration {
        self.max_poll_timeout + self.upstream_timeout + Duration::from_secs(5)
    }
}

/// Everything a [`crate::Relay`] needs.
#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// The provider's API base, e.g. `https://api.nordicapigateway.com`. Must be `https`, or
    /// `http` on a loopback address (tests, a local sandbox).
    pub upstream: Url,
    /// The partner credentials.
    pub credentials: PartnerCredentials,
    /// The relay's key (at least [`MIN_KEY_BYTES`] bytes). Every instance serving the same users
    /// must have the same key, and it must not change: user hashes derive from it, so a new key
    /// means new user hashes (the users' stored bank logins are no longer reachable).
    pub relay_key: Secret,
    /// App-token verification.
    pub app_token: AppTokenConfig,
    /// Allowed `redirectUrl` / `redirect_uri` values: exact URLs, or `scheme://host[:port]/path/*`
    /// (any path below `/path/`).
    pub allow_redirects: Vec<String>,
    /// Bounds and timeouts.
    pub limits: Limits,
}

impl RelayConfig {
    /// A configuration with default [`Limits`] and no allowed redirects yet.
    pub fn new(
        upstream: Url,
        credentials: PartnerCredentials,
        relay_key: Secret,
        app_token: AppTokenConfig,
    ) -> Self {
        RelayConfig {
            upstream,
            credentials,
            relay_key,
            app_token,
            allow_redirects: Vec::new(),
            limits: Limits::default(),
        }
    }
}

/// Whether `url` is `https`, or `http` to a loopback address.
pub(crate) fn is_secure_or_loopback(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let creds = PartnerCredentials {
            client_id: "id".into(),
            client_secret: Secret::from("very-secret-value"),
        };
        let text = format!("{creds:?}");
        assert!(!text.contains("very-secret-value"), "{text}");
        let key = AppTokenKey::Hs256(Secret::from("hs-secret-value"));
        assert!(!format!("{key:?}").contains("hs-secret-value"));
    }

    #[test]
    fn loopback_rule() {
        let ok = ["https://x.example/", "http://127.0.0.1:9/", "http://[::1]/"];
        for u in ok {
            assert!(is_secure_or_loopback(&Url::parse(u).unwrap()), "{u}");
        }
        let bad = ["http://x.example/", "http://10.0.0.1/", "ftp://127.0.0.1/"];
        for u in bad {
            assert!(!is_secure_or_loopback(&Url::parse(u).unwrap()), "{u}");
        }
    }
}
