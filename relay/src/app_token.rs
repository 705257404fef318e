//! Verifying the app's own token: `Authorization: Bearer <JWT>` issued by the integrator's
//! sign-in.
//!
//! Accepted: HS256 with the shared secret, or RS256/ES256 with a PEM public key or a key from
//! the JWKS. The header's `alg` must be the key's algorithm (no `none`, no HS256 with a public
//! key as the secret). `exp` and `sub` (a non-empty string) are required; `nbf` is honoured when
//! present; `iss` and `aud` are required and checked when configured. Every failure is the same
//! [`Rejected`] to the caller (`401 InvalidAppToken`); the reason goes to the debug log, never
//! the token.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use url::Url;

use crate::config::{
    AppTokenConfig, AppTokenKey, ConfigError, Limits, MIN_KEY_BYTES, config_error,
    is_secure_or_loopback,
};

/// Longest token accepted, in bytes.
const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Largest JWKS document accepted, in bytes.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// A verified token's identity.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    /// The token's `iss`, or `""` when it has none.
    pub issuer: String,
    /// The token's `sub`.
    pub subject: String,
}

/// The token is missing, malformed, expired, or not signed by a trusted key.
#[derive(Debug)]
pub(crate) struct Rejected(pub &'static str);

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    iss: Option<String>,
}

#[derive(Clone)]
struct KeyEntry {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

enum Keys {
    Static(KeyEntry),
    Jwks(Jwks),
}

pub(crate) struct Verifier {
    keys: Keys,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: Duration,
}

impl Verifier {
    pub fn new(
        config: &AppTokenConfig,
        limits: &Limits,
        http: reqwest::Client,
    ) -> Result<Self, ConfigError> {
        let keys = match &config.key {
            AppTokenKey::Hs256(secret) => {
                if secret.len() < MIN_KEY_BYTES {
                    return Err(config_error(format!(
                        "the HS256 app-token secret must be at least {MIN_KEY_BYTES} bytes"
                    )));
                }
                Keys::Static(KeyEntry {
                    kid: None,
                    alg: Algorithm::HS256,
                    key: DecodingKey::from_secret(secret.expose()),
                })
            }
            AppTokenKey::PublicKeyPem(pem) => {
                if pem.windows(11).any(|w| w == b"PRIVATE KEY") {
                    return Err(config_error(
                        "the app-token key file holds a private key: give the relay the public \
                         key (or certificate) only",
                    ));
                }
                let (alg, key) = if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
                    (Algorithm::RS256, key)
                } else if let Ok(key) = DecodingKey::from_ec_pem(pem) {
                    (Algorithm::ES256, key)
                } else {
                    return Err(config_error(
                        "the app-token public key is not a PEM RSA or EC public key",
                    ));
                };
                Keys::Static(KeyEntry {
                    kid: None,
                    alg,
                    key,
                })
            }
            AppTokenKey::JwksUrl(url) => {
                if !is_secure_or_loopback(url) {
                    return Err(config_error(
                        "the JWKS URL must be https (or http on a loopback address)",
                    ));
                }
                Keys::Jwks(Jwks::new(url.clone(), http, limits))
            }
        };
        Ok(Verifier {
            keys,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway: config.leeway,
        })
    }

    /// Fetches the JWKS now, if there is one (a start-up check; failures are logged and the
    /// fetch is retried on use).
    pub async fn warm_up(&self) {
        if let Keys::Jwks(jwks) = &self.keys {
            jwks.refresh(true).await;
        }
    }

    /// Verifies `Authorization` header value `header`.
    pub async fn verify_header(&self, header: Option<&str>) -> Result<Identity, Rejected> {
        let header = header.ok_or(Rejected("no Authorization header"))?;
        let (scheme, token) = header
            .split_once(' ')
            .ok_or(Rejected("Authorization is not a Bearer token"))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(Rejected("Authorization is not a Bearer token"));
        }
        self.verify(token.trim()).await
    }

    pub async fn verify(&self, token: &str) -> Result<Identity, Rejected> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(Rejected("empty or oversized token"));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejected("malformed token"))?;
        let candidates = match &self.keys {
            Keys::Static(entry) => vec![entry.clone()],
            Keys::Jwks(jwks) => jwks.candidates(header.kid.as_deref(), header.alg).await,
        };
        let mut reason = "no key for the token's kid and alg";
        for entry in candidates {
            if entry.alg != header.alg {
                reason = "the token's alg is not the key's";
                continue;
            }
            match jsonwebtoken::decode::<Claims>(token, &entry.key, &self.validation(entry.alg)) {
                Ok(data) => {
                    let claims = data.claims;
                    if claims.sub.is_empty() {
                        return Err(Rejected("empty sub"));
                    }
                    return Ok(Identity {
                        issuer: claims.iss.unwrap_or_default(),
                        subject: claims.sub,
                    });
                }
                Err(e) => {
                    use jsonwebtoken::errors::ErrorKind;
                    reason = match e.kind() {
                        ErrorKind::InvalidSignature => "bad signature",
                        ErrorKind::ExpiredSignature => "expired",
                        ErrorKind::ImmatureSignature => "not yet valid (nbf)",
                        ErrorKind::InvalidIssuer => "wrong issuer",
                        ErrorKind::InvalidAudience => "wrong audience",
                        ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
                        _ => "malformed token",
                    };
                    // With several JWKS candidates (no kid), only a bad signature is worth
                    // trying the next key for.
                    if !matches!(e.kind(), ErrorKind::InvalidSignature) {
                        return Err(Rejected(reason));
                    }
                }
            }
        }
        Err(Rejected(reason))
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.algorithms = vec![alg];
        v.leeway = self.leeway.as_secs();
        v.validate_exp = true;
        v.validate_nbf = true;
        let mut required: HashSet<String> = ["exp", "sub"].map(String::from).into();
        if let Some(iss) = &self.issuer {
            v.set_issuer(&[iss]);
            required.insert("iss".into());
        }
        match &self.audience {
            Some(aud) => {
                v.set_audience(&[aud]);
                required.insert("aud".into());
            }
            None => v.validate_aud = false,
        }
        v.required_spec_claims = required;
        v
    }
}

