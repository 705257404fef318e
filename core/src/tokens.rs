//! Keeping an access token fresh.
//!
//! [`TokenManager::fresh_token`] returns a token that is valid for at least the configured skew,
//! renewing it first when needed: with the refresh token (connect, PKCE), by asking again
//! (client credentials have no refresh token), or not at all (a supervised-login session, whose
//! expiry only slides by `X-Access-Token-Expires`). Concurrent callers share one renewal
//! (single-flight): the first starts it, the others join it, so the provider sees one request
//! and nobody sees a stale token after it finished.
//!
//! A renewal runs to completion on its own task, whatever happens to the callers waiting for
//! it: with refresh-token rotation the provider invalidates the old refresh token the moment
//! it answers, so a renewal abandoned half-way (a cancelled coroutine, a dropped `Task`) would
//! lose the new one and force the user to sign in again. Its result is always stored and
//! persisted. [`TokenManager::renew_if_current`] lets every caller whose API request was
//! refused ask for a renewal, and renews only once: a token that was already replaced is not
//! renewed again. A refresh rejected with `invalid_grant` moves the manager to "re-authenticate":
//! every later call fails fast with [`Error::InvalidGrant`] until the app signs in again. A
//! transient failure leaves the current token in place and, if it has not actually expired yet,
//! returns it. What one renewal sends and what its answer means is the protocol's renewal
//! machine ([`crate::renewal`]); this module holds the token, the gate and the storage, and
//! executes the machine's steps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::backoff::RetryPolicy;
use crate::driver::Transport;
use crate::error::Error;
use crate::oauth::TokenSet;
pub use crate::renewal::Renewal;
use crate::renewal::{RenewalMachine, RenewalOutcome, RenewalStep};
use crate::snapshot::SecureStorage;
use crate::storage::Kept;
use crate::timestamp::Timestamp;

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
    /// The renewal in flight, if any: its result, once there, for every caller that joined.
    in_flight: Mutex<Option<RenewalResult>>,
    renewals: AtomicU64,
    storage: Mutex<Option<Kept>>,
    /// Set by [`TokenManager::clear`]: renewals finishing later store nothing.
    cleared: std::sync::atomic::AtomicBool,
}

/// The result of one renewal, as the callers that joined it receive it.
type RenewalResult = watch::Receiver<Option<Result<TokenSet, Error>>>;

