//! The authorization-code state machine (sans-IO).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::backoff::Retrier;
use crate::config::Credentials;
use crate::error::{CancelOrigin, Error, PersistedError, sanitize_provider_code};
use crate::flow::{Ctx, Effect, Flow, IgnoredReason, Input, RedirectOutcome, TimerKind};
use crate::http::{Failure, HttpResult, RequestKind, classify};
use crate::oauth::token::{oauth_failure, parse_token_response};
use crate::oauth::{
    ClientAuth, FlowSecrets, TokenEndpoint, TokenSet, TokenWire, constant_time_eq, s256_challenge,
};
use crate::redirect::{RedirectPattern, RedirectQuery};
use crate::secret::Secret;
use crate::snapshot::{self, FlowKind};
use crate::timestamp::Timestamp;

use super::state::{AuthorizationKind, AuthorizationParams, AuthorizationState};

type Effects = Vec<Effect<AuthorizationState>>;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
enum Phase {
    Created,
    Awaiting,
    Exchanging {
        code: Secret,
        consent_id: Option<String>,
        received_at: Timestamp,
    },
    Authenticated {
        tokens: TokenSet,
    },
    Failed {
        error: PersistedError,
    },
    Cancelled {
        by: CancelOrigin,
    },
    TimedOut,
}

/// The persistent part of the machine: exactly what a snapshot holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Saved {
    kind: AuthorizationKind,
    client_id: String,
    authorize_endpoint: String,
    token_endpoint: String,
    redirect_uri: String,
    redirect_pattern: String,
    scope: String,
    state: Secret,
    nonce: Secret,
    code_verifier: Secret,
    timeout_ms: u64,
    code_lifetime_ms: u64,
    deadline_at: Option<Timestamp>,
    phase: Phase,
}

/// An authorization-code flow as a pure state machine.
#[derive(Debug)]
pub struct AuthorizationMachine {
    saved: Saved,
    redirect: RedirectPattern,
    token: TokenEndpoint,
    retrier: Retrier,
}

impl AuthorizationMachine {
    /// Aiia Data connect against the API root in `creds`.
    pub fn aiia_connect(
        creds: &Credentials,
        params: AuthorizationParams,
        accounts_group_name: Option<String>,
        accounts_group_id: Option<String>,
        secrets: FlowSecrets,
    ) -> Result<Self, Error> {
        let kind = AuthorizationKind::AiiaConnect {
            accounts_group_name,
            accounts_group_id,
        };
        let authorize = creds.endpoint("v1/oauth/connect");
        let token = creds.endpoint("v1/oauth/token");
        Self::new(creds, kind, authorize, token, params, secrets)
    }

    /// Authorization code + PKCE for a public client (no secret is sent).
    pub fn pkce(
        creds: &Credentials,
        authorization_endpoint: Url,
        token_endpoint: Url,
        params: AuthorizationParams,
        secrets: FlowSecrets,
    ) -> Result<Self, Error> {
        Self::new(
            creds,
            AuthorizationKind::Pkce,
            authorization_endpoint,
            token_endpoint,
            params,
            secrets,
        )
    }

