//! Keeping an access token fresh.
//!
//! [`TokenManager::fresh_token`] returns a token that is valid for at least the configured skew,
//! renewing it first when needed: with the refresh token (connect, PKCE), by asking again
//! (client credentials have no refresh token), or not at all (a supervised-login session, whose
//! expiry only slides by `X-Access-Token-Expires`). Concurrent callers share one renewal
//! (single-flight): the first takes the renewal gate, the others wait on it and then read the
//! token it stored, so nobody sees a stale token after a renewal finished and the provider sees
//! one request. A refresh rejected with `invalid_grant` moves the manager to "re-authenticate":
//! every later call fails fast with [`Error::InvalidGrant`] until the app signs in again. A
//! transient failure leaves the current token in place and, if it has not actually expired yet,
//! returns it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::backoff::RetryPolicy;
use crate::driver::Transport;
use crate::error::Error;
use crate::http::{RequestKind, classify};
use crate::oauth::token::{oauth_failure, parse_token_response};
use crate::oauth::{TokenEndpoint, TokenSet};
use crate::session::AccessSession;
use crate::snapshot::SecureStorage;
use crate::timestamp::Timestamp;

/// Attempts of one renewal before a transient failure is reported.
const RENEWAL_ATTEMPTS: u32 = 3;

/// How a token is renewed.
#[derive(Clone, Debug)]
pub enum Renewal {
    /// `grant_type=refresh_token` at this endpoint.
    RefreshToken(TokenEndpoint),
    /// `grant_type=client_credentials` again, with this scope.
    ClientCredentials {
        /// The endpoint.
        endpoint: TokenEndpoint,
        /// Requested scope (space-delimited).
        scope: Option<String>,
    },
    /// Not renewable: a supervised-login session; its expiry slides with
    /// `X-Access-Token-Expires`.
    Session(AccessSession),
}

enum Slot {
    Empty,
    Valid(TokenSet),
    Reauthenticate(Error),
}

struct Inner {
    transport: Transport,
    renewal: Renewal,
    skew: Duration,
    retry: RetryPolicy,
    slot: Mutex<Slot>,
    gate: tokio::sync::Mutex<()>,
    renewals: AtomicU64,
    storage: Mutex<Option<(Arc<dyn SecureStorage>, String)>>,
}

