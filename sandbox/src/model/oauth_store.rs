//! The OAuth side of the sandbox's state: pending consent requests, authorization codes, refresh
//! and access tokens, the token-request log and the consent script.
//!
//! It is a field of `Store` (`store.oauth`), so it lives behind the same single mutex and every
//! transition is atomic in the same way: a code cannot be redeemed twice, a refresh token cannot
//! rotate into two successors. As in `store.rs`, callers pass `now` in and nothing here sleeps
//! or reads a clock, so the rules are unit-tested without waiting. Refusals are [`InvalidGrant`]
//! values (plain descriptions); the token endpoints turn them into `400 invalid_grant`.
//!
//! Decisions that are part of the contract:
//! - A code is redeemed only if every check passes; a failed check (wrong `redirect_uri`, wrong
//!   PKCE verifier, wrong client) does **not** consume it. "Already used" is checked before
//!   "expired", so a replay is always reported as a replay.
//! - A refresh token is single-use: a successful refresh removes it and issues a successor
//!   (rotation). Reusing the old one is `invalid_grant`. The successor family is *not* revoked
//!   on reuse (OAuth 2.1's reuse detection); see the open questions in the sandbox report.
//! - Tokens are never purged; the sandbox lives for one test run.

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use crate::clock::later;
use crate::crypto::tokens;
use crate::model::token_request::TokenRequestRecord;
use crate::model::user::ConsentScript;

/// How long a consent request (the hosted page) stays usable.
pub(crate) const REQUEST_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Which flow a request, code or token belongs to. Codes and refresh tokens only work at the
/// token endpoint of their own flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Aiia Data connect flow (`/v1/oauth/...`).
    Connect,
    /// OIDC authorization code + PKCE (`/oidc/...`).
    Oidc,
}

/// A validated authorization request, waiting for the user's decision.
#[derive(Debug, Clone)]
pub(crate) struct AuthRequest {
    pub flow: Flow,
    pub client_id: String,
    /// Exactly as sent; the token request must repeat it byte for byte.
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub accounts_group_name: Option<String>,
    pub accounts_group_id: Option<String>,
    /// The request asked for `offline_access` without `prompt=consent`, which OIDC Core §11
    /// says to ignore: the scope was dropped and no refresh token is issued for this grant.
    pub offline_ignored: bool,
}

#[derive(Debug)]
struct Pending {
    request: AuthRequest,
    created_at: Instant,
    decided: bool,
}

/// What an approved request turned into: the data a code carries to the token endpoint.
#[derive(Debug, Clone)]
pub(crate) struct IssuedCode {
    pub request: AuthRequest,
    pub consent_id: String,
    pub subject: String,
    /// When the user approved (the id_token's `auth_time`).
    pub approved_at: SystemTime,
}

impl IssuedCode {
    /// The checks every redemption makes: the code was issued to `client_id`, and the token
    /// request repeats the authorize request's `redirect_uri` byte for byte.
    pub fn check_client(&self, client_id: &str, redirect_uri: &str) -> Result<(), InvalidGrant> {
        if self.request.client_id != client_id {
            return Err(InvalidGrant("The code was issued to another client."));
        }
        if self.request.redirect_uri != redirect_uri {
            return Err(InvalidGrant(match self.request.flow {
                Flow::Connect => "redirect_uri does not match the one used at /v1/oauth/connect.",
                Flow::Oidc => "redirect_uri does not match the one used at /oidc/authorize.",
            }));
        }
        Ok(())
    }
}

/// Why a code or refresh token was refused: the `error_description` of a `400 invalid_grant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidGrant(pub &'static str);

#[derive(Debug)]
struct CodeRecord {
    issued: IssuedCode,
    issued_at: Instant,
    used: bool,
}

/// What a refresh token stands for.
#[derive(Debug, Clone)]
pub(crate) struct RefreshGrant {
    pub flow: Flow,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub consent_id: String,
    pub subject: String,
    pub redirect_uri: String,
    pub expires_at: Instant,
}

impl RefreshGrant {
    /// The grant a redeemed code turns into, valid until `expires_at`.
    pub fn for_code(issued: IssuedCode, expires_at: Instant) -> RefreshGrant {
        RefreshGrant {
            flow: issued.request.flow,
            client_id: issued.request.client_id,
            scopes: issued.request.scopes,
            consent_id: issued.consent_id,
            subject: issued.subject,
            redirect_uri: issued.request.redirect_uri,
            expires_at,
        }
    }
}

