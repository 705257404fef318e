//! The authorization-code state machine (sans-IO).
//!
//! [`AuthorizationMachine::step`] is the machine: one `match (phase, event)` whose arms are the
//! edges of the diagram in `README.md` (checked against it by a test), each calling a small
//! named action. Everything the two flow machines share (ending, failing, the deadline,
//! resending a code while it lives, reading a redirect and recognising a user's cancel) is in
//! [`crate::machine_kit`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use crate::config::Credentials;
use crate::error::{Error, sanitize_provider_code};
use crate::flow::{Ctx, Effect, Flow, IgnoredReason, Input, RedirectOutcome, TimerKind};
use crate::http::{HttpRequest, HttpResult, RequestKind, classify};
use crate::machine_kit::{
    Ending, Lifecycle, Machine, ReceivedCode, RedirectReply, Reply, Step, exchange_failure,
    read_redirect,
};
use crate::oauth::token::{oauth_failure, parse_token_response};
use crate::oauth::{
    ClientAuth, FlowSecrets, TokenEndpoint, TokenSet, TokenWire, constant_time_eq, s256_challenge,
};
use crate::redirect::{RedirectPattern, RedirectQuery};
use crate::secret::Secret;
use crate::snapshot::records::{
    AuthorizationKindV1, AuthorizationPhaseV1, AuthorizationSnapshotV1,
};
use crate::snapshot::{self, FlowKind};
use crate::timestamp::Timestamp;

use super::state::{AuthorizationKind, AuthorizationParams, AuthorizationState};

type Effects = Vec<Effect<AuthorizationState>>;

/// Where the flow is. The names are the diagram's; the snapshot writes its own
/// ([`AuthorizationPhaseV1`]).
#[derive(Clone, Debug)]
pub(super) enum Phase {
    Created,
    Awaiting,
    Exchanging {
        code: ReceivedCode,
        consent_id: Option<String>,
    },
    Done(Ending<TokenSet>),
}

#[cfg(test)]
impl Phase {
    /// The phase's name in the diagram (`README.md`).
    pub(super) fn name(&self) -> &'static str {
        match self {
            Phase::Created => "Created",
            Phase::Awaiting => "Awaiting",
            Phase::Exchanging { .. } => "Exchanging",
            Phase::Done(ending) => ending.name(),
        }
    }
}

/// Everything that can happen to the flow, each response and redirect already read.
#[derive(Debug)]
enum Event {
    Start,
    Resume,
    Cancel,
    Timer(TimerKind),
    Exchanged(Reply<TokenSet>),
    Redirect {
        reply: RedirectReply,
        consent_id: Option<String>,
    },
    /// A response of a kind this flow never sends.
    Stray,
}

/// What the flow sent the provider and checks its answers against; fixed at construction.
#[derive(Clone, Debug)]
struct Setup {
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
}