    fn new(
        creds: &Credentials,
        kind: AuthorizationKind,
        authorize: Url,
        token: Url,
        params: AuthorizationParams,
        secrets: FlowSecrets,
    ) -> Result<Self, Error> {
        let concrete = RedirectPattern::parse("redirectUri", &params.redirect_uri, false)?;
        let pattern_text = params
            .redirect_pattern
            .clone()
            .unwrap_or_else(|| params.redirect_uri.clone());
        let pattern = RedirectPattern::parse("redirectPattern", &pattern_text, true)?;
        if !pattern.matches(concrete.url()) {
            return Err(Error::invalid(
                "redirectUri",
                "does not match the registered redirect pattern",
            ));
        }
        if params.timeout.is_zero() || params.code_lifetime.is_zero() {
            return Err(Error::invalid("timeout", "must be positive"));
        }
        let default_scope = match kind {
            AuthorizationKind::AiiaConnect { .. } => "accounts offline_access",
            AuthorizationKind::Pkce => "openid",
        };
        let scope = params
            .scope
            .as_deref()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| default_scope.to_owned());
        let saved = Saved {
            kind,
            client_id: creds.client_id.clone(),
            authorize_endpoint: authorize.to_string(),
            token_endpoint: token.to_string(),
            redirect_uri: concrete.url().to_string(),
            redirect_pattern: pattern.as_str(),
            scope,
            state: secrets.state,
            nonce: secrets.nonce,
            code_verifier: secrets.verifier,
            timeout_ms: params.timeout.as_millis() as u64,
            code_lifetime_ms: params.code_lifetime.as_millis() as u64,
            deadline_at: None,
            phase: Phase::Created,
        };
        Self::from_saved(creds, saved)
    }

    fn from_saved(creds: &Credentials, saved: Saved) -> Result<Self, Error> {
        let redirect = RedirectPattern::parse("redirectPattern", &saved.redirect_pattern, true)?;
        // `authorize_url()` (and so `state()` while awaiting the user) relies on this: a
        // snapshot is outside input like any other.
        Url::parse(&saved.authorize_endpoint)
            .map_err(|_| Error::InvalidSnapshot("authorize endpoint is not a URL".into()))?;
        let url = Url::parse(&saved.token_endpoint)
            .map_err(|_| Error::InvalidSnapshot("token endpoint is not a URL".into()))?;
        let (wire, client_secret) = match saved.kind {
            AuthorizationKind::AiiaConnect { .. } => {
                (TokenWire::AiiaJson, Some(creds.client_secret.clone()))
            }
            AuthorizationKind::Pkce => (TokenWire::Form(ClientAuth::None), None),
        };
        let token = TokenEndpoint {
            url,
            wire,
            client_id: saved.client_id.clone(),
            client_secret,
            timeout: creds.request_timeout,
        };
        Ok(AuthorizationMachine {
            saved,
            redirect,
            token,
            retrier: Retrier::new(creds.retry),
        })
    }

    /// Rebuilds a machine of the `expected` kind ([`FlowKind::AiiaConnect`] or
    /// [`FlowKind::Pkce`]) from [`Flow::snapshot`] output; `creds` supplies the client secret
    /// (never stored in snapshots). A snapshot of the other kind is refused, so a confidential
    /// connect flow can never be restored as a public PKCE flow or the other way round. Feed
    /// [`Input::Resume`] to continue.
    pub fn restore(
        creds: &Credentials,
        snapshot_text: &str,
        expected: FlowKind,
    ) -> Result<Self, Error> {
        let saved: Saved = snapshot::decode_as(snapshot_text, expected)?;
        let kind_matches = matches!(
            (&saved.kind, expected),
            (AuthorizationKind::AiiaConnect { .. }, FlowKind::AiiaConnect)
                | (AuthorizationKind::Pkce, FlowKind::Pkce)
        );
        if !kind_matches {
            return Err(Error::InvalidSnapshot(
                "the flow inside does not match the snapshot kind".into(),
            ));
        }
        if saved.client_id != creds.client_id {
            return Err(Error::InvalidSnapshot(
                "the snapshot belongs to another client id".into(),
            ));
        }
        Self::from_saved(creds, saved)
    }

    fn kind(&self) -> FlowKind {
        match self.saved.kind {
            AuthorizationKind::AiiaConnect { .. } => FlowKind::AiiaConnect,
            AuthorizationKind::Pkce => FlowKind::Pkce,
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.saved.timeout_ms)
    }

    /// The URL the WebView loads.
    pub fn authorize_url(&self) -> String {
        let mut url = Url::parse(&self.saved.authorize_endpoint).expect("checked by from_saved");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.saved.client_id)
                .append_pair("redirect_uri", &self.saved.redirect_uri)
                .append_pair("scope", &self.saved.scope)
                .append_pair("response_type", "code")
                .append_pair("state", self.saved.state.expose());
            match &self.saved.kind {
                AuthorizationKind::AiiaConnect {
                    accounts_group_name,
                    accounts_group_id,
                } => {
                    if let Some(name) = accounts_group_name {
                        q.append_pair("accountsGroupName", name);
                    }
                    if let Some(id) = accounts_group_id {
                        q.append_pair("accountsGroupId", id);
                    }
                }
                AuthorizationKind::Pkce => {
                    q.append_pair("nonce", self.saved.nonce.expose())
                        .append_pair(
                            "code_challenge",
                            &s256_challenge(self.saved.code_verifier.expose()),
                        )
                        .append_pair("code_challenge_method", "S256");
                }
            }
        }
        url.to_string()
    }

    fn finish(&mut self, phase: Phase) -> Effects {
        self.saved.phase = phase;
        vec![Effect::Stop, Effect::State(self.state())]
    }

    fn fail(&mut self, error: Error) -> Effects {
        log::warn!("authorization flow failed: {error}");
        self.finish(Phase::Failed {
            error: PersistedError::new(error),
        })
    }

    fn exchange_request(&self, code: &Secret) -> crate::http::HttpRequest {
        let verifier =
            matches!(self.saved.kind, AuthorizationKind::Pkce).then_some(&self.saved.code_verifier);
        self.token
            .authorization_code(code, &self.saved.redirect_uri, verifier)
    }

    /// Sets the deadline on the first start (a restored flow keeps its original one) and arms
    /// its timer; the flow times out at once if the deadline has passed.
    fn arm_deadline(&mut self, now: Timestamp) -> Result<Effect<AuthorizationState>, Effects> {
        let deadline = *self
            .saved
            .deadline_at
            .get_or_insert(now.plus(self.timeout()));
        if now >= deadline {
            return Err(self.finish(Phase::TimedOut));
        }
        Ok(Effect::ArmTimer {
            timer: TimerKind::Deadline,
            after: now.until(deadline),
        })
    }

    /// Checks the ID token returned with a PKCE login: nonce, audience, expiry.
    fn check_id_token(&self, tokens: &TokenSet, now: Timestamp) -> Result<(), Error> {
        if !matches!(self.saved.kind, AuthorizationKind::Pkce)
            || !self.saved.scope.split(' ').any(|s| s == "openid")
        {
            return Ok(());
        }
        let token = tokens.id_token.as_ref().ok_or(Error::NonceMismatch)?;
        let payload = token
            .expose()
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok())
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .ok_or_else(|| Error::MalformedResponse {
                endpoint: RequestKind::Exchange.endpoint(),
                detail: "the ID token is not a JWT".into(),
            })?;
        let nonce = payload["nonce"].as_str().unwrap_or("");
        if !constant_time_eq(nonce.as_bytes(), self.saved.nonce.expose().as_bytes()) {
            return Err(Error::NonceMismatch);
        }
        let aud_ok = match &payload["aud"] {
            serde_json::Value::String(a) => *a == self.saved.client_id,
            serde_json::Value::Array(list) => list
                .iter()
                .any(|a| a.as_str() == Some(&self.saved.client_id)),
            _ => false,
        };
        let exp_ok = payload["exp"]
            .as_i64()
            .and_then(|exp| exp.checked_mul(1000))
            .is_some_and(|exp_ms| exp_ms > now.unix_millis());
        if !aud_ok || !exp_ok {
            return Err(Error::MalformedResponse {
                endpoint: RequestKind::Exchange.endpoint(),
                detail: "the ID token is not for this client or has expired".into(),
            });
        }
        Ok(())
    }

    fn on_exchanged(&mut self, result: HttpResult, ctx: Ctx) -> Effects {
        let Phase::Exchanging {
            consent_id,
            received_at,
            ..
        } = &self.saved.phase
        else {
            return vec![];
        };
        let (consent_id, received_at) = (consent_id.clone(), *received_at);
        match classify(RequestKind::Exchange, result, ctx.now).map_err(oauth_failure) {
            Ok(response) => {
                let tokens = parse_token_response(RequestKind::Exchange, &response, ctx.now)
                    .and_then(|mut t| {
                        t.consent_id = consent_id;
                        self.check_id_token(&t, ctx.now).map(|()| t)
                    });
                match tokens {
                    Ok(tokens) => self.finish(Phase::Authenticated { tokens }),
                    Err(e) => self.fail(e),
                }
            }
            Err(f) if f.is_transient() => {
                // Bounded by the code's lifetime, not a count.
                let delay =
                    self.retrier
                        .delay_after(RequestKind::Exchange.endpoint(), &f, ctx.entropy);
                if ctx.now.plus(delay) < self.code_valid_until(received_at) {
                    vec![Effect::ArmTimer {
                        timer: TimerKind::Retry(RequestKind::Exchange),
                        after: delay,
                    }]
                } else {
                    self.fail(Error::CodeExpired)
                }
            }
            Err(Failure {
                error: Error::UnexpectedStatus { status, code, .. },
                ..
            }) if (400..500).contains(&status) => self.fail(Error::CodeRejected { status, code }),
            Err(f) => self.fail(f.error),
        }
    }

    /// Until when a code received at `received_at` can be exchanged.
    fn code_valid_until(&self, received_at: Timestamp) -> Timestamp {
        received_at.plus(Duration::from_millis(self.saved.code_lifetime_ms))
    }

    /// Sends the exchange again (a retry, or after a restore) while the code lives; otherwise
    /// the flow fails with [`Error::CodeExpired`]. Nothing outside `Exchanging`.
    fn resend_exchange(&mut self, now: Timestamp) -> Effects {
        let Phase::Exchanging {
            code, received_at, ..
        } = &self.saved.phase
        else {
            return vec![];
        };
        if now < self.code_valid_until(*received_at) {
            vec![Effect::Send(self.exchange_request(code))]
        } else {
            self.fail(Error::CodeExpired)
        }
    }
}