/// What an access token stands for.
#[derive(Debug, Clone)]
pub(crate) struct AccessRecord {
    /// The client the token was issued to (revocation checks it, RFC 7009 §2.1).
    pub client_id: String,
    /// The end user, for user tokens; `None` for client-credentials tokens.
    pub subject: Option<String>,
    pub scopes: Vec<String>,
    pub expires_at: Instant,
}

/// Why a consent request cannot be shown or decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestError {
    Unknown,
    Expired,
    Decided,
}

/// The result of a decision: where to send the user, and with what.
#[derive(Debug, Clone)]
pub(crate) struct Decision {
    pub request: AuthRequest,
    /// `Some((code, consent_id))` when approved.
    pub approved: Option<(String, String)>,
}

/// Success counters for [`crate::model::stats::Stats`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OAuthCounters {
    pub code_exchanges: u64,
    pub refresh_grants: u64,
    pub client_credentials_grants: u64,
    pub client_secret_basic: u64,
    pub client_secret_post: u64,
}

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct OAuthStore {
    requests: HashMap<String, Pending>,
    codes: HashMap<String, CodeRecord>,
    refresh: HashMap<String, RefreshGrant>,
    access: HashMap<String, AccessRecord>,
    log: Vec<TokenRequestRecord>,
    consent_script: Option<ConsentScript>,
    /// The sandbox's one end user behind every consent (created on first use).
    subject: Option<String>,
    pub counters: OAuthCounters,
}

impl OAuthStore {
    /// Stores a validated request; returns its id (for the consent page URL).
    pub fn create_request(&mut self, request: AuthRequest, now: Instant) -> String {
        let id = tokens::session_id();
        self.requests.insert(
            id.clone(),
            Pending {
                request,
                created_at: now,
                decided: false,
            },
        );
        id
    }

    fn pending_mut(&mut self, id: &str, now: Instant) -> Result<&mut Pending, RequestError> {
        let pending = self.requests.get_mut(id).ok_or(RequestError::Unknown)?;
        if pending.decided {
            return Err(RequestError::Decided);
        }
        if now >= later(pending.created_at, REQUEST_LIFETIME) {
            return Err(RequestError::Expired);
        }
        Ok(pending)
    }

    /// The request behind a consent page, if it can still be decided.
    pub fn request(
        &mut self,
        id: &str,
        flow: Flow,
        now: Instant,
    ) -> Result<AuthRequest, RequestError> {
        let pending = self.pending_mut(id, now)?;
        if pending.request.flow != flow {
            return Err(RequestError::Unknown);
        }
        Ok(pending.request.clone())
    }

    /// Decides a request once; approval issues a code (and a consent id).
    pub fn decide(
        &mut self,
        id: &str,
        flow: Flow,
        approve: bool,
        now: Instant,
        wall_now: SystemTime,
    ) -> Result<Decision, RequestError> {
        let subject = self.subject();
        let pending = self.pending_mut(id, now)?;
        if pending.request.flow != flow {
            return Err(RequestError::Unknown);
        }
        pending.decided = true;
        let request = pending.request.clone();
        if !approve {
            return Ok(Decision {
                request,
                approved: None,
            });
        }
        let code = tokens::code();
        let consent_id = tokens::uuid();
        self.codes.insert(
            code.clone(),
            CodeRecord {
                issued: IssuedCode {
                    request: request.clone(),
                    consent_id: consent_id.clone(),
                    subject,
                    approved_at: wall_now,
                },
                issued_at: now,
                used: false,
            },
        );
        Ok(Decision {
            request,
            approved: Some((code, consent_id)),
        })
    }

    /// Redeems a code of `flow` if it is known, unused, unexpired and passes `check`; only then
    /// is it marked used (see the module docs).
    pub fn redeem_code(
        &mut self,
        code: &str,
        flow: Flow,
        now: Instant,
        lifetime: std::time::Duration,
        check: impl FnOnce(&IssuedCode) -> Result<(), InvalidGrant>,
    ) -> Result<IssuedCode, InvalidGrant> {
        let record = match self.codes.get_mut(code) {
            Some(r) if r.issued.request.flow == flow => r,
            _ => return Err(InvalidGrant("The code is unknown.")),
        };
        if record.used {
            return Err(InvalidGrant("The code has already been used."));
        }
        if now >= later(record.issued_at, lifetime) {
            return Err(InvalidGrant("The code has expired."));
        }
        check(&record.issued)?;
        record.used = true;
        self.counters.code_exchanges += 1;
        Ok(record.issued.clone())
    }

