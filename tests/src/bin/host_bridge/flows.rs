//! The flows the bridge owns, exactly as a native host app owns them.
//!
//! Each flow gets its own in-process sandbox (a fresh provider on a random loopback port), so a
//! test's counters, faults and sessions are its own even when tests run side by side. The host
//! side is the one the iOS / Android samples have: build the flow with the core's public API,
//! subscribe to its states, `start()` it, hand the `AwaitingUser` URL to the WebView, and answer
//! every navigation the WebView asks about with [`FlowHandle::decide_navigation`].
//!
//! The one deliberate deviation is `loseRedirect`: the host still asks the core's navigation
//! rules about every URL (through the public [`NavigationPolicy::classify`] with the flow's own
//! redirect pattern, the same rules `decide_navigation` applies), but when the URL is the flow's
//! redirect it is dropped instead of handed over — what happens on a device when the Universal
//! Link / App Link never reaches the app. The flow must then finish through the status long-poll.
//!
//! Nothing secret leaves the bridge: codes in recorded URLs are redacted, tokens are reported
//! only as facts (`refreshable`, `accessTokenActive`, …).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use obauth::error::ErrorInfo;
use obauth::flow::Flow;
use obauth::{
    AuthorizationFlow, AuthorizationParams, AuthorizationState, Client, ClientConfig, Error,
    IgnoredReason, LoginState, Navigation, NavigationPolicy, OidcClient, PkceConfig,
    RedirectOutcome, SupervisedLogin, SupervisedLoginParams,
};
use obauth_sandbox::{Endpoint, Fault, Sandbox, SandboxConfig};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

/// The app's Universal Link / App Link for Aiia (supervised login and connect). Registered at
/// the sandbox; never loadable (the browser's resolver maps every host but loopback to nothing).
pub const AIIA_REDIRECT: &str = "https://app.example.com/aiia/callback";
/// The app's link for the OpenID Connect (PKCE) flow; registered for the sandbox's public client.
pub const OIDC_REDIRECT: &str = "https://app.example.com/oidc/callback";
/// Banks' app-link domains the host opens outside the WebView (`ClientConfig::external_app_hosts`).
pub const EXTERNAL_APP_HOSTS: &[&str] = &["mobilebank.example.com"];
/// The bank's web domain the WebView may show (`ClientConfig::web_hosts`; issue 10 #3: any
/// other https host is blocked).
pub const WEB_HOSTS: &[&str] = &["www.demobank.example"];
/// The bank app scheme the WebView hands to the OS (`ClientConfig::external_schemes`).
pub const EXTERNAL_SCHEMES: &[&str] = &["bankid"];

/// Which flow to run.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Aiia Enterprise supervised login (`Client::supervised_login`).
    Supervised,
    /// Aiia Data connect (`Client::connect_flow`).
    Connect,
    /// Authorization code + PKCE for a public client (`OidcClient::pkce_flow`).
    Pkce,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Supervised => "supervised",
            Kind::Connect => "connect",
            Kind::Pkce => "pkce",
        }
    }
}

/// `POST /flows` body.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewFlow {
    /// The flow.
    pub kind: Kind,
    /// Drop the flow's redirect instead of handing it over (see the module docs).
    #[serde(default)]
    pub lose_redirect: bool,
    /// Supervised login: the sandbox holds the first status long-poll this long before
    /// answering (a slow network on the poll), so the redirect wins the race deterministically.
    #[serde(default)]
    pub status_delay_ms: u64,
    /// Supervised login: the `userHash` (default `browser-user-0001`).
    pub user_hash: Option<String>,
    /// Connect: `accountsGroupName`, shown on the consent page.
    pub accounts_group_name: Option<String>,
    /// Connect / PKCE: requested scopes (the core's default when absent).
    pub scope: Option<String>,
}

/// The core's handle, whichever flow it is.
enum Handle {
    Supervised(SupervisedLogin),
    Authorization(AuthorizationFlow),
}

/// What the host saw: every state with its time, every navigation decision.
#[derive(Default)]
struct Record {
    states: Vec<Value>,
    navigations: Vec<Value>,
}