/// An authorization-code flow as a pure state machine.
#[derive(Debug)]
pub struct AuthorizationMachine {
    setup: Setup,
    life: Lifecycle,
    phase: Phase,
    redirect: RedirectPattern,
    token: TokenEndpoint,
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
        let setup = Setup {
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
        };
        let life = Lifecycle::new(params.timeout, params.code_lifetime, creds.retry);
        Self::build(creds, setup, life, Phase::Created)
    }

    fn build(
        creds: &Credentials,
        setup: Setup,
        life: Lifecycle,
        phase: Phase,
    ) -> Result<Self, Error> {
        let redirect = RedirectPattern::parse("redirectPattern", &setup.redirect_pattern, true)?;
        // `authorize_url()` (and so `state()` while awaiting the user) relies on this: a
        // snapshot is outside input like any other.
        Url::parse(&setup.authorize_endpoint)
            .map_err(|_| Error::InvalidSnapshot("authorize endpoint is not a URL".into()))?;
        let url = Url::parse(&setup.token_endpoint)
            .map_err(|_| Error::InvalidSnapshot("token endpoint is not a URL".into()))?;
        let (wire, client_secret) = match setup.kind {
            // In relay mode the relay adds the partner's Basic authentication.
            AuthorizationKind::AiiaConnect { .. } if creds.is_relay() => {
                (TokenWire::AiiaJson, None)
            }
            AuthorizationKind::AiiaConnect { .. } => {
                (TokenWire::AiiaJson, Some(creds.client_secret.clone()))
            }
            AuthorizationKind::Pkce => (TokenWire::Form(ClientAuth::None), None),
        };
        let token = TokenEndpoint {
            url,
            wire,
            client_id: setup.client_id.clone(),
            client_secret,
            timeout: creds.request_timeout,
        };
        Ok(AuthorizationMachine {
            setup,
            life,
            phase,
            redirect,
            token,
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
        let record: AuthorizationSnapshotV1 = snapshot::decode_as(snapshot_text, expected)?;
        Self::from_record(creds, record, expected)
    }

    fn kind(&self) -> FlowKind {
        match self.setup.kind {
            AuthorizationKind::AiiaConnect { .. } => FlowKind::AiiaConnect,
            AuthorizationKind::Pkce => FlowKind::Pkce,
        }
    }

    /// The URL the WebView loads.
    pub fn authorize_url(&self) -> String {
        let mut url = Url::parse(&self.setup.authorize_endpoint).expect("checked by build");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.setup.client_id)
                .append_pair("redirect_uri", &self.setup.redirect_uri)
                .append_pair("scope", &self.setup.scope)
                .append_pair("response_type", "code")
                .append_pair("state", self.setup.state.expose());
            match &self.setup.kind {
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
                    q.append_pair("nonce", self.setup.nonce.expose())
                        .append_pair(
                            "code_challenge",
                            &s256_challenge(self.setup.code_verifier.expose()),
                        )
                        .append_pair("code_challenge_method", "S256");
                }
            }
        }
        url.to_string()
    }

    // --- The machine ---------------------------------------------------------------------------

    /// One event: the edges of the diagram (`README.md`), each calling an action.
    fn step(&mut self, event: Event, ctx: Ctx) -> Step<AuthorizationState> {
        use Event as E;
        use Phase as P;
        use RedirectReply as R;
        match (&self.phase, event) {
            // Ended: nothing moves it; a redirect is answered.
            (P::Done(_), E::Redirect { .. }) => Step::ignored(IgnoredReason::FlowFinished),
            (P::Done(_), _) => Step::nothing(),

            // Any phase before the end.
            (P::Created, E::Start) => self.start(ctx).into(),
            (_, E::Start) => Step::nothing(),
            (_, E::Cancel) => self.cancel_by_host().into(),
            (_, E::Timer(TimerKind::Deadline)) => self.time_out().into(),

            (P::Created, E::Resume) => Step::nothing(),
            (P::Created, E::Redirect { .. }) => Step::ignored(IgnoredReason::NotWaitingForRedirect),

            (P::Awaiting, E::Resume) => self.resume(ctx, |_, _| Vec::new()).into(),
            (
                P::Awaiting,
                E::Redirect {
                    reply: R::Code(code),
                    consent_id,
                },
            ) => Step::redirect(
                RedirectOutcome::CodeAccepted,
                self.accept_code(code, consent_id, ctx),
            ),
            (
                P::Awaiting,
                E::Redirect {
                    reply: R::UserCancelled,
                    ..
                },
            ) => self.cancel_by_user(),
            (
                P::Awaiting,
                E::Redirect {
                    reply: R::Error { error, description },
                    ..
                },
            ) => self.authorization_error(&error, description.as_deref()),
            (
                P::Awaiting,
                E::Redirect {
                    reply: R::Rejected(e),
                    ..
                },
            ) => self.reject_redirect(e),

            (P::Exchanging { .. }, E::Resume) => self.resume(ctx, Self::resend_exchange).into(),
            (P::Exchanging { consent_id, .. }, E::Exchanged(Reply::Ok(mut tokens))) => {
                tokens.consent_id = consent_id.clone();
                self.finish(Ending::Authenticated(tokens)).into()
            }
            (P::Exchanging { .. }, E::Exchanged(Reply::Transient(f))) => {
                self.retry_exchange(f, ctx).into()
            }
            (P::Exchanging { .. }, E::Exchanged(Reply::Fatal(e))) => self.fail(e).into(),
            (P::Exchanging { .. }, E::Timer(TimerKind::Retry(RequestKind::Exchange))) => {
                self.resend_exchange(ctx).into()
            }
            (P::Exchanging { .. }, E::Redirect { .. }) => {
                Step::ignored(IgnoredReason::CodeAlreadyReceived)
            }

            // A response the flow no longer waits for, a timer of another phase.
            (_, E::Exchanged(_) | E::Timer(_) | E::Stray) => Step::nothing(),
        }
    }

    // --- Actions -------------------------------------------------------------------------------

    fn start(&mut self, ctx: Ctx) -> Effects {
        let deadline = match self.arm_deadline(ctx.now) {
            Ok(effect) => effect,
            Err(timed_out) => return timed_out,
        };
        self.phase = Phase::Awaiting;
        vec![deadline, Effect::State(self.state())]
    }

    /// A redirect with this flow's state and a code: exchange it.
    fn accept_code(&mut self, code: Secret, consent_id: Option<String>, ctx: Ctx) -> Effects {
        let request = self.exchange_request(&code);
        self.phase = Phase::Exchanging {
            code: ReceivedCode::new(code, ctx),
            consent_id,
        };
        self.life.retrier.reset();
        vec![
            Effect::State(AuthorizationState::CodeReceived),
            Effect::State(AuthorizationState::Exchanging),
            Effect::Send(request),
        ]
    }

    /// The authorization server's error redirect (not a cancel).
    fn authorization_error(
        &mut self,
        error: &str,
        description: Option<&str>,
    ) -> Step<AuthorizationState> {
        let e = Error::AuthorizationError {
            code: sanitize_provider_code(error).unwrap_or_else(|| "unknown_error".into()),
            description: description.and_then(sanitize_provider_code),
        };
        Step::redirect(RedirectOutcome::ProviderError(e.clone()), self.fail(e))
    }

    fn reject_redirect(&self, error: Error) -> Step<AuthorizationState> {
        if error == Error::StateMismatch {
            log::warn!("rejected a redirect with a missing or wrong state");
        }
        Step::rejected(error)
    }

    // --- Reading inputs ------------------------------------------------------------------------

    fn read(&self, input: Input, ctx: Ctx) -> Event {
        match input {
            Input::Start => Event::Start,
            Input::Resume => Event::Resume,
            Input::Cancel => Event::Cancel,
            Input::Timer(timer) => Event::Timer(timer),
            Input::Response {
                kind: RequestKind::Exchange,
                result,
            } => Event::Exchanged(self.read_exchange(result, ctx)),
            Input::Response { .. } => Event::Stray,
        }
    }

    fn read_exchange(&self, result: HttpResult, ctx: Ctx) -> Reply<TokenSet> {
        match classify(RequestKind::Exchange, result, ctx.now).map_err(oauth_failure) {
            Ok(response) => {
                match parse_token_response(RequestKind::Exchange, &response, ctx.now)
                    .and_then(|t| self.check_id_token(&t, ctx.now).map(|()| t))
                {
                    Ok(tokens) => Reply::Ok(tokens),
                    Err(e) => Reply::Fatal(e),
                }
            }
            Err(f) => exchange_failure(f),
        }
    }

    /// Reads a redirect of this flow. The state is checked before anything else: a forged
    /// redirect must not even be able to cancel the flow.
    fn read_redirect(&self, url: &Url) -> Event {
        let rejected = |e| Event::Redirect {
            reply: RedirectReply::Rejected(e),
            consent_id: None,
        };
        let query = match RedirectQuery::parse(url) {
            Ok(q) => q,
            Err(e) => return rejected(e),
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
            | (.., Err(e)) => return rejected(e),
        };
        let state_ok = state
            .as_deref()
            .is_some_and(|s| constant_time_eq(s.as_bytes(), self.setup.state.expose().as_bytes()));
        if !state_ok {
            return rejected(Error::StateMismatch);
        }
        Event::Redirect {
            reply: read_redirect(code, error, description),
            consent_id,
        }
    }

    /// Checks the ID token returned with a PKCE login: nonce, audience, expiry.
    fn check_id_token(&self, tokens: &TokenSet, now: Timestamp) -> Result<(), Error> {
        if !matches!(self.setup.kind, AuthorizationKind::Pkce)
            || !self.setup.scope.split(' ').any(|s| s == "openid")
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
        if !constant_time_eq(nonce.as_bytes(), self.setup.nonce.expose().as_bytes()) {
            return Err(Error::NonceMismatch);
        }
        let aud_ok = match &payload["aud"] {
            serde_json::Value::String(a) => *a == self.setup.client_id,
            serde_json::Value::Array(list) => list
                .iter()
                .any(|a| a.as_str() == Some(&self.setup.client_id)),
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

    // --- Snapshots -----------------------------------------------------------------------------

    fn to_record(&self) -> AuthorizationSnapshotV1 {
        let s = &self.setup;
        AuthorizationSnapshotV1 {
            kind: match &s.kind {
                AuthorizationKind::AiiaConnect {
                    accounts_group_name,
                    accounts_group_id,
                } => AuthorizationKindV1::AiiaConnect {
                    accounts_group_name: accounts_group_name.clone(),
                    accounts_group_id: accounts_group_id.clone(),
                },
                AuthorizationKind::Pkce => AuthorizationKindV1::Pkce,
            },
            client_id: s.client_id.clone(),
            authorize_endpoint: s.authorize_endpoint.clone(),
            token_endpoint: s.token_endpoint.clone(),
            redirect_uri: s.redirect_uri.clone(),
            redirect_pattern: s.redirect_pattern.clone(),
            scope: s.scope.clone(),
            state: s.state.clone(),
            nonce: s.nonce.clone(),
            code_verifier: s.code_verifier.clone(),
            timeout_ms: self.life.timeout.as_millis() as u64,
            code_lifetime_ms: self.life.code_lifetime.as_millis() as u64,
            deadline_at: self.life.deadline_at,
            phase: match &self.phase {
                Phase::Created => AuthorizationPhaseV1::Created,
                Phase::Awaiting => AuthorizationPhaseV1::Awaiting,
                Phase::Exchanging { code, consent_id } => AuthorizationPhaseV1::Exchanging {
                    code: code.code.clone(),
                    consent_id: consent_id.clone(),
                    received_at: code.received_at,
                },
                Phase::Done(Ending::Authenticated(tokens)) => AuthorizationPhaseV1::Authenticated {
                    tokens: tokens.into(),
                },
                Phase::Done(Ending::Failed(error)) => AuthorizationPhaseV1::Failed {
                    error: error.into(),
                },
                Phase::Done(Ending::Cancelled(by)) => {
                    AuthorizationPhaseV1::Cancelled { by: (*by).into() }
                }
                // Never an ending of this flow; written as a failure if it ever were.
                Phase::Done(Ending::NotApplicable) => AuthorizationPhaseV1::Failed {
                    error: (&crate::error::PersistedError::new(Error::NotApplicable)).into(),
                },
                Phase::Done(Ending::TimedOut) => AuthorizationPhaseV1::TimedOut,
            },
        }
    }

    fn from_record(
        creds: &Credentials,
        r: AuthorizationSnapshotV1,
        expected: FlowKind,
    ) -> Result<Self, Error> {
        let kind_matches = matches!(
            (&r.kind, expected),
            (
                AuthorizationKindV1::AiiaConnect { .. },
                FlowKind::AiiaConnect
            ) | (AuthorizationKindV1::Pkce, FlowKind::Pkce)
        );
        if !kind_matches {
            return Err(Error::InvalidSnapshot(
                "the flow inside does not match the snapshot kind".into(),
            ));
        }
        if r.client_id != creds.client_id {
            return Err(Error::InvalidSnapshot(
                "the snapshot belongs to another client id".into(),
            ));
        }
        let setup = Setup {
            kind: match r.kind {
                AuthorizationKindV1::AiiaConnect {
                    accounts_group_name,
                    accounts_group_id,
                } => AuthorizationKind::AiiaConnect {
                    accounts_group_name,
                    accounts_group_id,
                },
                AuthorizationKindV1::Pkce => AuthorizationKind::Pkce,
            },
            client_id: r.client_id,
            authorize_endpoint: r.authorize_endpoint,
            token_endpoint: r.token_endpoint,
            redirect_uri: r.redirect_uri,
            redirect_pattern: r.redirect_pattern,
            scope: r.scope,
            state: r.state,
            nonce: r.nonce,
            code_verifier: r.code_verifier,
        };
        let life =
            Lifecycle::restored(r.timeout_ms, r.code_lifetime_ms, r.deadline_at, creds.retry);
        let phase = match r.phase {
            AuthorizationPhaseV1::Created => Phase::Created,
            AuthorizationPhaseV1::Awaiting => Phase::Awaiting,
            AuthorizationPhaseV1::Exchanging {
                code,
                consent_id,
                received_at,
            } => Phase::Exchanging {
                code: ReceivedCode::restored(code, received_at),
                consent_id,
            },
            AuthorizationPhaseV1::Authenticated { tokens } => {
                Phase::Done(Ending::Authenticated(tokens.into()))
            }
            AuthorizationPhaseV1::Failed { error } => Phase::Done(Ending::Failed(error.into())),
            AuthorizationPhaseV1::Cancelled { by } => Phase::Done(Ending::Cancelled(by.into())),
            AuthorizationPhaseV1::TimedOut => Phase::Done(Ending::TimedOut),
        };
        Self::build(creds, setup, life, phase)
    }

    #[cfg(test)]
    pub(super) fn phase(&self) -> &Phase {
        &self.phase
    }
}

impl Machine for AuthorizationMachine {
    const NAME: &'static str = "authorization flow";

    fn ending(&self) -> Option<&Ending<TokenSet>> {
        match &self.phase {
            Phase::Done(ending) => Some(ending),
            _ => None,
        }
    }

    fn set_ending(&mut self, ending: Ending<TokenSet>) {
        self.phase = Phase::Done(ending);
    }

    fn lifecycle(&self) -> &Lifecycle {
        &self.life
    }

    fn lifecycle_mut(&mut self) -> &mut Lifecycle {
        &mut self.life
    }

    fn received_code(&self) -> Option<&ReceivedCode> {
        match &self.phase {
            Phase::Exchanging { code, .. } => Some(code),
            _ => None,
        }
    }

    fn exchange_request(&self, code: &Secret) -> HttpRequest {
        let verifier =
            matches!(self.setup.kind, AuthorizationKind::Pkce).then_some(&self.setup.code_verifier);
        self.token
            .authorization_code(code, &self.setup.redirect_uri, verifier)
    }
}

impl Flow for AuthorizationMachine {
    type State = AuthorizationState;
    type Output = TokenSet;

    fn handle(&mut self, input: Input, ctx: Ctx) -> Effects {
        let event = self.read(input, ctx);
        self.step(event, ctx).effects
    }

    fn redirect(&mut self, url: &Url, ctx: Ctx) -> (RedirectOutcome, Effects) {
        if !self.redirect.matches(url) {
            return (RedirectOutcome::NotForThisFlow, vec![]);
        }
        let event = self.read_redirect(url);
        self.step(event, ctx).into_redirect()
    }

    fn redirect_pattern(&self) -> &RedirectPattern {
        &self.redirect
    }

    fn state(&self) -> AuthorizationState {
        match &self.phase {
            Phase::Created => AuthorizationState::Created,
            Phase::Awaiting => AuthorizationState::AwaitingUser {
                authorize_url: self.authorize_url(),
            },
            Phase::Exchanging { .. } => AuthorizationState::Exchanging,
            Phase::Done(Ending::Authenticated(tokens)) => AuthorizationState::Authenticated {
                expires_at: tokens.expires_at,
                scope: tokens.scope.clone(),
                consent_id: tokens.consent_id.clone(),
                refreshable: tokens.refresh_token.is_some(),
            },
            Phase::Done(Ending::Failed(error)) => AuthorizationState::Failed {
                error: error.info(),
            },
            Phase::Done(Ending::Cancelled(by)) => AuthorizationState::Cancelled { by: *by },
            // Never an ending of this flow; shown as the failure it would be.
            Phase::Done(Ending::NotApplicable) => AuthorizationState::Failed {
                error: Error::NotApplicable.into(),
            },
            Phase::Done(Ending::TimedOut) => AuthorizationState::TimedOut,
        }
    }

    fn outcome(&self) -> Option<Result<TokenSet, Error>> {
        self.ending_outcome()
    }

    fn snapshot(&self) -> Result<String, Error> {
        snapshot::encode(self.kind(), &self.to_record())
    }
}