/// Hands out fresh access tokens; clones share the token and the renewal in flight.
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
                issued_at: None,
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
                in_flight: Mutex::new(None),
                renewals: AtomicU64::new(0),
                storage: Mutex::new(None),
                cleared: std::sync::atomic::AtomicBool::new(false),
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
        let kept = Kept::new(storage, key);
        if let Some(tokens) = self.current() {
            kept.save(&tokens.to_json()?)?;
        }
        *self.inner.storage.lock().unwrap_or_else(|e| e.into_inner()) = Some(kept);
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
            // The provider moved the expiry: the lifetime it first said no longer bounds the
            // renewal margin.
            t.issued_at = None;
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
        self.join_renewal(|this| this.usable(crate::live::now()))
            .await
    }

    /// Renews now, whatever the expiry; joins a renewal already in flight instead of starting
    /// a second one.
    pub async fn force_renewal(&self) -> Result<TokenSet, Error> {
        self.join_renewal(|_| None).await
    }

    /// Renews because the API refused `failed` (e.g. answered 401), unless that token was
    /// already replaced: then the current token is returned without a request. However many
    /// callers saw the same refusal at once, the provider sees one renewal.
    pub async fn renew_if_current(&self, failed: &str) -> Result<TokenSet, Error> {
        self.join_renewal(|this| match this.current() {
            Some(t) if t.access_token.expose() != failed => Some(Ok(t)),
            _ => None,
        })
        .await
    }

    /// Joins the renewal in flight, or — unless `answer` has one without renewing — starts one
    /// on its own task, and waits for its result. Dropping the returned future abandons the
    /// wait, never the renewal.
    async fn join_renewal(
        &self,
        answer: impl FnOnce(&Self) -> Option<Result<TokenSet, Error>>,
    ) -> Result<TokenSet, Error> {
        let (mut result, start) = {
            let mut in_flight = self
                .inner
                .in_flight
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            match &*in_flight {
                Some(result) => (result.clone(), None),
                None => {
                    if let Some(answer) = answer(self) {
                        return answer;
                    }
                    let (publish, result) = watch::channel(None);
                    *in_flight = Some(result.clone());
                    (result, Some(publish))
                }
            }
        };
        if let Some(publish) = start {
            let this = self.clone();
            let renewal = async move {
                let outcome = this.renew().await;
                // Cleared before publishing: a caller arriving in between reads the stored
                // token instead of joining a finished renewal.
                *this
                    .inner
                    .in_flight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = None;
                let _ = publish.send(Some(outcome));
            };
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn(renewal)),
                // No tokio runtime to detach onto: run it in this caller.
                Err(_) => renewal.await,
            }
        }
        loop {
            if let Some(outcome) = result.borrow_and_update().clone() {
                return outcome;
            }
            if result.changed().await.is_err() {
                // The renewal task ended without a result (its runtime shut down).
                return Err(Error::Storage("the token renewal was interrupted".into()));
            }
        }
    }

    /// `Some` when the slot answers without renewing: a token valid past the skew, or a
    /// standing re-authenticate error.
    fn usable(&self, now: Timestamp) -> Option<Result<TokenSet, Error>> {
        let slot = self.inner.slot.lock().unwrap_or_else(|e| e.into_inner());
        match &*slot {
            Slot::Reauthenticate(e) => Some(Err(e.clone())),
            Slot::Valid(t) => {
                let t = self.with_session_clock(t.clone());
                (!t.renewal_due(now, self.inner.skew)).then_some(Ok(t))
            }
            Slot::Empty => None,
        }
    }

    /// Runs one renewal machine ([`crate::renewal`]): sends what it asks, sleeps its backoff,
    /// and applies its outcome to the slot and the storage.
    async fn renew(&self) -> Result<TokenSet, Error> {
        let mut machine =
            RenewalMachine::new(&self.inner.renewal, self.current(), self.inner.retry);
        let mut step = machine.start(crate::live::now());
        loop {
            step = match step {
                RenewalStep::Send(request) => {
                    self.inner.renewals.fetch_add(1, Ordering::Relaxed);
                    let result = self.inner.transport.execute(request).await;
                    machine.on_response(result, crate::live::ctx())
                }
                RenewalStep::Wait(delay) => {
                    tokio::time::sleep(delay).await;
                    machine.on_retry_timer()
                }
                RenewalStep::Done(RenewalOutcome::Renewed(fresh)) => {
                    self.store(fresh.clone());
                    return Ok(fresh);
                }
                RenewalStep::Done(RenewalOutcome::KeptCurrent(current)) => return Ok(current),
                RenewalStep::Done(RenewalOutcome::Reauthenticate(e)) => {
                    return self.reauthenticate(e);
                }
                RenewalStep::Done(RenewalOutcome::Failed(e)) => return Err(e),
            };
        }
    }

    /// Forgets the tokens (sign-out): every later call fails with [`Error::InvalidGrant`]
    /// ("sign in again") and the stored copy is removed. A renewal still in flight cannot put
    /// them back: its result is dropped.
    pub fn clear(&self) -> Result<(), Error> {
        *self.inner.slot.lock().unwrap_or_else(|e| e.into_inner()) =
            Slot::Reauthenticate(Error::InvalidGrant);
        self.inner.cleared.store(true, Ordering::SeqCst);
        match self.storage() {
            Some(kept) => kept.remove(),
            None => Ok(()),
        }
    }

    fn reauthenticate(&self, error: Error) -> Result<TokenSet, Error> {
        log::warn!("token renewal needs a new sign-in: {error}");
        *self.inner.slot.lock().unwrap_or_else(|e| e.into_inner()) =
            Slot::Reauthenticate(error.clone());
        if let Some(kept) = self.storage()
            && let Err(e) = kept.remove()
        {
            log::warn!("could not remove stale tokens from storage: {e}");
        }
        Err(error)
    }

    fn store(&self, tokens: TokenSet) {
        if self.inner.cleared.load(Ordering::SeqCst) {
            return;
        }
        let json = tokens.to_json();
        *self.inner.slot.lock().unwrap_or_else(|e| e.into_inner()) = Slot::Valid(tokens);
        if let Some(kept) = self.storage() {
            kept.save_or_log(json, "renewed tokens");
        }
    }

    /// Where [`TokenManager::persist_to`] said to keep the tokens, if anywhere.
    fn storage(&self) -> Option<Kept> {
        self.inner
            .storage
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The futures hosts hold across threads (the FFI spawns them) must be `Send`.
    #[test]
    fn renewal_futures_are_send() {
        fn send<T: Send>(_: &T) {}
        let manager = TokenManager::new(
            Transport::new().unwrap(),
            Renewal::Session(crate::session::AccessSession::new(
                crate::secret::Secret::new("t"),
                crate::live::now(),
            )),
            None,
            Duration::from_secs(1),
            RetryPolicy::default(),
        );
        send(&manager.fresh_token());
        send(&manager.force_renewal());
        send(&manager.renew_if_current("t"));
    }
}