/// One flow with its sandbox and what the host recorded of it.
pub struct HostFlow {
    id: String,
    kind: Kind,
    sandbox: Sandbox,
    handle: Handle,
    lose_redirect: bool,
    policy: NavigationPolicy,
    started: Instant,
    auth_url: String,
    record: Arc<Mutex<Record>>,
    /// The task that records the states; it ends right after the terminal state.
    recorder: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// All flows, by id.
#[derive(Default)]
pub struct Flows {
    next: Mutex<u64>,
    flows: Mutex<HashMap<String, Arc<HostFlow>>>,
}

/// Why a request to the bridge failed: HTTP status and a message.
pub type Failure = (u16, String);

impl Flows {
    /// Starts a sandbox and a flow on it, waits until the flow asks for the user, and keeps it.
    pub async fn create(&self, request: NewFlow) -> Result<Arc<HostFlow>, Failure> {
        let id = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            *next += 1;
            format!("f{}", *next)
        };
        let flow = Arc::new(HostFlow::start(id.clone(), request).await?);
        self.flows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, flow.clone());
        Ok(flow)
    }

    /// The flow with this id.
    pub fn get(&self, id: &str) -> Option<Arc<HostFlow>> {
        self.flows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Forgets a flow (cancelling it if it is still running) and stops its sandbox.
    pub fn remove(&self, id: &str) -> bool {
        let flow = self
            .flows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        if let Some(flow) = &flow {
            flow.cancel_if_running();
        }
        flow.is_some()
    }
}

fn internal(context: &str, e: impl std::fmt::Display) -> Failure {
    (500, format!("{context}: {e}"))
}

