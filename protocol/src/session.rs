//! The authenticated session token and its sliding expiry.
//!
//! Aiia Enterprise session access tokens do not have a fixed lifetime: every authenticated
//! response may carry `X-Access-Token-Expires` with a new expiry (ISO 8601). [`AccessSession`]
//! is the one clock for that: the core updates it from the responses it sees, and the host feeds
//! it the header from its own API calls. Clones share the clock.

use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::secret::Secret;
use crate::timestamp::Timestamp;

/// The header that carries the updated expiry.
pub const EXPIRY_HEADER: &str = "X-Access-Token-Expires";

/// A session access token whose expiry slides forward as the provider says.
#[derive(Clone)]
pub struct AccessSession {
    token: Arc<Secret>,
    expires: Arc<Mutex<Timestamp>>,
}

impl std::fmt::Debug for AccessSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessSession")
            .field("token", &"[redacted]")
            .field("expires", &self.expires())
            .finish()
    }
}

impl AccessSession {
    /// A session token valid until `expires`.
    pub fn new(token: Secret, expires: Timestamp) -> Self {
        AccessSession {
            token: Arc::new(token),
            expires: Arc::new(Mutex::new(expires)),
        }
    }

    /// The access token (for `Authorization: Bearer …`).
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// The current expiry.
    pub fn expires(&self) -> Timestamp {
        *self.expires.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the token has expired at `now`.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        now >= self.expires()
    }

    /// Applies an `X-Access-Token-Expires` value from any authenticated response and returns the
    /// new expiry. The provider's word is final, so the expiry may move either way.
    pub fn apply_expiry_header(&self, value: &str) -> Result<Timestamp, Error> {
        let at = Timestamp::parse_rfc3339(value).map_err(|e| Error::MalformedResponse {
            endpoint: "X-Access-Token-Expires header",
            detail: e.to_string(),
        })?;
        *self.expires.lock().unwrap_or_else(|e| e.into_inner()) = at;
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_slides_and_clones_share_it() {
        let s = AccessSession::new(Secret::new("tok"), Timestamp::from_unix_millis(1000));
        let other = s.clone();
        let at = other
            .apply_expiry_header("2019-12-04T18:16:42.7870000Z")
            .unwrap();
        assert_eq!(s.expires(), at);
        assert!(s.apply_expiry_header("garbage").is_err());
        assert_eq!(s.expires(), at);
        assert!(!format!("{s:?}").contains("tok\""));
    }
}