    /// Registers a refresh token.
    pub fn insert_refresh(&mut self, token: String, grant: RefreshGrant) {
        self.refresh.insert(token, grant);
    }

    /// Registers the tokens of a user grant: an access token for `scopes` (on behalf of the
    /// grant's subject) until `access_expires_at`, and a refresh token standing for `grant`.
    pub fn insert_user_tokens(
        &mut self,
        access_token: String,
        scopes: Vec<String>,
        access_expires_at: Instant,
        refresh_token: Option<String>,
        grant: RefreshGrant,
    ) {
        self.insert_access(
            access_token,
            AccessRecord {
                client_id: grant.client_id.clone(),
                subject: Some(grant.subject.clone()),
                scopes,
                expires_at: access_expires_at,
            },
        );
        if let Some(refresh_token) = refresh_token {
            self.insert_refresh(refresh_token, grant);
        }
    }

    /// What a refresh token stands for, without using it.
    pub fn peek_refresh(&self, token: &str) -> Option<&RefreshGrant> {
        self.refresh.get(token)
    }

    /// Takes (removes) a valid refresh token of `flow` issued to `client_id`. An expired token is
    /// removed too; a token of another flow or client is left alone.
    pub fn take_refresh(
        &mut self,
        token: &str,
        flow: Flow,
        client_id: &str,
        now: Instant,
    ) -> Result<RefreshGrant, InvalidGrant> {
        let unknown = || InvalidGrant("The refresh token is unknown, already used or revoked.");
        let grant = self.refresh.get(token).ok_or_else(unknown)?;
        if grant.flow != flow || grant.client_id != client_id {
            return Err(unknown());
        }
        let grant = self.refresh.remove(token).ok_or_else(unknown)?;
        if now >= grant.expires_at {
            return Err(InvalidGrant("The refresh token has expired."));
        }
        self.counters.refresh_grants += 1;
        Ok(grant)
    }

    /// Revokes every refresh token; returns how many there were.
    pub fn revoke_refresh_tokens(&mut self) -> usize {
        let n = self.refresh.len();
        self.refresh.clear();
        n
    }

    /// Revokes `token` for `client_id` (RFC 7009): a refresh token, with the access tokens of
    /// its grant (same client and user, §2.1), or an access token. A token nobody knows is
    /// `Ok(false)` (revoking it again is not an error, §2.2); another client's token is
    /// `Err(())` and stays valid.
    pub fn revoke(&mut self, token: &str, client_id: &str) -> Result<bool, ()> {
        if let Some(grant) = self.refresh.get(token) {
            if grant.client_id != client_id {
                return Err(());
            }
            let grant = self.refresh.remove(token).ok_or(())?;
            self.access.retain(|_, a| {
                !(a.client_id == grant.client_id && a.subject.as_deref() == Some(&grant.subject))
            });
            return Ok(true);
        }
        match self.access.get(token) {
            Some(a) if a.client_id != client_id => Err(()),
            Some(_) => Ok(self.access.remove(token).is_some()),
            None => Ok(false),
        }
    }

    /// Registers an access token.
    pub fn insert_access(&mut self, token: String, record: AccessRecord) {
        self.access.insert(token, record);
    }

    /// The record of an unexpired access token.
    pub fn access(&self, token: &str, now: Instant) -> Option<&AccessRecord> {
        self.access.get(token).filter(|r| now < r.expires_at)
    }

    /// Appends to the token-request log.
    pub fn record(&mut self, record: TokenRequestRecord) {
        self.log.push(record);
    }

    /// The token-request log, oldest first.
    pub fn log(&self) -> Vec<TokenRequestRecord> {
        self.log.clone()
    }

    /// The consent script in force (`None`: the configured default).
    pub fn consent_script(&self) -> Option<ConsentScript> {
        self.consent_script
    }

    /// Overrides the configured consent script.
    pub fn set_consent_script(&mut self, script: ConsentScript) {
        self.consent_script = Some(script);
    }