fn millis(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl HostFlow {
    async fn start(id: String, request: NewFlow) -> Result<Self, Failure> {
        let sandbox = Sandbox::start(SandboxConfig::default())
            .await
            .map_err(|e| internal("the sandbox could not start", e))?;
        if request.status_delay_ms > 0 {
            sandbox.inject_fault(
                Endpoint::Status,
                Fault::Delay(Duration::from_millis(request.status_delay_ms)),
            );
        }
        let policy = NavigationPolicy::with_external_hosts(EXTERNAL_APP_HOSTS)
            .with_web_hosts(WEB_HOSTS)
            .and_then(|p| p.with_external_schemes(EXTERNAL_SCHEMES))
            .map_err(|e| internal("navigation policy", e))?;
        let timeout = Duration::from_secs(60);
        let handle = match request.kind {
            Kind::Supervised => {
                let mut config = ClientConfig::new(
                    sandbox.base_url(),
                    sandbox.client_id(),
                    sandbox.client_secret(),
                );
                config.external_app_hosts = strings(EXTERNAL_APP_HOSTS);
                config.web_hosts = strings(WEB_HOSTS);
                config.external_schemes = strings(EXTERNAL_SCHEMES);
                let client = Client::new(config).map_err(|e| internal("client", e))?;
                let user = request.user_hash.as_deref().unwrap_or("browser-user-0001");
                let mut params = SupervisedLoginParams::new(user, AIIA_REDIRECT);
                params.poll_timeout = Duration::from_secs(5);
                params.timeout = timeout;
                Handle::Supervised(
                    client
                        .supervised_login(params)
                        .map_err(|e| (400, e.to_string()))?,
                )
            }
            Kind::Connect => {
                let mut config = ClientConfig::new(
                    sandbox.base_url(),
                    sandbox.client_id(),
                    sandbox.client_secret(),
                );
                config.external_app_hosts = strings(EXTERNAL_APP_HOSTS);
                config.web_hosts = strings(WEB_HOSTS);
                config.external_schemes = strings(EXTERNAL_SCHEMES);
                let client = Client::new(config).map_err(|e| internal("client", e))?;
                let mut params = AuthorizationParams::new(AIIA_REDIRECT);
                params.scope = request.scope.clone();
                params.timeout = timeout;
                Handle::Authorization(
                    client
                        .connect_flow(params, request.accounts_group_name.clone(), None)
                        .map_err(|e| (400, e.to_string()))?,
                )
            }
            Kind::Pkce => {
                let oidc = OidcClient::new()
                    .map_err(|e| internal("client", e))?
                    .with_navigation(policy.clone());
                let config = PkceConfig {
                    issuer: sandbox.issuer(),
                    client_id: sandbox.public_client_id().to_owned(),
                };
                let mut params = AuthorizationParams::new(OIDC_REDIRECT);
                params.scope = request.scope.clone();
                params.timeout = timeout;
                Handle::Authorization(
                    oidc.pkce_flow(&config, params)
                        .await
                        .map_err(|e| (400, e.to_string()))?,
                )
            }
        };
        let started = Instant::now();
        let record = Arc::new(Mutex::new(Record::default()));
        let (recorder, auth_url) = match &handle {
            Handle::Supervised(login) => {
                let mut states = login.subscribe();
                let (tx, rx) = tokio::sync::oneshot::channel();
                let rec = record.clone();
                let recorder = tokio::spawn(async move {
                    let mut tx = Some(tx);
                    while let Some(state) = states.next().await {
                        if let LoginState::AwaitingUser { auth_url, .. } = &state
                            && let Some(tx) = tx.take()
                        {
                            let _ = tx.send(auth_url.clone());
                        }
                        push_state(&rec, started, login_state_json(&state));
                    }
                });
                login.start();
                (recorder, awaiting(rx, || login.state().name()).await?)
            }
            Handle::Authorization(flow) => {
                let mut states = flow.subscribe();
                let (tx, rx) = tokio::sync::oneshot::channel();
                let rec = record.clone();
                let recorder = tokio::spawn(async move {
                    let mut tx = Some(tx);
                    while let Some(state) = states.next().await {
                        if let AuthorizationState::AwaitingUser { authorize_url } = &state
                            && let Some(tx) = tx.take()
                        {
                            let _ = tx.send(authorize_url.clone());
                        }
                        push_state(&rec, started, authorization_state_json(&state));
                    }
                });
                flow.start();
                (recorder, awaiting(rx, || flow.state().name()).await?)
            }
        };
        Ok(HostFlow {
            id,
            kind: request.kind,
            sandbox,
            handle,
            lose_redirect: request.lose_redirect,
            policy,
            started,
            auth_url,
            record,
            recorder: tokio::sync::Mutex::new(Some(recorder)),
        })
    }

    /// The flow's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The URL the WebView loads first.
    pub fn auth_url(&self) -> &str {
        &self.auth_url
    }

    fn redirect_url(&self) -> String {
        match &self.handle {
            Handle::Supervised(h) => h.redirect_url().to_string(),
            Handle::Authorization(h) => h.redirect_url().to_string(),
        }
    }

    /// The WebView asks about `url`: the core decides (allow / intercept with the outcome / open
    /// outside / block). The decision is recorded and returned as JSON.
    pub fn navigate(&self, url: &str) -> Value {
        let decision = if self.lose_redirect {
            let pattern = match &self.handle {
                Handle::Supervised(h) => h.with_flow(|f| f.redirect_pattern().clone()),
                Handle::Authorization(h) => h.with_flow(|f| f.redirect_pattern().clone()),
            };
            self.policy.classify(url, &pattern)
        } else {
            Some(match &self.handle {
                Handle::Supervised(h) => h.decide_navigation(url),
                Handle::Authorization(h) => h.decide_navigation(url),
            })
        };
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        let mut entry = match &decision {
            None => json!({ "decision": "intercept", "outcome": { "kind": "lost" } }),
            Some(Navigation::Intercept(outcome)) => {
                json!({ "decision": "intercept", "outcome": outcome_json(outcome) })
            }
            Some(Navigation::Allow) => json!({ "decision": "allow" }),
            Some(Navigation::OpenExternally) => json!({ "decision": "open_externally" }),
            Some(Navigation::Block) => json!({ "decision": "block" }),
        };
        entry["seq"] = json!(record.navigations.len() + 1);
        entry["atMs"] = json!(millis(self.started));
        entry["url"] = json!(redact_code(url));
        record.navigations.push(entry.clone());
        entry
    }

    /// Everything the host knows: states, decisions, the result, and what the provider saw.
    pub fn report(&self) -> Value {
        let (state, finished, result) = match &self.handle {
            Handle::Supervised(h) => {
                let result = h.outcome().map(|r| match r {
                    Ok(t) => json!({
                        "ok": true,
                        "completedVia": t.completed_via.as_str(),
                        "providerId": t.provider_id,
                        "supportsUnattended": t.login.supports_unattended,
                    }),
                    Err(e) => json!({ "ok": false, "error": error_json(&e) }),
                });
                let state = h.state();
                (login_state_json(&state), state.is_terminal(), result)
            }
            Handle::Authorization(h) => {
                let result = h.outcome().map(|r| match r {
                    Ok(t) => json!({
                        "ok": true,
                        "tokenType": t.token_type,
                        "scope": t.scope,
                        "consentId": t.consent_id,
                        "refreshable": t.refresh_token.is_some(),
                        "idToken": t.id_token.is_some(),
                        "accessTokenActive":
                            self.sandbox.is_access_token_active(t.access_token.expose()),
                    }),
                    Err(e) => json!({ "ok": false, "error": error_json(&e) }),
                });
                let state = h.state();
                (
                    authorization_state_json(&state),
                    state.is_terminal(),
                    result,
                )
            }
        };
        let record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        json!({
            "id": self.id,
            "kind": self.kind.as_str(),
            "authUrl": self.auth_url,
            "redirectUrl": self.redirect_url(),
            "loseRedirect": self.lose_redirect,
            "state": state,
            "finished": finished,
            "result": result,
            "states": record.states,
            "navigations": record.navigations,
            "sandbox": self.sandbox_facts(),
        })
    }

    /// Waits up to `limit` for the flow to finish and for its last state to be recorded.
    pub async fn wait(&self, limit: Duration) {
        let _ = tokio::time::timeout(limit, async {
            match &self.handle {
                Handle::Supervised(h) => {
                    let _ = h.wait().await;
                }
                Handle::Authorization(h) => {
                    let _ = h.wait().await;
                }
            }
            // The outcome is set before the subscriber has taken the terminal state off its
            // stream; the stream ends right after it, and so does the recorder.
            if let Some(recorder) = self.recorder.lock().await.take() {
                let _ = recorder.await;
            }
        })
        .await;
    }

    fn cancel_if_running(&self) {
        match &self.handle {
            Handle::Supervised(h) if !h.state().is_terminal() => h.cancel(),
            Handle::Authorization(h) if !h.state().is_terminal() => h.cancel(),
            _ => {}
        }
    }

    fn sandbox_facts(&self) -> Value {
        let s = self.sandbox.stats();
        let sessions: Vec<Value> = self
            .sandbox
            .sessions()
            .iter()
            .map(|i| {
                json!({
                    "sessionId": i.session_id,
                    "userHash": i.user_hash,
                    "state": i.state.as_str(),
                    "exchanges": i.exchanges,
                })
            })
            .collect();
        let token_requests: Vec<Value> = self
            .sandbox
            .token_requests()
            .iter()
            .map(|r| {
                json!({
                    "path": r.path,
                    "grantType": r.grant_type,
                    "clientId": r.client_id,
                    "authMethod": format!("{:?}", r.auth_method),
                    "status": r.status,
                    "error": r.error,
                })
            })
            .collect();
        json!({
            "baseUrl": self.sandbox.base_url(),
            "sessions": sessions,
            "tokenRequests": token_requests,
            "stats": {
                "initializeRequests": s.initialize_requests,
                "statusRequests": s.status_requests,
                "tokenRequests": s.token_requests,
                "successfulExchanges": s.successful_exchanges,
                "pageViews": s.page_views,
                "decisionRequests": s.decision_requests,
                "oauthConnectRequests": s.oauth_connect_requests,
                "oauthConsentPageViews": s.oauth_consent_page_views,
                "oauthDecisionRequests": s.oauth_decision_requests,
                "oauthTokenRequests": s.oauth_token_requests,
                "discoveryRequests": s.discovery_requests,
                "oidcAuthorizeRequests": s.oidc_authorize_requests,
                "oidcDecisionRequests": s.oidc_decision_requests,
                "oidcTokenRequests": s.oidc_token_requests,
                "oauthCodeExchanges": s.oauth_code_exchanges,
            },
        })
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Waits for the URL the flow hands to the WebView; fails if the flow ends first.
async fn awaiting(
    rx: tokio::sync::oneshot::Receiver<String>,
    state: impl Fn() -> &'static str,
) -> Result<String, Failure> {
    match tokio::time::timeout(Duration::from_secs(15), rx).await {
        Ok(Ok(url)) => Ok(url),
        _ => Err((
            502,
            format!("the flow did not reach awaiting_user (it is {})", state()),
        )),
    }
}

fn push_state(record: &Mutex<Record>, started: Instant, mut state: Value) {
    state["atMs"] = json!(millis(started));
    record
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .states
        .push(state);
}

/// `CamelCase` (a `Debug` variant name) to `snake_case`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The variant name of a `Debug`-printed enum value (`Cancelled { by: User }` → `cancelled`).
fn variant(debug: &str) -> String {
    snake(
        &debug
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>(),
    )
}

fn error_json(e: &Error) -> Value {
    json!({
        "kind": variant(&format!("{e:?}")),
        "category": variant(&format!("{:?}", e.category())),
        "message": e.to_string(),
    })
}

/// A failed state's plain error information, in the shape of [`error_json`] (a failed state never
/// holds a cancel, the one error whose code is not its variant's name).
fn info_json(e: &ErrorInfo) -> Value {
    json!({
        "kind": e.code,
        "category": variant(&format!("{:?}", e.category)),
        "message": e.message,
    })
}

fn outcome_json(outcome: &RedirectOutcome) -> Value {
    match outcome {
        RedirectOutcome::NotForThisFlow => json!({ "kind": "not_for_this_flow" }),
        RedirectOutcome::CodeAccepted => json!({ "kind": "code_accepted" }),
        RedirectOutcome::ProviderError(e) => {
            json!({ "kind": "provider_error", "error": error_json(e) })
        }
        RedirectOutcome::Ignored(reason) => json!({
            "kind": "ignored",
            "reason": match reason {
                IgnoredReason::CodeAlreadyReceived => "code_already_received",
                IgnoredReason::FlowFinished => "flow_finished",
                IgnoredReason::NotWaitingForRedirect => "not_waiting_for_redirect",
            },
        }),
        RedirectOutcome::Rejected(e) => json!({ "kind": "rejected", "error": error_json(e) }),
    }
}

fn login_state_json(state: &LoginState) -> Value {
    let mut v = json!({ "name": state.name() });
    match state {
        LoginState::AwaitingUser {
            auth_url,
            session_id,
        } => {
            v["authUrl"] = json!(auth_url);
            v["sessionId"] = json!(session_id);
        }
        LoginState::CodeReceived { via } | LoginState::Exchanging { via } => {
            v["via"] = json!(via.as_str());
        }
        LoginState::Authenticated {
            via, provider_id, ..
        } => {
            v["via"] = json!(via.as_str());
            v["providerId"] = json!(provider_id);
        }
        LoginState::Failed { error } => v["error"] = info_json(error),
        LoginState::Cancelled { by } => v["by"] = json!(variant(&format!("{by:?}"))),
        LoginState::Created
        | LoginState::Initializing
        | LoginState::NotApplicable
        | LoginState::TimedOut => {}
    }
    v
}

fn authorization_state_json(state: &AuthorizationState) -> Value {
    let mut v = json!({ "name": state.name() });
    match state {
        AuthorizationState::AwaitingUser { authorize_url } => {
            v["authorizeUrl"] = json!(authorize_url);
        }
        AuthorizationState::Authenticated {
            scope,
            consent_id,
            refreshable,
            ..
        } => {
            v["scope"] = json!(scope);
            v["consentId"] = json!(consent_id);
            v["refreshable"] = json!(refreshable);
        }
        AuthorizationState::Failed { error } => v["error"] = info_json(error),
        AuthorizationState::Cancelled { by } => v["by"] = json!(variant(&format!("{by:?}"))),
        AuthorizationState::Created
        | AuthorizationState::CodeReceived
        | AuthorizationState::Exchanging
        | AuthorizationState::TimedOut => {}
    }
    v
}

/// `url` with the value of every `code` query parameter replaced, for the record.
fn redact_code(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    let Some(query) = parsed.query() else {
        return url.to_owned();
    };
    if !query.split('&').any(|p| p.starts_with("code=")) {
        return url.to_owned();
    }
    let redacted: Vec<String> = query
        .split('&')
        .map(|p| {
            if p.starts_with("code=") {
                "code=[redacted]".to_owned()
            } else {
                p.to_owned()
            }
        })
        .collect();
    parsed.set_query(Some(&redacted.join("&")));
    parsed.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_redaction() {
        assert_eq!(variant("Cancelled { by: User }"), "cancelled");
        assert_eq!(variant("StateMismatch"), "state_mismatch");
        assert_eq!(variant("UserAction"), "user_action");
        assert_eq!(
            redact_code("https://app.example.com/cb?code=a%2Bb&state=s"),
            "https://app.example.com/cb?code=[redacted]&state=s"
        );
        assert_eq!(redact_code("bankid:///?x=1"), "bankid:///?x=1");
    }
}
