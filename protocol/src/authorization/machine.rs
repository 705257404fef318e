//! The authorization-code state machine (sans-IO).
//!
//! [`AuthorizationMachine::step`] is the machine: one `match (phase, event)` whose arms are the
//! edges of the diagram in `README.md` (checked against it by a test), each calling a small
//! named action. Everything the two flow machines share (ending, failing, the deadline,
//! resending a code while it lives, reading a redirect and recognising a user's cancel) is in
//! [`crate::machine_kit`].

use url::Url;

use crate::config::{ConsentPage, Credentials};
use crate::error::{Error, ErrorInfo, sanitize_provider_code};
use crate::flow::{Ctx, Effect, Flow, RedirectOutcome};
use crate::http::{HttpRequest, HttpResult, RequestKind, classify};
use crate::machine_kit::{
    self, Ending, Event, EventOf, Lifecycle, Machine, ReceivedCode, RedirectReply, Reply, Step,
    exchange_failure, read_redirect,
};
use crate::oauth::id_token::{Expected, IdTokenClaims};
use crate::oauth::token::{oauth_failure, parse_token_response};
use crate::oauth::{
    ClientAuth, FlowSecrets, TokenEndpoint, TokenSet, TokenWire, constant_time_eq, s256_challenge,
};
use crate::redirect::{RedirectPattern, RedirectQuery};
use crate::secret::Secret;
use crate::snapshot::records::{
    AuthorizationKindV1, AuthorizationPhaseV1, AuthorizationSnapshotV1,
};
use crate::snapshot::{self, FlowKind, checks};
use crate::timestamp::Timestamp;
use crate::validate;

use super::state::{AuthorizationKind, AuthorizationParams, AuthorizationState};

type Effects = Vec<Effect<AuthorizationState>>;

// Never an ending of this flow; written as a failure if it ever were.
machine_kit::ending_records!(
    AuthorizationPhaseV1,
    TokenSet,
    AuthorizationPhaseV1::Failed {
        error: (&crate::error::PersistedError::new(Error::NotApplicable)).into(),
    }
);

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

/// What a redirect of this flow says (its only response is the exchange's, read into a
/// [`Reply`]).
#[derive(Debug)]
pub(crate) enum Redirected {
    /// A code or an error, with the `consentId` the provider sent along.
    Read {
        reply: RedirectReply,
        consent_id: Option<String>,
    },
    /// This flow's `state` and neither a code nor an error: the provider is done with this
    /// request without a result (Aiia Data sends it when the user cancels or the bank fails).
    WithoutCode,
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
    /// The provider promised RFC 9207's `iss` in every authorization response (discovery's
    /// `authorization_response_iss_parameter_supported`): a redirect without it is refused.
    iss_required: bool,
    /// The caller's extra authorize parameters, checked ([`crate::oauth::authorize`]).
    authorize_params: Vec<(String, String)>,
    /// Whether the authorize URL carries the S256 challenge and the exchange the verifier
    /// (always for PKCE; by default for connect).
    pkce: bool,
}

/// An authorization-code flow as a pure state machine.
#[derive(Debug)]
pub struct AuthorizationMachine {
    setup: Setup,
    life: Lifecycle,
    phase: Phase,
    redirect: RedirectPattern,
    token: TokenEndpoint,
    /// The issuer the ID token and RFC 9207's `iss` must name (PKCE).
    token_issuer: String,
    /// The snapshot integrity key ([`crate::config::ClientConfig::snapshot_key`]).
    snapshot_key: Option<Secret>,
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

    /// Aiia Data connect in relay mode: the user consents on the provider's page (`consent`),
    /// and the code is exchanged at the relay in `creds` (`{relay}/v1/oauth/token`, no client
    /// secret on the device; the relay adds the partner's Basic authentication). Fails with
    /// [`Error::InvalidInput`] unless `creds` are relay credentials.
    pub fn aiia_connect_via_relay(
        creds: &Credentials,
        consent: &ConsentPage,
        params: AuthorizationParams,
        accounts_group_name: Option<String>,
        accounts_group_id: Option<String>,
        secrets: FlowSecrets,
    ) -> Result<Self, Error> {
        let creds = Self::relay_creds(creds, consent)?;
        let (authorize, _) = consent.validate()?;
        let kind = AuthorizationKind::AiiaConnect {
            accounts_group_name,
            accounts_group_id,
        };
        let token = creds.endpoint("v1/oauth/token");
        Self::new(&creds, kind, authorize, token, params, secrets)
    }