    /// The sandbox's end user (stable for the sandbox's lifetime).
    pub fn subject(&mut self) -> String {
        self.subject.get_or_insert_with(tokens::uuid).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn request(flow: Flow) -> AuthRequest {
        AuthRequest {
            flow,
            client_id: "c".into(),
            redirect_uri: "https://app.example/cb".into(),
            scopes: vec!["accounts".into()],
            state: Some("s".into()),
            nonce: None,
            code_challenge: None,
            accounts_group_name: None,
            accounts_group_id: None,
            offline_ignored: false,
        }
    }

    const MIN: Duration = Duration::from_secs(60);

    /// Creates a request of `flow` and approves it at `t0`; returns the code.
    fn approved_code(s: &mut OAuthStore, flow: Flow, t0: Instant) -> String {
        let id = s.create_request(request(flow), t0);
        let decision = s.decide(&id, flow, true, t0, SystemTime::now()).unwrap();
        decision.approved.unwrap().0
    }

    #[test]
    fn requests_are_decided_once_and_expire() {
        let mut s = OAuthStore::default();
        let t0 = Instant::now();
        let id = s.create_request(request(Flow::Connect), t0);
        assert_eq!(
            s.request(&id, Flow::Oidc, t0).unwrap_err(),
            RequestError::Unknown
        );
        assert!(s.request(&id, Flow::Connect, t0).is_ok());
        let d = s
            .decide(&id, Flow::Connect, true, t0, SystemTime::now())
            .unwrap();
        assert!(d.approved.is_some());
        assert_eq!(
            s.decide(&id, Flow::Connect, false, t0, SystemTime::now())
                .unwrap_err(),
            RequestError::Decided
        );
        let id = s.create_request(request(Flow::Connect), t0);
        assert_eq!(
            s.request(&id, Flow::Connect, t0 + REQUEST_LIFETIME)
                .unwrap_err(),
            RequestError::Expired
        );
        assert_eq!(
            s.request("nope", Flow::Connect, t0).unwrap_err(),
            RequestError::Unknown
        );
    }

    #[test]
    fn codes_are_single_use_and_failed_checks_do_not_consume() {
        let mut s = OAuthStore::default();
        let t0 = Instant::now();
        let code = approved_code(&mut s, Flow::Connect, t0);
        let err = s
            .redeem_code(&code, Flow::Connect, t0, MIN, |_| {
                Err(InvalidGrant("redirect_uri"))
            })
            .unwrap_err();
        assert_eq!(err, InvalidGrant("redirect_uri"));
        assert!(
            s.redeem_code(&code, Flow::Oidc, t0, MIN, |_| Ok(()))
                .is_err()
        );
        assert!(
            s.redeem_code(&code, Flow::Connect, t0, MIN, |_| Ok(()))
                .is_ok()
        );
        let again = s
            .redeem_code(&code, Flow::Connect, t0, MIN, |_| Ok(()))
            .unwrap_err();
        assert!(again.0.contains("already"));
        assert_eq!(s.counters.code_exchanges, 1);
    }

    #[test]
    fn codes_expire() {
        let mut s = OAuthStore::default();
        let t0 = Instant::now();
        let code = approved_code(&mut s, Flow::Oidc, t0);
        let err = s
            .redeem_code(&code, Flow::Oidc, t0 + MIN, MIN, |_| Ok(()))
            .unwrap_err();
        assert!(err.0.contains("expired"));
    }

    #[test]
    fn refresh_tokens_rotate_and_revoke() {
        let mut s = OAuthStore::default();
        let t0 = Instant::now();
        let grant = RefreshGrant {
            flow: Flow::Connect,
            client_id: "c".into(),
            scopes: vec![],
            consent_id: "k".into(),
            subject: "u".into(),
            redirect_uri: "https://app.example/cb".into(),
            expires_at: t0 + MIN,
        };
        s.insert_refresh("r1".into(), grant.clone());
        assert!(s.take_refresh("r1", Flow::Oidc, "c", t0).is_err());
        assert!(s.take_refresh("r1", Flow::Connect, "other", t0).is_err());
        assert!(s.take_refresh("r1", Flow::Connect, "c", t0).is_ok());
        assert!(s.take_refresh("r1", Flow::Connect, "c", t0).is_err());
        s.insert_refresh("r2".into(), grant.clone());
        assert!(s.take_refresh("r2", Flow::Connect, "c", t0 + MIN).is_err());
        s.insert_refresh("r3".into(), grant);
        assert_eq!(s.revoke_refresh_tokens(), 1);
        assert!(s.take_refresh("r3", Flow::Connect, "c", t0).is_err());
    }
}