fn is_user_decline(error: &str) -> bool {
    matches!(
        error,
        "access_denied" | "cancelled" | "canceled" | "user_cancelled"
    )
}

impl Flow for AuthorizationMachine {
    type State = AuthorizationState;
    type Output = TokenSet;

    fn handle(&mut self, input: Input, ctx: Ctx) -> Effects {
        let terminal = matches!(
            self.saved.phase,
            Phase::Authenticated { .. }
                | Phase::Failed { .. }
                | Phase::Cancelled { .. }
                | Phase::TimedOut
        );
        if terminal {
            return vec![];
        }
        match input {
            Input::Start => {
                if !matches!(self.saved.phase, Phase::Created) {
                    return vec![];
                }
                let deadline = match self.arm_deadline(ctx.now) {
                    Ok(effect) => effect,
                    Err(done) => return done,
                };
                self.saved.phase = Phase::Awaiting;
                vec![deadline, Effect::State(self.state())]
            }
            Input::Resume => {
                if matches!(self.saved.phase, Phase::Created) {
                    return vec![];
                }
                let deadline = match self.arm_deadline(ctx.now) {
                    Ok(effect) => effect,
                    Err(done) => return done,
                };
                let mut effects = vec![deadline, Effect::State(self.state())];
                if matches!(self.saved.phase, Phase::Exchanging { .. }) {
                    let resend = self.resend_exchange(ctx.now);
                    if matches!(self.saved.phase, Phase::Failed { .. }) {
                        return resend;
                    }
                    effects.extend(resend);
                }
                effects
            }
            Input::Cancel => {
                log::info!("authorization flow cancelled by the app");
                self.finish(Phase::Cancelled {
                    by: CancelOrigin::Host,
                })
            }
            Input::Timer(TimerKind::Deadline) => self.finish(Phase::TimedOut),
            Input::Timer(TimerKind::Retry(RequestKind::Exchange)) => self.resend_exchange(ctx.now),
            Input::Timer(_) => vec![],
            Input::Response {
                kind: RequestKind::Exchange,
                result,
            } => self.on_exchanged(result, ctx),
            Input::Response { .. } => vec![],
        }
    }

