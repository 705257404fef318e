//! The entry points: [`Client`] for a provider API root with partner credentials (Aiia
//! Enterprise supervised login, Aiia Data connect), and [`OidcClient`] for OAuth 2.0 / OpenID
//! Connect providers (client credentials, authorization code + PKCE). Both validate everything
//! before any request and run their flows on a tokio runtime.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::Handle;
use url::Url;

use crate::authorization::{AuthorizationMachine, AuthorizationParams};
use crate::backoff::RetryPolicy;
use crate::config::{ClientConfig, ConsentPage, Credentials};
use crate::driver::{FlowHandle, Transport};
use crate::error::Error;
use crate::http::{HttpRequest, Method, RequestKind, classify, parse_json};
use crate::navigation::NavigationPolicy;
use crate::oauth::discovery::{self, ProviderMetadata};
use crate::oauth::{ClientAuth, TokenEndpoint, TokenSet, TokenWire};
use crate::secret::Secret;
use crate::session::{AccessSession, EXPIRY_HEADER};
use crate::snapshot::FlowKind;
use crate::supervised::{SupervisedLoginMachine, SupervisedLoginParams, SupervisedTokens};
use crate::timestamp::Timestamp;
use crate::tokens::{Renewal, TokenManager};
use crate::validate;

/// A supervised login (Aiia Enterprise) in progress.
pub type SupervisedLogin = FlowHandle<SupervisedLoginMachine>;

/// An authorization-code flow (Aiia Data connect, or PKCE) in progress.
pub type AuthorizationFlow = FlowHandle<AuthorizationMachine>;

/// Default margin before expiry at which [`TokenManager::fresh_token`] renews.
pub const DEFAULT_REFRESH_SKEW: Duration = Duration::from_secs(60);

fn current_runtime() -> Result<Handle, Error> {
    Handle::try_current().map_err(|_| {
        Error::invalid(
            "runtime",
            "must be called inside a tokio runtime (or use with_runtime)",
        )
    })
}

/// A provider client for an API root with partner credentials: one HTTP connection pool, one
/// runtime.
#[derive(Clone, Debug)]
pub struct Client {
    creds: Credentials,
    transport: Transport,
    runtime: Handle,
}