    /// Restores a relay-mode connect flow ([`Self::aiia_connect_via_relay`]) from its snapshot.
    /// The snapshot's client id and consent page must be `consent`'s and its token endpoint
    /// this relay's: in relay mode every request carries the app token, so a snapshot naming
    /// another token endpoint would send it (and the code) elsewhere.
    pub fn restore_via_relay(
        creds: &Credentials,
        consent: &ConsentPage,
        snapshot_text: &str,
    ) -> Result<Self, Error> {
        let creds = Self::relay_creds(creds, consent)?;
        let (consent_page, _) = consent.validate()?;
        Self::restore_checked(&creds, snapshot_text, FlowKind::AiiaConnect, &consent_page)
    }

    /// `creds` (relay mode) with the consent page's client id.
    fn relay_creds(creds: &Credentials, consent: &ConsentPage) -> Result<Credentials, Error> {
        if !creds.is_relay() {
            return Err(Error::invalid(
                "relayUrl",
                "a consent page is for relay mode (a partner client connects with its own API root)",
            ));
        }
        let (_, client_id) = consent.validate()?;
        Ok(Credentials {
            client_id,
            ..creds.clone()
        })
    }

    /// Authorization code + PKCE for a public client (no secret is sent).
    pub fn pkce(
        creds: &Credentials,
        authorization_endpoint: Url,
        token_endpoint: Url,
        params: AuthorizationParams,
        secrets: FlowSecrets,
    ) -> Result<Self, Error> {
        // The same rule a restored snapshot's endpoints must pass (`snapshot::checks`): https,
        // or http to loopback; a host; no credentials; no fragment.
        validate::service_url(
            "authorizationEndpoint",
            authorization_endpoint.as_str(),
            false,
        )?;
        validate::service_url("tokenEndpoint", token_endpoint.as_str(), false)?;
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
        creds.check_redirect_scheme("redirectUri", &concrete)?;
        if params.timeout.is_zero() || params.code_lifetime.is_zero() {
            return Err(Error::invalid("timeout", "must be positive"));
        }
        validate::duration_ms("timeout", params.timeout)?;
        validate::duration_ms("codeLifetime", params.code_lifetime)?;
        if matches!(kind, AuthorizationKind::Pkce) && !params.pkce {
            return Err(Error::invalid(
                "pkce",
                "the PKCE flow cannot be used without PKCE",
            ));
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
        let authorize_params = params
            .extras
            .query_pairs(&scope, matches!(kind, AuthorizationKind::Pkce))?;
        let setup = Setup {
            kind,
            client_id: creds.client_id.clone(),
            authorize_endpoint: authorize.to_string(),
            token_endpoint: token.to_string(),
            // Exactly as configured: `url::Url` would write `https://app.example.com` as
            // `https://app.example.com/`, and the provider compares the two as strings.
            redirect_uri: params.redirect_uri.clone(),
            redirect_pattern: pattern.as_str(),
            scope,
            state: secrets.state,
            nonce: secrets.nonce,
            code_verifier: secrets.verifier,
            iss_required: false,
            authorize_params,
            pkce: params.pkce,
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
        crate::oauth::authorize::check_stored_pairs(&setup.authorize_params)?;
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
            token_issuer: creds.api_url.to_string(),
            snapshot_key: creds.snapshot_key.clone(),
        })
    }

    /// Requires RFC 9207's `iss` in the authorization response (when discovery advertises
    /// `authorization_response_iss_parameter_supported`). Without it, an `iss` that is there is
    /// still checked.
    pub fn requiring_response_iss(mut self, required: bool) -> Self {
        self.setup.iss_required = required;
        self
    }

    /// The issuer of a PKCE flow (its credentials' API root is the issuer); `None` for Aiia.
    fn issuer(&self) -> Option<&str> {
        matches!(self.setup.kind, AuthorizationKind::Pkce).then(|| self.token_issuer.as_str())
    }

