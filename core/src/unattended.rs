//! Unattended login on a [`Client`]: the one call, and what apps do with stored login tokens.
//!
//! Integrations keep the tokens of a supervised login and, on the next launch, do the same
//! dance by hand: use the session while it lasts; when it has expired, log in unattended with
//! the login token if the bank supports it, and replace the stored login token with the new
//! one; otherwise ask the user to sign in again. [`Client::resume_session`] is that dance,
//! with a typed answer ([`SessionAccess`]); [`Client::resume_stored_session`] also reads and
//! writes the tokens in the host's secure storage. The decisions and the wire format are the
//! protocol's ([`crate::supervised::unattended`]); this module sends the request and retries it
//! only where that is safe (the provider answered 5xx or 429: it did not process the login, so
//! the login token is not spent).
//!
//! Each call gets its own correlation id (from the OS random source), sent as
//! `X-Correlation-Id` and shown in the log lines of the call.

use std::time::Duration;

use crate::client::Client;
use crate::correlation::CorrelationId;
use crate::error::Error;
use crate::secret::Secret;
use crate::snapshot::SecureStorage;
use crate::supervised::SupervisedTokens;
use crate::supervised::unattended::{self, Plan, SupervisedLoginReason};

/// How many times an unattended login is sent again after a 5xx or 429.
const MAX_RETRIES: u32 = 3;

/// What [`Client::resume_session`] found.
#[derive(Clone, Debug)]
pub enum SessionAccess {
    /// The stored session is valid for longer than the margin: use these tokens.
    Current(SupervisedTokens),
    /// The session had expired and an unattended login started a new one. The provider replaced
    /// the login token: store these tokens in place of the old ones.
    Renewed(SupervisedTokens),
    /// Neither works: run a supervised login, for this reason.
    SupervisedLoginRequired(SupervisedLoginReason),
}

impl Client {
    /// `POST /v1/authentication/unattended`: a new session for `user_hash` (empty in relay mode:
    /// the relay derives it) from a stored login token, without the user. The answer carries a
    /// new login token that replaces `login_token`.
    ///
    /// Arguments are checked first ([`Error::InvalidInput`], nothing sent). A refused login
    /// token (expired, replaced, unknown, or a bank without unattended logins) is
    /// [`Error::LoginTokenRejected`] (category `Reauthenticate`; [`SupervisedLoginReason::of`]
    /// says why). A 5xx or 429 is retried up to three times with backoff; a lost connection or
    /// a time-out is not (the provider may already have replaced the login token).
    pub async fn unattended_login(
        &self,
        user_hash: &str,
        login_token: &Secret,
    ) -> Result<SupervisedTokens, Error> {
        let (creds, transport) = self.parts();
        let ctx = crate::live::ctx();
        let id = CorrelationId::from_entropy(ctx.entropy);
        let request = unattended::request(creds, user_hash, login_token, &id)?;
        let mut retrier = crate::backoff::Retrier::new(creds.retry);
        loop {
            let result = transport.execute(request.clone()).await;
            let failure = match unattended::read(result.clone(), crate::live::now()) {
                Ok(tokens) => {
                    log::info!("[{id}] unattended login: a new session and login token");
                    return Ok(tokens);
                }
                Err(failure) => failure,
            };
            let delay = if unattended::may_retry(&failure, &result) {
                retrier.next_delay(
                    "unattended login",
                    &failure,
                    Some(MAX_RETRIES),
                    crate::live::jitter_entropy(),
                )
            } else {
                None
            };
            match delay {
                Some(delay) => tokio::time::sleep(delay).await,
                None => {
                    log::warn!("[{id}] unattended login failed: {}", failure.error);
                    return Err(failure.error);
                }
            }
        }
    }

    /// The one call for stored supervised-login tokens: the session while it is valid for
    /// longer than `margin`; else an unattended login if the login token supports it and lives
    /// ([`SessionAccess::Renewed`]: store the new tokens); else the reason a supervised login
    /// is needed. Only errors that say nothing about the login token (network, provider 5xx,
    /// bad client credentials, invalid input) are `Err`.
    pub async fn resume_session(
        &self,
        user_hash: &str,
        tokens: &SupervisedTokens,
        margin: Duration,
    ) -> Result<SessionAccess, Error> {
        match unattended::plan(tokens, crate::live::now(), margin) {
            Plan::UseSession => Ok(SessionAccess::Current(tokens.clone())),
            Plan::SupervisedLogin(reason) => Ok(SessionAccess::SupervisedLoginRequired(reason)),
            Plan::Unattended => match self.unattended_login(user_hash, &tokens.login.token).await {
                Ok(renewed) => Ok(SessionAccess::Renewed(renewed)),
                Err(e) => match SupervisedLoginReason::of(&e) {
                    Some(reason) => Ok(SessionAccess::SupervisedLoginRequired(reason)),
                    None => Err(e),
                },
            },
        }
    }

    /// [`Client::resume_session`] for tokens kept in `storage` under `key` (as
    /// [`SupervisedTokens::to_json`] writes them): renewed tokens replace the stored ones
    /// before they are returned; nothing stored is [`SupervisedLoginReason::NoStoredLogin`].
    /// Tokens a refusal made useless stay stored until the next supervised login overwrites
    /// them.
    pub async fn resume_stored_session(
        &self,
        storage: &dyn SecureStorage,
        key: &str,
        user_hash: &str,
        margin: Duration,
    ) -> Result<SessionAccess, Error> {
        let Some(json) = storage.load(key)? else {
            return Ok(SessionAccess::SupervisedLoginRequired(
                SupervisedLoginReason::NoStoredLogin,
            ));
        };
        let tokens = SupervisedTokens::from_json(&json)?;
        let access = self.resume_session(user_hash, &tokens, margin).await?;
        if let SessionAccess::Renewed(renewed) = &access {
            storage.save(key, &renewed.to_json()?)?;
        }
        Ok(access)
    }
}