/// Hands out fresh access tokens; clones share the token and the renewal gate.
#[derive(Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("renewals", &self.renewals())
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager holding `initial` (or nothing yet, for client credentials) that renews as
    /// `renewal` says, `skew` before expiry, retrying transient failures as `retry` says.
    pub fn new(
        transport: Transport,
        renewal: Renewal,
        initial: Option<TokenSet>,
        skew: Duration,
        retry: RetryPolicy,
    ) -> Self {
        let initial = match (&renewal, initial) {
            (Renewal::Session(session), _) => Some(TokenSet {
                access_token: session.token().clone(),
                token_type: "Bearer".into(),
                expires_at: Some(session.expires()),
                refresh_token: None,
                scope: None,
                id_token: None,
                consent_id: None,
            }),
            (_, initial) => initial,
        };
        TokenManager {
            inner: Arc::new(Inner {
                transport,
                renewal,
                skew,
                retry,
                slot: Mutex::new(initial.map_or(Slot::Empty, Slot::Valid)),
                gate: tokio::sync::Mutex::new(()),
                renewals: AtomicU64::new(0),
                storage: Mutex::new(None),
            }),
        }
    }

    /// Saves the token set to `storage` under `key` now and after every renewal (JSON of
    /// [`TokenSet`], secrets included: secure storage only).
    pub fn persist_to(
        &self,
        storage: Arc<dyn SecureStorage>,
        key: impl Into<String>,
    ) -> Result<(), Error> {
        let key = key.into();
        if let Some(tokens) = self.current() {
            storage.save(&key, &tokens.to_json())?;
        }
        *self.inner.storage.lock().unwrap_or_else(|e| e.into_inner()) = Some((storage, key));
        Ok(())
    }

    /// The token held now, without renewing (may be expired).
    pub fn current(&self) -> Option<TokenSet> {
        let slot = self.inner.slot.lock().unwrap_or_else(|e| e.into_inner());
        match &*slot {
            Slot::Valid(t) => Some(self.with_session_clock(t.clone())),
            _ => None,
        }
    }

    /// How many renewals reached the provider (for metrics and tests).
    pub fn renewals(&self) -> u64 {
        self.inner.renewals.load(Ordering::Relaxed)
    }

    /// Applies an `X-Access-Token-Expires` value from any authenticated response: the expiry of
    /// the held token slides (for a supervised session, the session's own clock moves).
    pub fn apply_expiry_header(&self, value: &str) -> Result<Timestamp, Error> {
        if let Renewal::Session(session) = &self.inner.renewal {
            return session.apply_expiry_header(value);
        }
        let at = Timestamp::parse_rfc3339(value).map_err(|e| Error::MalformedResponse {
            endpoint: "X-Access-Token-Expires header",
            detail: e.to_string(),
        })?;
        if let Slot::Valid(t) = &mut *self.inner.slot.lock().unwrap_or_else(|e| e.into_inner()) {
            t.expires_at = Some(at);
        }
        Ok(at)
    }

    fn with_session_clock(&self, mut tokens: TokenSet) -> TokenSet {
        if let Renewal::Session(session) = &self.inner.renewal {
            tokens.expires_at = Some(session.expires());
        }
        tokens
    }

    /// A token valid for at least the skew, renewing first if needed. Concurrent callers share
    /// one renewal.
    pub async fn fresh_token(&self) -> Result<TokenSet, Error> {
        if let Some(answer) = self.usable(crate::live::now()) {
            return answer;
        }
        let _gate = self.inner.gate.lock().await;
        // Someone else may have renewed while we waited at the gate.
        if let Some(answer) = self.usable(crate::live::now()) {
            return answer;
        }
        self.renew().await
    }

    /// Renews now, whatever the expiry (e.g. after the API answered 401 to the current token).
    pub async fn force_renewal(&self) -> Result<TokenSet, Error> {
        let _gate = self.inner.gate.lock().await;
        self.renew().await
    }

    /// `Some` when the slot answers without renewing: a token valid past the skew, or a
    /// standing re-authenticate error.
    fn usable(&self, now: Timestamp) -> Option<Result<TokenSet, Error>> {
        let slot = self.inner.slot.lock().unwrap_or_else(|e| e.into_inner());
        match &*slot {
            Slot::Reauthenticate(e) => Some(Err(e.clone())),
            Slot::Valid(t) => {
                let t = self.with_session_clock(t.clone());
                match t.expires_at {
                    Some(at) if now.plus(self.inner.skew) >= at => None,
                    _ => Some(Ok(t)),
                }
            }
            Slot::Empty => None,
        }
    }

    async fn renew(&self) -> Result<TokenSet, Error> {
        let previous = self.current();
        let request = match &self.inner.renewal {
            Renewal::Session(_) => {
                let now = crate::live::now();
                return match previous {
                    Some(t) if t.expires_at.is_none_or(|at| now < at) => Ok(t),
                    _ => Err(Error::SessionExpired),
                };
            }
            Renewal::ClientCredentials { endpoint, scope } => {
                endpoint.client_credentials(scope.as_deref())
            }
            Renewal::RefreshToken(endpoint) => {
                match previous.as_ref().and_then(|t| t.refresh_token.as_ref()) {
                    Some(rt) => endpoint.refresh(rt),
                    None => return self.reauthenticate(Error::InvalidGrant),
                }
            }
        };
        let mut attempt = 0;
        loop {
            self.inner.renewals.fetch_add(1, Ordering::Relaxed);
            let now = crate::live::now();
            let result = self.inner.transport.execute(request.clone()).await;
            let failure = match classify(RequestKind::Refresh, result, now).map_err(oauth_failure) {
                Ok(response) => match parse_token_response(RequestKind::Refresh, &response, now) {
                    Ok(mut fresh) => {
                        if let Some(old) = &previous {
                            // Keep what a refresh answer may leave out.
                            fresh.refresh_token =
                                fresh.refresh_token.or_else(|| old.refresh_token.clone());
                            fresh.consent_id = fresh.consent_id.or_else(|| old.consent_id.clone());
                            fresh.id_token = fresh.id_token.or_else(|| old.id_token.clone());
                        }
                        self.store(fresh.clone());
                        return Ok(fresh);
                    }
                    Err(e) => return Err(e),
                },
                Err(f) => f,
            };
            match failure.error {
                Error::InvalidGrant => return self.reauthenticate(Error::InvalidGrant),
                ref e if e.is_transient() && attempt + 1 < RENEWAL_ATTEMPTS => {
                    let delay = self.inner.retry.delay(
                        attempt,
                        crate::live::jitter_entropy(),
                        failure.retry_after,
                    );
                    attempt += 1;
                    log::info!(
                        "token renewal failed ({e}); retry in {} ms",
                        delay.as_millis()
                    );
                    tokio::time::sleep(delay).await;
                }
                e => {
                    // The old token is still good if it has not actually expired.
                    if let Some(old) =
                        previous.filter(|t| t.expires_at.is_none_or(|at| crate::live::now() < at))
                    {
                        log::warn!("token renewal failed ({e}); keeping the current token");
                        return Ok(old);
                    }
                    return Err(e);
                }
            }
        }
    }

    fn reauthenticate(&self, error: Error) -> Result<TokenSet, Error> {
        log::warn!("token renewal needs a new sign-in: {error}");
        *self.inner.slot.lock().unwrap_or_else(|e| e.into_inner()) =
            Slot::Reauthenticate(error.clone());
        if let Some((storage, key)) = self
            .inner
            .storage
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            && let Err(e) = storage.remove(&key)
        {
            log::warn!("could not remove stale tokens from storage: {e}");
        }
        Err(error)
    }

    fn store(&self, tokens: TokenSet) {
        let json = tokens.to_json();
        *self.inner.slot.lock().unwrap_or_else(|e| e.into_inner()) = Slot::Valid(tokens);
        if let Some((storage, key)) = self
            .inner
            .storage
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            && let Err(e) = storage.save(&key, &json)
        {
            log::warn!("could not save renewed tokens: {e}");
        }
    }
}