    fn redirect(&mut self, url: &Url, ctx: Ctx) -> (RedirectOutcome, Effects) {
        if !self.redirect.matches(url) {
            return (RedirectOutcome::NotForThisFlow, vec![]);
        }
        match self.saved.phase {
            Phase::Awaiting => {}
            Phase::Exchanging { .. } => {
                return (
                    RedirectOutcome::Ignored(IgnoredReason::CodeAlreadyReceived),
                    vec![],
                );
            }
            Phase::Created => {
                return (
                    RedirectOutcome::Ignored(IgnoredReason::NotWaitingForRedirect),
                    vec![],
                );
            }
            _ => {
                return (
                    RedirectOutcome::Ignored(IgnoredReason::FlowFinished),
                    vec![],
                );
            }
        }
        let query = match RedirectQuery::parse(url) {
            Ok(q) => q,
            Err(e) => return (RedirectOutcome::Rejected(e), vec![]),
        };
        let field = |name: &str| query.get(name).map(|v| v.map(str::to_owned));
        let (state, code, error, description, consent_id) = match (
            field("state"),
            field("code"),
            field("error"),
            field("error_description"),
            field("consentId"),
        ) {
            (Ok(s), Ok(c), Ok(e), Ok(d), Ok(i)) => (s, c, e, d, i),
            (Err(e), ..)
            | (_, Err(e), ..)
            | (_, _, Err(e), ..)
            | (_, _, _, Err(e), _)
            | (.., Err(e)) => {
                return (RedirectOutcome::Rejected(e), vec![]);
            }
        };
        // The state is checked before anything else: a forged redirect must not even be able
        // to cancel the flow.
        let state_ok = state
            .as_deref()
            .is_some_and(|s| constant_time_eq(s.as_bytes(), self.saved.state.expose().as_bytes()));
        if !state_ok {
            log::warn!("rejected a redirect with a missing or wrong state");
            return (RedirectOutcome::Rejected(Error::StateMismatch), vec![]);
        }
        match (code, error) {
            (Some(code), None) if !code.is_empty() => {
                let request = self.exchange_request(&Secret::new(code.clone()));
                self.saved.phase = Phase::Exchanging {
                    code: Secret::new(code),
                    consent_id,
                    received_at: ctx.now,
                };
                self.retrier.reset();
                (
                    RedirectOutcome::CodeAccepted,
                    vec![
                        Effect::State(AuthorizationState::CodeReceived),
                        Effect::State(AuthorizationState::Exchanging),
                        Effect::Send(request),
                    ],
                )
            }
            (None, Some(error)) => {
                let error =
                    sanitize_provider_code(&error).unwrap_or_else(|| "unknown_error".into());
                if is_user_decline(&error) {
                    let by = CancelOrigin::User;
                    (
                        RedirectOutcome::ProviderError(Error::Cancelled { by }),
                        self.finish(Phase::Cancelled { by }),
                    )
                } else {
                    let e = Error::AuthorizationError {
                        code: error,
                        description: description.as_deref().and_then(sanitize_provider_code),
                    };
                    (RedirectOutcome::ProviderError(e.clone()), self.fail(e))
                }
            }
            (Some(_), Some(_)) => (
                RedirectOutcome::Rejected(Error::InvalidRedirect(
                    "the redirect carries both a code and an error".into(),
                )),
                vec![],
            ),
            _ => (
                RedirectOutcome::Rejected(Error::InvalidRedirect(
                    "the redirect carries neither a code nor an error".into(),
                )),
                vec![],
            ),
        }
    }