impl Client {
    /// Validates `config` and builds a client on the current tokio runtime. Fails with
    /// [`Error::InvalidInput`] naming the field at fault; nothing is sent.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        Self::with_runtime(config, current_runtime()?)
    }

    /// Like [`Client::new`], on the given runtime.
    pub fn with_runtime(config: ClientConfig, runtime: Handle) -> Result<Self, Error> {
        let creds = config.validate()?;
        let transport = match &creds.app_token {
            Some(source) => Transport::new()?.with_app_token(source.clone()),
            None => Transport::new()?,
        };
        Ok(Client {
            creds,
            transport,
            runtime,
        })
    }

    /// The validated configuration and the transport, for the calls other modules add
    /// (`unattended.rs`).
    pub(crate) fn parts(&self) -> (&Credentials, &Transport) {
        (&self.creds, &self.transport)
    }

    fn handle<F: crate::flow::Flow>(&self, flow: F) -> FlowHandle<F> {
        FlowHandle::new(
            flow,
            self.transport.clone(),
            self.runtime.clone(),
            self.creds.navigation.clone(),
        )
    }

    /// Prepares a supervised login. The parameters are validated here, before any request;
    /// call [`FlowHandle::start`] to begin.
    pub fn supervised_login(
        &self,
        params: SupervisedLoginParams,
    ) -> Result<SupervisedLogin, Error> {
        Ok(self.handle(SupervisedLoginMachine::new(self.creds.clone(), params)?))
    }

    /// Restores a supervised login from its snapshot; call [`FlowHandle::resume`] to continue.
    pub fn restore_supervised_login(&self, snapshot: &str) -> Result<SupervisedLogin, Error> {
        Ok(self.handle(SupervisedLoginMachine::restore(
            self.creds.clone(),
            snapshot,
        )?))
    }

    /// Prepares an Aiia Data connect flow with a fresh `state`. Call [`FlowHandle::start`]; its
    /// `AwaitingUser` state carries the URL for the WebView.
    pub fn connect_flow(
        &self,
        params: AuthorizationParams,
        accounts_group_name: Option<String>,
        accounts_group_id: Option<String>,
    ) -> Result<AuthorizationFlow, Error> {
        self.partner_only()?;
        let machine = AuthorizationMachine::aiia_connect(
            &self.creds,
            params,
            accounts_group_name,
            accounts_group_id,
            crate::live::flow_secrets()?,
        )?;
        Ok(self.handle(machine))
    }

    /// Restores a connect flow from its snapshot; call [`FlowHandle::resume`] to continue.
    pub fn restore_connect_flow(&self, snapshot: &str) -> Result<AuthorizationFlow, Error> {
        self.partner_only()?;
        Ok(self.handle(AuthorizationMachine::restore(
            &self.creds,
            snapshot,
            FlowKind::AiiaConnect,
        )?))
    }

    /// Relay mode: prepares an Aiia Data connect flow whose consent page is the provider's
    /// (`consent`: its API root and the partner's public client id) and whose code is exchanged
    /// at the relay, which adds the partner's Basic authentication. Refresh the tokens with
    /// [`Client::connect_tokens`] (also through the relay). Call [`FlowHandle::start`].
    pub fn relay_connect_flow(
        &self,
        consent: &ConsentPage,
        params: AuthorizationParams,
        accounts_group_name: Option<String>,
        accounts_group_id: Option<String>,
    ) -> Result<AuthorizationFlow, Error> {
        let secrets = crate::live::flow_secrets()?;
        Ok(self.handle(AuthorizationMachine::aiia_connect_via_relay(
            &self.creds,
            consent,
            params,
            accounts_group_name,
            accounts_group_id,
            secrets,
        )?))
    }

    /// Restores a relay-mode connect flow from its snapshot (only one this relay would
    /// exchange); call [`FlowHandle::resume`] to continue.
    pub fn restore_relay_connect_flow(
        &self,
        consent: &ConsentPage,
        snapshot: &str,
    ) -> Result<AuthorizationFlow, Error> {
        Ok(self.handle(AuthorizationMachine::restore_via_relay(
            &self.creds,
            consent,
            snapshot,
        )?))
    }

    /// Refuses partner-only flows in relay mode, before anything is sent.
    fn partner_only(&self) -> Result<(), Error> {
        if self.creds.is_relay() {
            return Err(Error::invalid(
                "relayUrl",
                "in relay mode the connect flow needs the provider's consent page (relay_connect_flow)",
            ));
        }
        Ok(())
    }

    /// A token manager for connect-flow tokens: refreshes with the refresh token at
    /// `{api}/v1/oauth/token` (in relay mode the relay's, which adds the partner's Basic
    /// authentication).
    pub fn connect_tokens(&self, tokens: TokenSet, skew: Duration) -> TokenManager {
        let endpoint = TokenEndpoint {
            url: self.creds.endpoint("v1/oauth/token"),
            wire: TokenWire::AiiaJson,
            client_id: self.creds.client_id.clone(),
            // In relay mode the relay adds the partner's Basic authentication.
            client_secret: (!self.creds.is_relay()).then(|| self.creds.client_secret.clone()),
            timeout: self.creds.request_timeout,
        };
        TokenManager::new(
            self.transport.clone(),
            Renewal::RefreshToken(endpoint),
            Some(tokens),
            skew,
            self.creds.retry,
        )
    }

    /// A token manager for a supervised-login session: never renews (the session ends when it
    /// expires); its expiry slides with `X-Access-Token-Expires`.
    pub fn session_tokens(&self, tokens: &SupervisedTokens, skew: Duration) -> TokenManager {
        TokenManager::new(
            self.transport.clone(),
            Renewal::Session(tokens.session.clone()),
            None,
            skew,
            self.creds.retry,
        )
    }

    /// `GET {api}/{path}` on the session API with partner headers and the session's bearer
    /// token; applies `X-Access-Token-Expires` from the answer to the session's sliding expiry.
    ///
    /// Not available in relay mode ([`Error::InvalidInput`]).
    ///
    /// An expired session fails with [`Error::SessionExpired`] without a request; a 401 from the
    /// session API means the provider ended the session (the partner credentials were accepted
    /// by the login), so it is reported the same way.
    pub async fn session_get(
        &self,
        session: &AccessSession,
        path: &str,
    ) -> Result<serde_json::Value, Error> {
        if self.creds.is_relay() {
            return Err(Error::invalid(
                "apiUrl",
                "the session API is not served by the relay (call it from the app's back end)",
            ));
        }
        if session.is_expired(crate::live::now()) {
            return Err(Error::SessionExpired);
        }
        let url = validate::api_path(&self.creds.api_url, path)?;
        let mut headers = self.creds.partner_headers();
        headers.push((
            "authorization",
            Secret::new(format!("Bearer {}", session.token().expose())),
        ));
        let request = HttpRequest {
            kind: RequestKind::Api,
            method: Method::Get,
            url,
            headers,
            body: None,
            timeout: self.creds.request_timeout,
        };
        let response = classify(
            RequestKind::Api,
            self.transport.execute(request).await,
            crate::live::now(),
        )
        .map_err(|f| match f.error {
            Error::BadClientCredentials => Error::SessionExpired,
            other => other,
        })?;
        if let Some(value) = response.header(&EXPIRY_HEADER.to_ascii_lowercase()) {
            session.apply_expiry_header(value)?;
        }
        parse_json(RequestKind::Api, &response)
    }
}