    fn openid(&self) -> bool {
        self.setup.scope.split(' ').any(|s| s == "openid")
    }

    /// Rebuilds a machine of the `expected` kind ([`FlowKind::AiiaConnect`] or
    /// [`FlowKind::Pkce`]) from [`Flow::snapshot`] output; `creds` supplies the client secret
    /// (never stored in snapshots). A snapshot of the other kind is refused, so a confidential
    /// connect flow can never be restored as a public PKCE flow or the other way round. Feed
    /// [`Input::Resume`](crate::flow::Input::Resume) to continue.
    pub fn restore(
        creds: &Credentials,
        snapshot_text: &str,
        expected: FlowKind,
    ) -> Result<Self, Error> {
        Self::restore_checked(
            creds,
            snapshot_text,
            expected,
            &creds.endpoint("v1/oauth/connect"),
        )
    }

    /// [`Self::restore`] with the consent page a connect snapshot must name (the API root's, or
    /// in relay mode the provider's).
    fn restore_checked(
        creds: &Credentials,
        snapshot_text: &str,
        expected: FlowKind,
        connect_authorize: &Url,
    ) -> Result<Self, Error> {
        let text = snapshot::open(snapshot_text, creds.snapshot_key.as_ref())?;
        let record: AuthorizationSnapshotV1 = snapshot::decode_as(&text, expected)?;
        Self::from_record(creds, record, expected, connect_authorize)
    }

    fn kind(&self) -> FlowKind {
        match self.setup.kind {
            AuthorizationKind::AiiaConnect { .. } => FlowKind::AiiaConnect,
            AuthorizationKind::Pkce => FlowKind::Pkce,
        }
    }