/// A cached JWKS.
struct Jwks {
    url: Url,
    http: reqwest::Client,
    keys: RwLock<Arc<Vec<KeyEntry>>>,
    /// When the last fetch attempt finished (success or not); also serialises fetches.
    fetched: tokio::sync::Mutex<Option<(Instant, bool)>>,
    min_interval: Duration,
    max_age: Duration,
}

impl Jwks {
    fn new(url: Url, http: reqwest::Client, limits: &Limits) -> Self {
        Jwks {
            url,
            http,
            keys: RwLock::new(Arc::new(Vec::new())),
            fetched: tokio::sync::Mutex::new(None),
            min_interval: limits.jwks_min_refresh_interval,
            max_age: limits.jwks_max_age,
        }
    }

    fn current(&self) -> Arc<Vec<KeyEntry>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn matching(keys: &[KeyEntry], kid: Option<&str>, alg: Algorithm) -> Vec<KeyEntry> {
        keys.iter()
            .filter(|k| k.alg == alg && kid.is_none_or(|kid| k.kid.as_deref() == Some(kid)))
            .cloned()
            .collect()
    }

    async fn candidates(&self, kid: Option<&str>, alg: Algorithm) -> Vec<KeyEntry> {
        // A stale copy is fetched again before use (a key the issuer withdrew stops working).
        let stale = {
            let fetched = self.fetched.lock().await;
            match *fetched {
                Some((at, true)) => at.elapsed() >= self.max_age,
                _ => true,
            }
        };
        if stale {
            self.refresh(false).await;
        }
        let found = Self::matching(&self.current(), kid, alg);
        if !found.is_empty() || kid.is_none() {
            return found;
        }
        // An unknown kid: the issuer may have rotated its keys.
        self.refresh(false).await;
        Self::matching(&self.current(), kid, alg)
    }

    /// Fetches the JWKS unless one was fetched less than `min_interval` ago (`force` skips
    /// that check). Concurrent callers wait for one fetch.
    async fn refresh(&self, force: bool) {
        let mut fetched = self.fetched.lock().await;
        if !force
            && let Some((at, _)) = *fetched
            && at.elapsed() < self.min_interval
        {
            return;
        }
        let ok = match self.fetch().await {
            Ok(keys) => {
                log::info!(
                    target: "obauth_relay",
                    "JWKS fetched from {}: {} usable key(s)",
                    self.url_for_log(),
                    keys.len()
                );
                *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
                true
            }
            Err(why) => {
                log::warn!(
                    target: "obauth_relay",
                    "JWKS fetch from {} failed: {why}; keeping {} cached key(s)",
                    self.url_for_log(),
                    self.current().len()
                );
                false
            }
        };
        *fetched = Some((Instant::now(), ok));
    }

    /// The JWKS URL without query or user info (a query might carry an access key).
    fn url_for_log(&self) -> String {
        format!(
            "{}://{}{}",
            self.url.scheme(),
            self.url.host_str().unwrap_or_default(),
            self.url.path()
        )
    }

    async fn fetch(&self) -> Result<Vec<KeyEntry>, String> {
        let mut resp = self
            .http
            .get(self.url.clone())
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("request failed ({})", crate::upstream::describe(&e)))?;
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|_| "body read failed")? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err("document too large".into());
            }
            body.extend_from_slice(&chunk);
        }
        #[derive(Deserialize)]
        struct Set {
            keys: Vec<serde_json::Value>,
        }
        let set: Set = serde_json::from_slice(&body).map_err(|_| "not a JWKS document")?;
        Ok(set
            .keys
            .into_iter()
            .filter_map(|v| serde_json::from_value::<Jwk>(v).ok())
            .filter_map(|jwk| entry_of(&jwk))
            .collect())
    }
}

/// A usable verification key from a JWK: RS256 (RSA) or ES256 (P-256), for signatures.
fn entry_of(jwk: &Jwk) -> Option<KeyEntry> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        (AlgorithmParameters::EllipticCurve(p), None | Some(KeyAlgorithm::ES256))
            if p.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        _ => return None,
    };
    Some(KeyEntry {
        kid: jwk.common.key_id.clone(),
        alg,
        key: DecodingKey::from_jwk(jwk).ok()?,
    })
}