/// A public client of an OpenID Connect provider (authorization code + PKCE; no secret).
#[derive(Clone, Debug)]
pub struct PkceConfig {
    /// The issuer, e.g. `https://auth.apiture.com/oidc`; endpoints come from its discovery
    /// document.
    pub issuer: String,
    /// The public client id.
    pub client_id: String,
}

/// A confidential client using the client-credentials grant (Aritma, Apiture).
#[derive(Clone, Debug)]
pub struct ClientCredentialsConfig {
    /// The token endpoint, if known (e.g. `https://id.aritma.io/connect/token`) …
    pub token_url: Option<String>,
    /// … or the issuer to discover it from (`{issuer}/.well-known/openid-configuration`).
    pub issuer: Option<String>,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: Secret,
    /// Requested scopes, space-delimited (e.g. `banking.channel.psd2 banking.ais.read`).
    pub scope: Option<String>,
    /// `client_secret_post` ([`ClientAuth::Post`], Aritma) or `client_secret_basic`
    /// ([`ClientAuth::Basic`], Apiture).
    pub client_auth: ClientAuth,
}

/// How long a discovery document is reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// A client for OAuth 2.0 / OpenID Connect providers; caches discovery documents.
#[derive(Clone, Debug)]
pub struct OidcClient {
    pub(crate) transport: Transport,
    runtime: Handle,
    pub(crate) request_timeout: Duration,
    navigation: NavigationPolicy,
    snapshot_key: Option<Secret>,
    discovery: Arc<Mutex<HashMap<String, (ProviderMetadata, Timestamp)>>>,
}

impl OidcClient {
    /// A client on the current tokio runtime.
    pub fn new() -> Result<Self, Error> {
        Self::with_runtime(current_runtime()?)
    }

    /// A client on the given runtime.
    pub fn with_runtime(runtime: Handle) -> Result<Self, Error> {
        Ok(OidcClient {
            transport: Transport::new()?,
            runtime,
            request_timeout: Duration::from_secs(30),
            navigation: NavigationPolicy::default(),
            snapshot_key: None,
            discovery: Arc::default(),
        })
    }

