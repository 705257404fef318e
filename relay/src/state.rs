//! What every request shares: the derived keys, the token verifier, the allowlist, the rate
//! limiter and the provider client. Built once from a [`RelayConfig`]; nothing in it is shared
//! between instances.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::allowlist::RedirectAllowlist;
use crate::app_token::Verifier;
use crate::config::{ConfigError, Limits, MIN_KEY_BYTES, RelayConfig, config_error};
use crate::crypto::{Handle, Keys, UserHash};
use crate::rate_limit::RateLimiter;
use crate::upstream::{self, Upstream};

pub(crate) struct AppState {
    pub keys: Keys,
    pub verifier: Verifier,
    pub allowlist: RedirectAllowlist,
    pub limiter: Option<RateLimiter>,
    pub upstream: Upstream,
    pub limits: Limits,
}

/// The verified caller of a request (a request extension set by the authentication layer).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    pub user: UserHash,
}

impl AppState {
    pub fn new(config: &RelayConfig) -> Result<Self, ConfigError> {
        if config.relay_key.len() < MIN_KEY_BYTES {
            return Err(config_error(format!(
                "the relay key (OBAUTH_RELAY_KEY) must be at least {MIN_KEY_BYTES} bytes, e.g. \
                 the output of `openssl rand -hex 32`"
            )));
        }
        let http = upstream::http_client()?;
        let limits = config.limits.clone();
        Ok(AppState {
            keys: Keys::new(config.relay_key.expose()),
            verifier: Verifier::new(&config.app_token, &limits, http.clone())?,
            allowlist: RedirectAllowlist::new(&config.allow_redirects)?,
            limiter: limits.rate_limit.map(RateLimiter::new),
            upstream: Upstream::new(&config.upstream, &config.credentials, &limits, http)?,
            limits,
        })
    }

    /// Seals a handle for `session_id` of `caller`, valid for the configured TTL.
    pub fn seal(&self, session_id: &str, caller: Caller) -> Option<String> {
        self.keys.seal(&Handle {
            session_id: session_id.to_owned(),
            subject: caller.user,
            expires: unix_now().saturating_add(self.limits.handle_ttl.as_secs()),
        })
    }

    /// The provider session id behind `handle`, if the handle is genuine, unexpired and
    /// `caller`'s. Why not is logged (without the handle).
    pub fn open(&self, handle: &str, caller: Caller) -> Result<String, &'static str> {
        let opened = self.keys.open(handle).ok_or("forged or malformed handle")?;
        if opened.subject != caller.user {
            return Err("handle of another subject");
        }
        if unix_now() >= opened.expires {
            return Err("expired handle");
        }
        Ok(opened.session_id)
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