    /// The authorization and token endpoints the flow uses (a restored flow's come from its
    /// snapshot, so a client checks them against its provider's metadata).
    pub fn endpoints(&self) -> (&str, &str) {
        (&self.setup.authorize_endpoint, &self.setup.token_endpoint)
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
                    // A nonce only for OpenID Connect: a plain OAuth provider refuses it.
                    if self.openid() {
                        q.append_pair("nonce", self.setup.nonce.expose());
                    }
                }
            }
            if self.setup.pkce {
                q.append_pair(
                    "code_challenge",
                    &s256_challenge(self.setup.code_verifier.expose()),
                )
                .append_pair("code_challenge_method", "S256");
            }
            for (name, value) in &self.setup.authorize_params {
                q.append_pair(name, value);
            }
        }
        url.to_string()
    }

    // --- Actions (the table is `Machine::step`, below) -----------------------------------------

    /// A redirect with this flow's state and a code: exchange it.
    fn accept_code(&mut self, code: Secret, consent_id: Option<String>, ctx: Ctx) -> Effects {
        self.phase = Phase::Exchanging {
            code: ReceivedCode::new(code, ctx),
            consent_id,
        };
        let mut effects = vec![
            Effect::State(AuthorizationState::CodeReceived),
            Effect::State(AuthorizationState::Exchanging),
        ];
        effects.extend(self.send_exchange(ctx));
        effects
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

    /// The provider came back without a result: the flow ends at once with
    /// [`Error::StartAgain`] instead of waiting for its deadline.
    fn start_again(&mut self) -> Step<AuthorizationState> {
        log::info!("the authorization redirect carried no code: the flow must start again");
        Step::redirect(
            RedirectOutcome::ProviderError(Error::StartAgain),
            self.fail(Error::StartAgain),
        )
    }

    fn reject_redirect(&self, error: Error) -> Step<AuthorizationState> {
        if error == Error::StateMismatch {
            log::warn!("rejected a redirect with a missing or wrong state");
        }
        Step::rejected(error)
    }

    // --- Reading inputs ------------------------------------------------------------------------

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

    /// RFC 9207: an `iss` in the redirect must be this flow's issuer (a mix-up sends the user
    /// to one provider and the code to another); it must be there when the provider promised
    /// it.
    fn check_response_iss(&self, query: &RedirectQuery) -> Result<(), Error> {
        let Some(issuer) = self.issuer() else {
            return Ok(());
        };
        match query.get("iss")? {
            Some(iss) if iss.trim_end_matches('/') == issuer.trim_end_matches('/') => Ok(()),
            Some(_) => Err(Error::InvalidRedirect(
                "the redirect's iss is not this flow's issuer".into(),
            )),
            None if self.setup.iss_required => Err(Error::InvalidRedirect(
                "the redirect carries no iss although the provider sends one".into(),
            )),
            None => Ok(()),
        }
    }

    /// Checks the ID token returned with a PKCE login ([`crate::oauth::id_token`]): nonce,
    /// issuer, audience and authorized party, expiry, issue time.
    fn check_id_token(&self, tokens: &TokenSet, now: Timestamp) -> Result<(), Error> {
        let Some(issuer) = self.issuer().filter(|_| self.openid()) else {
            return Ok(());
        };
        let kind = RequestKind::Exchange;
        let token = tokens.id_token.as_ref().ok_or(Error::NonceMismatch)?;
        IdTokenClaims::decode(kind, token)?.check(
            Expected {
                kind,
                issuer,
                client_id: &self.setup.client_id,
                nonce: Some(&self.setup.nonce),
            },
            now,
        )
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
            iss_required: s.iss_required,
            // Implied by the PKCE kind; written for connect flows only (and only when on), so
            // snapshots of earlier versions, which had no PKCE for connect, read as before.
            authorize_params: s.authorize_params.clone(),
            pkce: s.pkce && matches!(s.kind, AuthorizationKind::AiiaConnect { .. }),
            timeout_ms: crate::timestamp::whole_millis(self.life.timeout),
            code_lifetime_ms: crate::timestamp::whole_millis(self.life.code_lifetime),
            deadline_at: self.life.deadline_at,
            phase: match &self.phase {
                Phase::Created => AuthorizationPhaseV1::Created,
                Phase::Awaiting => AuthorizationPhaseV1::Awaiting,
                Phase::Exchanging { code, consent_id } => AuthorizationPhaseV1::Exchanging {
                    code: code.code.clone(),
                    consent_id: consent_id.clone(),
                    received_at: code.received_at,
                },
                Phase::Done(ending) => AuthorizationPhaseV1::ended(ending),
            },
            correlation_id: self.life.correlation.clone(),
        }
    }

    fn from_record(
        creds: &Credentials,
        r: AuthorizationSnapshotV1,
        expected: FlowKind,
        connect_authorize: &Url,
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
        let pkce = r.pkce || matches!(r.kind, AuthorizationKindV1::Pkce);
        match expected {
            FlowKind::AiiaConnect => {
                checks::same_url(
                    "authorize endpoint",
                    &r.authorize_endpoint,
                    connect_authorize,
                )?;
                checks::same_url(
                    "token endpoint",
                    &r.token_endpoint,
                    &creds.endpoint("v1/oauth/token"),
                )?;
            }
            // Discovered endpoints: the client (`OidcClient`) checks them against what it
            // discovered; here, that they are service URLs at all.
            _ => {
                checks::service_url("authorize endpoint", &r.authorize_endpoint)?;
                checks::service_url("token endpoint", &r.token_endpoint)?;
            }
        }
        let concrete = checks::redirect(creds, &r.redirect_uri, false)?;
        let pattern = checks::redirect(creds, &r.redirect_pattern, true)?;
        if !pattern.matches(concrete.url()) {
            return Err(Error::InvalidSnapshot(
                "the redirect URI does not match its pattern".into(),
            ));
        }
        checks::timing(r.timeout_ms, r.code_lifetime_ms)?;
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
            iss_required: r.iss_required,
            authorize_params: r.authorize_params,
            pkce,
        };
        let life = Lifecycle::restored(
            r.timeout_ms,
            r.code_lifetime_ms,
            r.deadline_at,
            creds.retry,
            r.correlation_id,
        );
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
            ended => Phase::Done(ended.ending()?),
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
    type Response = Reply<TokenSet>;
    type Redirect = Redirected;

    /// One event: the edges of the diagram (`README.md`) that are this machine's, each calling
    /// an action (the start, the end, a cancel, the deadline and the exchange's resending are
    /// every machine's: [`Machine::handle_input`]).
    fn step(&mut self, event: EventOf<Self>, ctx: Ctx) -> Step<AuthorizationState> {
        use Event as E;
        use Phase as P;
        use RedirectReply as R;
        use Redirected as D;
        match (&self.phase, event) {
            (P::Awaiting, E::Resume) => self.resume(ctx, |_, _| Vec::new()).into(),
            (
                P::Awaiting,
                E::Redirect(D::Read {
                    reply: R::Code(code),
                    consent_id,
                }),
            ) => Step::redirect(
                RedirectOutcome::CodeAccepted,
                self.accept_code(code, consent_id, ctx),
            ),
            (
                P::Awaiting,
                E::Redirect(D::Read {
                    reply: R::UserCancelled,
                    ..
                }),
            ) => self.cancel_by_user(),
            (
                P::Awaiting,
                E::Redirect(D::Read {
                    reply: R::Error { error, description },
                    ..
                }),
            ) => self.authorization_error(&error, description.as_deref()),
            (
                P::Awaiting,
                E::Redirect(D::Read {
                    reply: R::Rejected(e),
                    ..
                }),
            ) => self.reject_redirect(e),
            (P::Awaiting, E::Redirect(D::WithoutCode)) => self.start_again(),

            (P::Exchanging { consent_id, .. }, E::Response(reply)) => {
                let consent_id = consent_id.clone();
                let reply = reply.map(|mut tokens| {
                    tokens.consent_id = consent_id;
                    tokens
                });
                self.exchanged(reply, ctx).into()
            }

            // A response the flow no longer waits for, a timer of another phase; the phases
            // whose edges are all the kit's.
            (P::Created | P::Exchanging { .. } | P::Done(_), _)
            | (_, E::Response(_) | E::Timer(_) | E::Stray) => Step::nothing(),
        }
    }

    fn start(&mut self, deadline: Effect<AuthorizationState>, _ctx: Ctx) -> Effects {
        self.phase = Phase::Awaiting;
        vec![deadline, Effect::State(self.state())]
    }

    fn read_response(
        &self,
        kind: RequestKind,
        result: HttpResult,
        ctx: Ctx,
    ) -> Option<Reply<TokenSet>> {
        matches!(kind, RequestKind::Exchange).then(|| self.read_exchange(result, ctx))
    }

    /// Reads a redirect of this flow. The state is checked before anything else: a forged
    /// redirect must not even be able to cancel the flow.
    fn read_redirect(&self, url: &Url) -> Redirected {
        let rejected = |e| Redirected::Read {
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
            query.text("error_description"),
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
        if let Err(e) = self.check_response_iss(&query) {
            return rejected(e);
        }
        if code.is_none() && error.is_none() {
            return Redirected::WithoutCode;
        }
        Redirected::Read {
            reply: read_redirect(code, error, description),
            consent_id,
        }
    }

    fn exchange_request(&self, code: &Secret) -> HttpRequest {
        let verifier = self.setup.pkce.then_some(&self.setup.code_verifier);
        self.token
            .authorization_code(code, &self.setup.redirect_uri, verifier)
    }

    machine_kit::phase_accessors!();
}

impl Flow for AuthorizationMachine {
    type State = AuthorizationState;
    type Output = TokenSet;

    fn web_hosts(&self) -> Vec<String> {
        machine_kit::page_host(&self.setup.authorize_endpoint)
    }

    fn snapshot(&self) -> Result<String, Error> {
        let text = snapshot::encode(self.kind(), &self.to_record())?;
        snapshot::seal(text, self.snapshot_key.as_ref())
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
                error: self.life.error_info(error),
            },
            Phase::Done(Ending::Cancelled(by)) => AuthorizationState::Cancelled { by: *by },
            // Never an ending of this flow; shown as the failure it would be.
            Phase::Done(Ending::NotApplicable) => AuthorizationState::Failed {
                error: ErrorInfo::from(Error::NotApplicable)
                    .with_correlation_id(self.life.correlation.as_ref()),
            },
            Phase::Done(Ending::TimedOut) => AuthorizationState::TimedOut,
        }
    }

    machine_kit::flow_through_kit!();
}