    fn redirect_pattern(&self) -> &RedirectPattern {
        &self.redirect
    }

    fn state(&self) -> AuthorizationState {
        match &self.saved.phase {
            Phase::Created => AuthorizationState::Created,
            Phase::Awaiting => AuthorizationState::AwaitingUser {
                authorize_url: self.authorize_url(),
            },
            Phase::Exchanging { .. } => AuthorizationState::Exchanging,
            Phase::Authenticated { tokens } => AuthorizationState::Authenticated {
                expires_at: tokens.expires_at,
                scope: tokens.scope.clone(),
                consent_id: tokens.consent_id.clone(),
                refreshable: tokens.refresh_token.is_some(),
            },
            Phase::Failed { error } => AuthorizationState::Failed {
                error: error.error(),
            },
            Phase::Cancelled { by } => AuthorizationState::Cancelled { by: *by },
            Phase::TimedOut => AuthorizationState::TimedOut,
        }
    }

    fn outcome(&self) -> Option<Result<TokenSet, Error>> {
        match self.state() {
            AuthorizationState::Failed { error } => Some(Err(error)),
            AuthorizationState::Cancelled { by } => Some(Err(Error::Cancelled { by })),
            AuthorizationState::TimedOut => Some(Err(Error::TimedOut(self.timeout()))),
            _ => match &self.saved.phase {
                Phase::Authenticated { tokens } => Some(Ok(tokens.clone())),
                _ => None,
            },
        }
    }

    fn snapshot(&self) -> String {
        snapshot::encode(self.kind(), &self.saved)
    }
}