    /// Sets the time-out of a single request (discovery, token calls); default 30 s.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Result<Self, Error> {
        if timeout.is_zero() {
            return Err(Error::invalid("requestTimeout", "must be positive"));
        }
        self.request_timeout = timeout;
        Ok(self)
    }

    /// Seals the snapshots of the PKCE flows this client starts with `key` and checks the seal
    /// on restore (see [`crate::config::ClientConfig::snapshot_key`]).
    pub fn with_snapshot_key(mut self, key: Secret) -> Result<Self, Error> {
        if key.expose().len() < crate::snapshot::MIN_KEY_LEN {
            return Err(Error::invalid(
                "snapshotKey",
                "must be at least 32 characters",
            ));
        }
        self.snapshot_key = Some(key);
        Ok(self)
    }

    /// Sets the WebView navigation rules of the flows this client starts.
    pub fn with_navigation(mut self, navigation: NavigationPolicy) -> Self {
        self.navigation = navigation;
        self
    }

    /// The issuer's discovery document, fetched once and reused for an hour.
    pub async fn discover(&self, issuer: &str) -> Result<ProviderMetadata, Error> {
        let issuer_url = validate::service_url("issuer", issuer, false)?;
        let key = issuer_url.as_str().trim_end_matches('/').to_owned();
        let now = crate::live::now();
        if let Some((metadata, fetched)) = self
            .discovery
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            && now < fetched.plus(DISCOVERY_TTL)
        {
            return Ok(metadata.clone());
        }
        let result = self
            .transport
            .execute(discovery::request(&issuer_url, self.request_timeout))
            .await;
        let response = classify(RequestKind::Discovery, result, now).map_err(|f| f.error)?;
        let metadata = discovery::parse(&issuer_url, &response)?;
        self.discovery
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, (metadata.clone(), now));
        Ok(metadata)
    }

    pub(crate) fn public_creds(&self, config: &PkceConfig) -> Result<Credentials, Error> {
        if config.client_id.trim().is_empty() {
            return Err(Error::invalid("clientId", "must not be empty"));
        }
        Ok(Credentials {
            api_url: validate::service_url("issuer", &config.issuer, true)?,
            client_id: config.client_id.trim().to_owned(),
            client_secret: Secret::new(""),
            request_timeout: self.request_timeout,
            retry: RetryPolicy::default(),
            navigation: self.navigation.clone(),
            // RFC 8252 §7.1: private-use schemes are how native public clients receive codes.
            allow_custom_scheme_redirects: true,
            snapshot_key: self.snapshot_key.clone(),
            app_token: None,
        })
    }

    fn handle(&self, machine: AuthorizationMachine) -> AuthorizationFlow {
        FlowHandle::new(
            machine,
            self.transport.clone(),
            self.runtime.clone(),
            self.navigation.clone(),
        )
    }

    /// Prepares an authorization-code + PKCE flow (S256 challenge, state and nonce): discovers
    /// the endpoints (cached), then returns the flow; call [`FlowHandle::start`].
    pub async fn pkce_flow(
        &self,
        config: &PkceConfig,
        params: AuthorizationParams,
    ) -> Result<AuthorizationFlow, Error> {
        let creds = self.public_creds(config)?;
        // Check the redirect and the extra authorize parameters before any request is sent.
        crate::redirect::RedirectPattern::parse("redirectUri", &params.redirect_uri, false)?;
        params.extras.validate()?;
        let metadata = self.discover(&config.issuer).await?;
        if !metadata.code_challenge_methods_supported.is_empty()
            && !metadata
                .code_challenge_methods_supported
                .iter()
                .any(|m| m == "S256")
        {
            return Err(Error::MalformedResponse {
                endpoint: RequestKind::Discovery.endpoint(),
                detail: "the provider does not support PKCE S256".into(),
            });
        }
        let authorize =
            metadata
                .authorization_endpoint
                .as_deref()
                .ok_or_else(|| Error::MalformedResponse {
                    endpoint: RequestKind::Discovery.endpoint(),
                    detail: "no authorization_endpoint".into(),
                })?;
        let parse = |u: &str| {
            Url::parse(u).map_err(|_| Error::MalformedResponse {
                endpoint: RequestKind::Discovery.endpoint(),
                detail: "an endpoint is not a URL".into(),
            })
        };
        let machine = AuthorizationMachine::pkce(
            &creds,
            parse(authorize)?,
            parse(&metadata.token_endpoint)?,
            params,
            crate::live::flow_secrets()?,
        )?
        .requiring_response_iss(metadata.authorization_response_iss_parameter_supported);
        Ok(self.handle(machine))
    }

    /// Restores a PKCE flow from its snapshot; call [`FlowHandle::resume`] to continue.
    pub fn restore_pkce_flow(
        &self,
        config: &PkceConfig,
        snapshot: &str,
    ) -> Result<AuthorizationFlow, Error> {
        let creds = self.public_creds(config)?;
        let machine = AuthorizationMachine::restore(&creds, snapshot, FlowKind::Pkce)?;
        self.check_restored_endpoints(&creds.api_url, machine.endpoints())?;
        Ok(self.handle(machine))
    }

    /// A restored PKCE flow sends its code and verifier (together: the user's tokens) to the
    /// snapshot's token endpoint, so both endpoints must be the issuer's: those its discovery
    /// document named (if this client has it cached: call [`OidcClient::discover`] before
    /// restoring for a provider whose endpoints are on other hosts), or else on the issuer's
    /// origin.
    fn check_restored_endpoints(
        &self,
        issuer: &Url,
        (authorize, token): (&str, &str),
    ) -> Result<(), Error> {
        let key = issuer.as_str().trim_end_matches('/').to_owned();
        let cached = self
            .discovery
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .map(|(metadata, _)| metadata.clone());
        let same_origin = |u: &str| Url::parse(u).is_ok_and(|u| u.origin() == issuer.origin());
        let discovered = |u: &str, named: Option<&str>| {
            named
                .is_some_and(|n| matches!((Url::parse(n), Url::parse(u)), (Ok(a), Ok(b)) if a == b))
        };
        let ok = match cached {
            Some(m) => {
                (discovered(authorize, m.authorization_endpoint.as_deref())
                    || same_origin(authorize))
                    && (discovered(token, Some(&m.token_endpoint)) || same_origin(token))
            }
            None => same_origin(authorize) && same_origin(token),
        };
        if !ok {
            return Err(Error::InvalidSnapshot(
                "the snapshot's endpoints are not the issuer's".into(),
            ));
        }
        Ok(())
    }

    /// A token manager for PKCE tokens: refreshes with the refresh token, as a public client.
    pub async fn pkce_tokens(
        &self,
        config: &PkceConfig,
        tokens: TokenSet,
        skew: Duration,
    ) -> Result<TokenManager, Error> {
        let creds = self.public_creds(config)?;
        let metadata = self.discover(&config.issuer).await?;
        let endpoint = TokenEndpoint {
            url: validate::service_url("token_endpoint", &metadata.token_endpoint, false)?,
            wire: TokenWire::Form(ClientAuth::None),
            client_id: creds.client_id,
            client_secret: None,
            timeout: self.request_timeout,
        };
        Ok(self.token_manager(Renewal::RefreshToken(endpoint), Some(tokens), skew))
    }

    /// A token manager for the client-credentials grant. Everything is validated first; the
    /// endpoint is discovered if only the issuer is given; the first token is requested by the
    /// first [`TokenManager::fresh_token`] call and re-requested before expiry (there is no
    /// refresh token).
    pub async fn client_credentials(
        &self,
        config: ClientCredentialsConfig,
        skew: Duration,
    ) -> Result<TokenManager, Error> {
        check_token_client(&config)?;
        if config.client_auth == ClientAuth::None {
            return Err(Error::invalid(
                "clientAuth",
                "client credentials need post or basic client authentication",
            ));
        }
        let scope = config
            .scope
            .as_deref()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty());
        if let Some(s) = &scope
            && s.chars().any(|c| c == '"' || c == '\\' || c.is_control())
        {
            return Err(Error::invalid(
                "scope",
                "contains characters a scope may not have",
            ));
        }
        let endpoint = self.token_endpoint(config.clone()).await?;
        Ok(self.token_manager(Renewal::ClientCredentials { endpoint, scope }, None, skew))
    }

    /// A token manager holding only `refresh_token`, renewed with the refresh-token grant
    /// (RFC 6749 §6) at the token endpoint given or discovered from `config`, authenticating as
    /// `config.client_auth` says (`None`: a public client, only `client_id` is sent, and
    /// `client_secret` must be empty). `config.scope` must be `None` (the grant keeps its
    /// scope). Everything is validated before any request; call
    /// [`TokenManager::force_renewal`] for the first access token.
    pub async fn refresh_tokens(
        &self,
        config: ClientCredentialsConfig,
        refresh_token: Secret,
        skew: Duration,
    ) -> Result<TokenManager, Error> {
        check_token_client(&config)?;
        if config.client_auth == ClientAuth::None && !config.client_secret.is_empty() {
            return Err(Error::invalid(
                "clientSecret",
                "a public client (no client authentication) sends no secret",
            ));
        }
        if config.scope.is_some() {
            return Err(Error::invalid("scope", "a refresh keeps the granted scope"));
        }
        if refresh_token.is_empty() {
            return Err(Error::invalid("refreshToken", "must not be empty"));
        }
        let endpoint = self.token_endpoint(config).await?;
        let held = TokenSet {
            access_token: Secret::new(""),
            token_type: "Bearer".into(),
            expires_at: Some(Timestamp::from_unix_millis(0)),
            refresh_token: Some(refresh_token),
            scope: None,
            id_token: None,
            consent_id: None,
            issued_at: None,
        };
        Ok(self.token_manager(Renewal::RefreshToken(endpoint), Some(held), skew))
    }

    /// A token manager renewing with `renewal` on this client's transport (default retries).
    fn token_manager(
        &self,
        renewal: Renewal,
        tokens: Option<TokenSet>,
        skew: Duration,
    ) -> TokenManager {
        let retry = RetryPolicy::default();
        TokenManager::new(self.transport.clone(), renewal, tokens, skew, retry)
    }

    /// The token endpoint of a checked `config`: given, or discovered from the issuer.
    async fn token_endpoint(
        &self,
        config: ClientCredentialsConfig,
    ) -> Result<TokenEndpoint, Error> {
        let url = match (&config.token_url, &config.issuer) {
            (Some(url), None) => validate::service_url("tokenUrl", url, false)?,
            (None, Some(issuer)) => {
                validate::service_url("issuer", issuer, false)?;
                let metadata = self.discover(issuer).await?;
                validate::service_url("token_endpoint", &metadata.token_endpoint, false)?
            }
            _ => {
                return Err(Error::invalid(
                    "tokenUrl",
                    "give exactly one of the token URL and the issuer",
                ));
            }
        };
        Ok(TokenEndpoint {
            url,
            wire: TokenWire::Form(config.client_auth),
            client_id: config.client_id.trim().to_owned(),
            client_secret: (config.client_auth != ClientAuth::None).then_some(config.client_secret),
            timeout: self.request_timeout,
        })
    }
}

/// The client checks every token-endpoint client shares: an id (without `:` for HTTP Basic)
/// and, unless it is a public client, a secret.
fn check_token_client(config: &ClientCredentialsConfig) -> Result<(), Error> {
    if config.client_id.trim().is_empty() {
        return Err(Error::invalid("clientId", "must not be empty"));
    }
    if config.client_id.contains(':') && config.client_auth == ClientAuth::Basic {
        return Err(Error::invalid(
            "clientId",
            "must not contain ':' with client_secret_basic",
        ));
    }
    if config.client_secret.is_empty() && config.client_auth != ClientAuth::None {
        return Err(Error::invalid("clientSecret", "must not be empty"));
    }
    Ok(())
}
