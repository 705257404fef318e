//! Golden snapshots: the compatibility contract of the snapshot format.
//!
//! Apps keep flow snapshots in secure storage across updates (the OS may kill an app while its
//! user is at the bank), so every later ObAuth must restore the snapshots an earlier one wrote.
//! `tests/fixtures/snapshots/v1/` holds snapshots written by the first implementation of the
//! format (serde-serialised internal enums), one file per flow kind and persistable phase,
//! named `<kind>-<phase>.json`, byte-exact as `snapshot()` produced them except for the sandbox's
//! base URL (see below); and `expected.json`, what the host observed of each flow when its
//! snapshot was taken: the state (in a neutral JSON form, see [`GoldenFlow::state_json`]), the
//! result of a finished flow, and what a restore test needs to know (the golden code, consent
//! id, authorize URL, user hash, overall timeout). The files are never regenerated: see the
//! README there. [`generate`] is how they were made, kept for the record.
//!
//! For every golden file, and for the snapshot today's code re-encodes it to (`snapshot()` of the
//! restored flow, which must restore too), a test restores it into a fresh client against a live
//! sandbox, resumes it and drives it to its end:
//! - **created**: `resume()` leaves it waiting for `start()`, which runs the whole flow against
//!   the sandbox (the PKCE ID token's nonce and the code verifier come from the snapshot);
//! - **initializing** (supervised login): resuming sends `initialize` again; the login completes
//!   by poll;
//! - **awaiting the user**: connect and PKCE flows take the redirect of a consent given on their
//!   own (restored) authorize URL; a supervised login resumes polling its golden session, which a
//!   rewriting [`proxy`] maps to a live session of the same user (and the golden page's
//!   `startToken` to the live one), and completes by poll or, in a second test, by the redirect
//!   from its own restored `authUrl`;
//! - **exchanging** (a code received and not yet exchanged; `CodeReceived` is a transient state
//!   that is persisted as `exchanging`), made with the default one-minute code lifetime: the code
//!   has long expired, so resuming fails the flow with `CodeExpired` without a request (the
//!   documented behaviour);
//! - **exchanging-code_live**, made with a code lifetime of a century: resuming resends the golden
//!   code; the proxy swaps it for a live code issued for the golden flow's own request (same
//!   state, redirect URI, PKCE challenge and nonce; a live session for a supervised login), so
//!   the exchange completes, and the consent id and the ID-token check come from the snapshot;
//! - **awaiting_user-deadline_passed**, made with a three-second deadline: resuming times the flow
//!   out at once, without a request;
//! - **terminal** (authenticated, failed, cancelled, not applicable, timed out): the restored
//!   state is the captured one, `resume()` changes nothing, a redirect is ignored, `wait()` gives
//!   the captured tokens or error, and nothing reaches the provider. A restored failure keeps its
//!   category and message (its variant lives on only as text: [`Error::Restored`]).
//!
//! **Sandbox URLs.** Snapshots of connect and PKCE flows hold absolute endpoint URLs, and a
//! supervised login's `authUrl`, all on the producing sandbox's random port. The files hold
//! [`PLACEHOLDER`] instead of that base URL; a test substitutes the live sandbox's (or proxy's)
//! base URL on the text, leaving every other byte as it is.
//!
//! **Time.** Start times, deadlines and token expiries are absolute. Every non-terminal file
//! except the `deadline_passed` ones was made with an overall timeout of a century, so it stays
//! restorable for as long as this suite matters.

mod generate;
mod proxy;

use std::path::PathBuf;
use std::time::Duration;

use obauth::authorization::AuthorizationMachine;
use obauth::flow::Flow;
use obauth::supervised::SupervisedLoginMachine;
use obauth::{
    AuthorizationFlow, AuthorizationState, CancelOrigin, Client, ClientConfig, CodeSource, Error,
    FlowHandle, IgnoredReason, LoginState, OidcClient, PkceConfig, RedirectOutcome,
    SupervisedLogin, SupervisedTokens, TokenSet,
};
use obauth_e2e::oauth_browser::{OAuthBrowser, PATIENCE, authorize_url, jwt_claims};
use obauth_e2e::{Browser, fast_retry, peek_code, query, sandbox_with};
use obauth_sandbox::{Endpoint, Fault, Outcome, Sandbox, SandboxConfig, Stats, UserScript};
use serde_json::{Value, json};

use self::proxy::Proxy;

/// What stands for the producing sandbox's base URL (`http://127.0.0.1:PORT`) in the golden files.
pub const PLACEHOLDER: &str = "http://127.0.0.1:PORT_PLACEHOLDER";

// The registrations the golden files were made with, pinned here rather than taken from the
// sandbox's or the harness's defaults (which may change; the snapshots cannot).
const CLIENT_ID: &str = "sandbox-client-id";
const CLIENT_SECRET: &str = "sandbox-client-secret";
const PUBLIC_CLIENT_ID: &str = "sandbox-public-client";
const SUPERVISED_REDIRECT: &str = "https://app.example/aiia/callback";
const CONNECT_REDIRECT_URI: &str = "https://app.example.com/aiia/callback";
const PKCE_REDIRECT_URI: &str = "https://app.example.com/oidc/callback";

/// The sandbox configuration the golden files were made with.
fn sandbox_config() -> SandboxConfig {
    SandboxConfig {
        client_id: CLIENT_ID.to_owned(),
        client_secret: CLIENT_SECRET.to_owned(),
        public_client_id: PUBLIC_CLIENT_ID.to_owned(),
        redirect_uris: vec![CONNECT_REDIRECT_URI.to_owned()],
        public_client_redirect_uris: vec![PKCE_REDIRECT_URI.to_owned()],
        ..SandboxConfig::default()
    }
}

/// A partner client for the API root `base` with [`fast_retry`].
fn client_at(base: &str, secret: &str) -> Client {
    let mut config = ClientConfig::new(base, CLIENT_ID, secret);
    config.retry = fast_retry();
    config.request_timeout = Duration::from_secs(10);
    Client::new(config).expect("a valid client configuration")
}

/// The public PKCE client of the sandbox (or proxy) at `base`.
fn pkce_config(base: &str) -> PkceConfig {
    PkceConfig {
        issuer: format!("{base}/oidc"),
        client_id: PUBLIC_CLIENT_ID.to_owned(),
    }
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/snapshots/v1")
}

/// `text` with the sandbox base URL `base` replaced by [`PLACEHOLDER`]. Panics if any other
/// loopback URL remains, so the placeholder is the only port-dependent text.
fn to_template(text: &str, base: &str) -> String {
    let template = text.replace(base, PLACEHOLDER);
    assert_eq!(
        template.matches("127.0.0.1").count(),
        template.matches(PLACEHOLDER).count(),
        "a loopback address other than {base} in {text}"
    );
    assert!(!template.contains("localhost"), "{text}");
    template
}

/// A golden template with the live base URL substituted; every other byte is kept.
fn from_template(template: &str, base: &str) -> String {
    template.replace(PLACEHOLDER, base)
}

/// What the tests need of a flow kind: the host-visible state and result as neutral JSON (so that
/// `expected.json` does not depend on any `Debug` format).
trait GoldenFlow: Flow {
    fn state_json(state: &Self::State) -> Value;
    fn output_json(output: &Self::Output) -> Value;
}

fn error_json(error: &Error) -> Value {
    json!({
        "code": error.code(),
        "category": format!("{:?}", error.category()),
        "message": error.to_string(),
    })
}

fn outcome_json<F: GoldenFlow>(outcome: &Result<F::Output, Error>) -> Value {
    match outcome {
        Ok(output) => json!({ "tokens": F::output_json(output) }),
        Err(error) => json!({ "error": error_json(error) }),
    }
}

fn cancel_origin(by: CancelOrigin) -> &'static str {
    match by {
        CancelOrigin::User => "user",
        CancelOrigin::Host => "host",
    }
}

impl GoldenFlow for SupervisedLoginMachine {
    fn state_json(state: &LoginState) -> Value {
        let name = state.name();
        match state {
            LoginState::Created
            | LoginState::Initializing
            | LoginState::NotApplicable
            | LoginState::TimedOut => json!({ "name": name }),
            LoginState::AwaitingUser {
                auth_url,
                session_id,
            } => json!({ "name": name, "auth_url": auth_url, "session_id": session_id }),
            LoginState::CodeReceived { via } | LoginState::Exchanging { via } => {
                json!({ "name": name, "via": via.as_str() })
            }
            LoginState::Authenticated {
                via,
                session_expires,
                login_expires,
                provider_id,
            } => json!({
                "name": name,
                "via": via.as_str(),
                "session_expires": session_expires.to_rfc3339(),
                "login_expires": login_expires.to_rfc3339(),
                "provider_id": provider_id,
            }),
            LoginState::Failed { error } => json!({
                "name": name,
                "category": format!("{:?}", error.category),
                "message": error.to_string(),
            }),
            LoginState::Cancelled { by } => json!({ "name": name, "by": cancel_origin(*by) }),
        }
    }

    fn output_json(t: &SupervisedTokens) -> Value {
        json!({
            "access_token": t.session.token().expose(),
            "access_token_expires": t.session.expires().to_rfc3339(),
            "login_token": t.login.token.expose(),
            "login_expires": t.login.expires.to_rfc3339(),
            "login_provider_id": t.login.provider_id,
            "supports_unattended": t.login.supports_unattended,
            "label": t.login.label,
            "subject_id": t.login.subject_id,
            "provider_id": t.provider_id,
            "completed_via": t.completed_via.as_str(),
        })
    }
}

impl GoldenFlow for AuthorizationMachine {
    fn state_json(state: &AuthorizationState) -> Value {
        let name = state.name();
        match state {
            AuthorizationState::Created
            | AuthorizationState::CodeReceived
            | AuthorizationState::Exchanging
            | AuthorizationState::TimedOut => json!({ "name": name }),
            AuthorizationState::AwaitingUser { authorize_url } => {
                json!({ "name": name, "authorize_url": authorize_url })
            }
            AuthorizationState::Authenticated {
                expires_at,
                scope,
                consent_id,
                refreshable,
            } => json!({
                "name": name,
                "expires_at": expires_at.map(|t| t.to_rfc3339()),
                "scope": scope,
                "consent_id": consent_id,
                "refreshable": refreshable,
            }),
            AuthorizationState::Failed { error } => json!({
                "name": name,
                "category": format!("{:?}", error.category),
                "message": error.to_string(),
            }),
            AuthorizationState::Cancelled { by } => {
                json!({ "name": name, "by": cancel_origin(*by) })
            }
        }
    }

    fn output_json(t: &TokenSet) -> Value {
        json!({
            "access_token": t.access_token.expose(),
            "token_type": t.token_type,
            "expires_at": t.expires_at.map(|t| t.to_rfc3339()),
            "refresh_token": t.refresh_token.as_ref().map(|s| s.expose()),
            "scope": t.scope,
            "id_token": t.id_token.as_ref().map(|s| s.expose()),
            "consent_id": t.consent_id,
        })
    }
}

/// Restores a snapshot of `kind` (the file name's prefix) for a provider at `base`.
enum Restored {
    Supervised(SupervisedLogin),
    Authorization(AuthorizationFlow),
}

fn restore(kind: &str, base: &str, text: &str) -> Restored {
    match kind {
        "supervised_login" => Restored::Supervised(
            client_at(base, CLIENT_SECRET)
                .restore_supervised_login(text)
                .unwrap_or_else(|e| panic!("the supervised login does not restore: {e:?}")),
        ),
        "aiia_connect" => Restored::Authorization(
            client_at(base, CLIENT_SECRET)
                .restore_connect_flow(text)
                .unwrap_or_else(|e| panic!("the connect flow does not restore: {e:?}")),
        ),
        "pkce" => Restored::Authorization(
            OidcClient::new()
                .expect("an OIDC client")
                .restore_pkce_flow(&pkce_config(base), text)
                .unwrap_or_else(|e| panic!("the PKCE flow does not restore: {e:?}")),
        ),
        other => panic!("unknown flow kind {other}"),
    }
}

impl Restored {
    fn state_json(&self) -> Value {
        match self {
            Restored::Supervised(f) => SupervisedLoginMachine::state_json(&f.state()),
            Restored::Authorization(f) => AuthorizationMachine::state_json(&f.state()),
        }
    }

    fn snapshot(&self) -> String {
        match self {
            Restored::Supervised(f) => f.snapshot().unwrap(),
            Restored::Authorization(f) => f.snapshot().unwrap(),
        }
    }

    fn supervised(self) -> SupervisedLogin {
        match self {
            Restored::Supervised(f) => f,
            Restored::Authorization(_) => panic!("not a supervised login"),
        }
    }

    fn authorization(self) -> AuthorizationFlow {
        match self {
            Restored::Authorization(f) => f,
            Restored::Supervised(_) => panic!("not an authorization-code flow"),
        }
    }
}

/// A base URL for restores that send nothing (re-encoding, checks at generation).
const OFFLINE_BASE: &str = "http://127.0.0.1:1";

/// Restores `template` without a provider, checks its state against `expected_state`, and returns
/// what today's code re-encodes it to, as a template.
fn reencode(kind: &str, template: &str, expected_state: &Value) -> String {
    let restored = restore(kind, OFFLINE_BASE, &from_template(template, OFFLINE_BASE));
    let expected_state: Value =
        serde_json::from_str(&from_template(&expected_state.to_string(), OFFLINE_BASE)).unwrap();
    assert_eq!(restored.state_json(), expected_state, "the restored state");
    to_template(&restored.snapshot(), OFFLINE_BASE)
}

/// One golden file and its entry in `expected.json`.
struct Golden {
    name: &'static str,
    template: String,
    expected: Value,
}

impl Golden {
    fn load(name: &'static str) -> Golden {
        let dir = fixture_dir();
        let template = std::fs::read_to_string(dir.join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("golden file {name}.json: {e}"));
        let manifest: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
        )
        .expect("expected.json is JSON");
        let expected = manifest[name].clone();
        assert!(expected.is_object(), "no entry for {name} in expected.json");
        Golden {
            name,
            template,
            expected,
        }
    }

    fn kind(&self) -> &'static str {
        self.name.split_once('-').expect("<kind>-<phase>").0
    }

    fn phase(&self) -> &'static str {
        self.name.split_once('-').expect("<kind>-<phase>").1
    }

    /// The expectations with `base` substituted.
    fn expected(&self, base: &str) -> Value {
        serde_json::from_str(&from_template(&self.expected.to_string(), base)).unwrap()
    }

    fn str(&self, base: &str, field: &str) -> String {
        self.expected(base)[field]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no {field} in expected.json", self.name))
            .to_owned()
    }

    /// The golden template and its re-encoding by today's code, labelled.
    fn variants(&self) -> [(&'static str, String); 2] {
        let reencoded = reencode(self.kind(), &self.template, &self.expected["state"]);
        [
            ("golden file", self.template.clone()),
            ("re-encoded", reencoded),
        ]
    }
}

/// The flow's result (panics if it does not finish within [`PATIENCE`]).
async fn finish<F: Flow>(flow: &FlowHandle<F>) -> Result<F::Output, Error> {
    match tokio::time::timeout(PATIENCE, flow.wait()).await {
        Ok(result) => result,
        Err(_) => panic!("the flow did not finish within {PATIENCE:?}"),
    }
}

fn assert_state<F: GoldenFlow>(flow: &FlowHandle<F>, expected: &Value, when: &str) {
    assert_eq!(
        F::state_json(&flow.state()),
        expected["state"],
        "state {when}"
    );
}

/// `wait()` gave what the flow had ended with when its snapshot was taken.
fn assert_outcome<F: GoldenFlow>(outcome: Result<F::Output, Error>, expected: &Value) {
    let want = &expected["outcome"];
    match outcome {
        Ok(output) => assert_eq!(json!({ "tokens": F::output_json(&output) }), *want),
        Err(error) => {
            let err = &want["error"];
            assert!(err.is_object(), "expected {want}, got {error:?}");
            assert_eq!(
                format!("{:?}", error.category()),
                err["category"],
                "category"
            );
            assert_eq!(error.to_string(), err["message"], "message");
            // A restored failure keeps its category and message only; every other ending
            // is the same typed error.
            if expected["state"]["name"] != "failed" {
                assert_eq!(error.code(), err["code"], "code");
            }
        }
    }
}

/// No request reached the sandbox.
async fn nothing_sent(sandbox: &Sandbox) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        sandbox.stats(),
        Stats::default(),
        "nothing reaches the provider"
    );
}

/// A URL on the flow's redirect that it must not act on.
fn stray_redirect(kind: &str) -> String {
    let base = match kind {
        "supervised_login" => SUPERVISED_REDIRECT,
        "aiia_connect" => CONNECT_REDIRECT_URI,
        _ => PKCE_REDIRECT_URI,
    };
    format!("{base}?code=golden-stray-code&state=golden-stray-state")
}

/// A terminal flow: same state before and after `resume()`, redirects ignored, the captured
/// result, nothing sent.
async fn terminal<F: GoldenFlow>(
    sandbox: &Sandbox,
    flow: FlowHandle<F>,
    expected: &Value,
    kind: &str,
) {
    assert_state(&flow, expected, "after restore");
    flow.resume();
    assert_state(&flow, expected, "after resume");
    assert_eq!(
        flow.handle_redirect(&stray_redirect(kind)),
        RedirectOutcome::Ignored(IgnoredReason::FlowFinished)
    );
    assert_outcome::<F>(finish(&flow).await, expected);
    nothing_sent(sandbox).await;
}

/// A flow whose deadline passed while it was stored: times out on `resume()`, sending nothing.
async fn deadline_passed<F: GoldenFlow>(sandbox: &Sandbox, flow: FlowHandle<F>, expected: &Value) {
    assert_state(&flow, expected, "after restore");
    flow.resume();
    assert_eq!(F::state_json(&flow.state()), json!({ "name": "timed_out" }));
    let timeout = Duration::from_millis(expected["timeout_ms"].as_u64().expect("timeout_ms"));
    match finish(&flow).await {
        Err(e) => assert_eq!(e, Error::TimedOut(timeout)),
        Ok(_) => panic!("a flow past its deadline succeeded"),
    }
    nothing_sent(sandbox).await;
}

/// A flow that holds a code received more than its lifetime ago: keeps the code (a second one is
/// ignored) and fails with `CodeExpired` on `resume()`, without a request.
async fn code_expired<F: GoldenFlow>(
    sandbox: &Sandbox,
    flow: FlowHandle<F>,
    expected: &Value,
    kind: &str,
) {
    assert_state(&flow, expected, "after restore");
    assert_eq!(
        flow.handle_redirect(&stray_redirect(kind)),
        RedirectOutcome::Ignored(IgnoredReason::CodeAlreadyReceived)
    );
    flow.resume();
    assert_eq!(
        F::state_json(&flow.state()),
        json!({
            "name": "failed",
            "category": "Reauthenticate",
            "message": Error::CodeExpired.to_string(),
        })
    );
    match finish(&flow).await {
        Err(e) => assert_eq!(e, Error::CodeExpired),
        Ok(_) => panic!("an expired code was exchanged"),
    }
    nothing_sent(sandbox).await;
}

/// Opens a live session for `user_hash` straight through the provider API (no flow, so no
/// status request is sent): `(auth_url, session_id)`.
async fn live_session(sandbox: &Sandbox, user_hash: &str) -> (String, String) {
    let response = obauth_e2e::browser::plain_http()
        .post(format!(
            "{}/v1/authentication/initialize",
            sandbox.base_url()
        ))
        .header("X-Client-Id", CLIENT_ID)
        .header("X-Client-Secret", CLIENT_SECRET)
        .header("content-type", "application/json")
        .body(json!({ "userHash": user_hash, "redirectUrl": SUPERVISED_REDIRECT }).to_string())
        .send()
        .await
        .expect("the sandbox answers");
    let body: Value = serde_json::from_str(&response.text().await.expect("a body")).expect("JSON");
    (
        body["authUrl"].as_str().expect("authUrl").to_owned(),
        body["sessionId"].as_str().expect("sessionId").to_owned(),
    )
}

// --- Supervised login --------------------------------------------------------------------------

async fn supervised(golden: &Golden, template: &str) {
    match golden.phase() {
        "created" | "initializing" => supervised_from_the_start(golden, template).await,
        "awaiting_user" => supervised_awaiting(golden, template, CodeSource::Poll).await,
        "exchanging-code_live" => supervised_code_live(golden, template).await,
        phase => {
            let sandbox = sandbox_with(sandbox_config()).await;
            let base = sandbox.base_url();
            let expected = golden.expected(&base);
            let login = restore(golden.kind(), &base, &from_template(template, &base)).supervised();
            match phase {
                "awaiting_user-deadline_passed" => {
                    deadline_passed(&sandbox, login, &expected).await;
                }
                "exchanging" => code_expired(&sandbox, login, &expected, golden.kind()).await,
                _ => terminal(&sandbox, login, &expected, golden.kind()).await,
            }
        }
    }
}

/// `created`: `start()` after the restore runs the login; `initializing`: `resume()` sends
/// `initialize` again. Either way the user (scripted) approves and the poll brings the code.
async fn supervised_from_the_start(golden: &Golden, template: &str) {
    let sandbox = sandbox_with(SandboxConfig {
        default_script: UserScript::ApproveAfter(Duration::from_millis(100)),
        ..sandbox_config()
    })
    .await;
    let base = sandbox.base_url();
    let expected = golden.expected(&base);
    let login = restore(golden.kind(), &base, &from_template(template, &base)).supervised();
    assert_state(&login, &expected, "after restore");
    login.resume();
    if golden.phase() == "created" {
        assert_eq!(
            login.state(),
            LoginState::Created,
            "resume() does not start"
        );
        nothing_sent(&sandbox).await;
        login.start();
    }
    let tokens = finish(&login).await.expect("signed in after the restore");
    assert_eq!(tokens.completed_via, CodeSource::Poll);
    assert_eq!(login.state().name(), "authenticated");
    let sessions = sandbox.sessions();
    assert_eq!(sessions.len(), 1, "one session: {sessions:?}");
    assert_eq!(sessions[0].user_hash, golden.str(&base, "user_hash"));
    assert_eq!(sessions[0].exchanges, 1);
    let stats = sandbox.stats();
    assert_eq!(stats.initialize_requests, 1, "{stats:?}");
    assert_eq!(stats.successful_exchanges, 1, "{stats:?}");
}

/// `awaiting_user`: the resumed login polls its golden session (mapped by the proxy to a live
/// session of the same user) and completes by poll, or by the redirect from its restored
/// `authUrl` (whose golden `startToken` the proxy maps to the live one).
async fn supervised_awaiting(golden: &Golden, template: &str, by: CodeSource) {
    let sandbox = sandbox_with(sandbox_config()).await;
    let (live_auth_url, live_session_id) =
        live_session(&sandbox, &golden.str("", "user_hash")).await;
    let proxy = Proxy::start(&sandbox.base_url()).await;
    let base = proxy.base_url().to_owned();
    let expected = golden.expected(&base);
    let golden_session_id = expected["state"]["session_id"].as_str().unwrap().to_owned();
    let golden_auth_url = expected["state"]["auth_url"].as_str().unwrap().to_owned();
    let golden_token = query::raw_value(&golden_auth_url, "startToken").expect("a startToken");
    let live_token = query::raw_value(&live_auth_url, "startToken").expect("a startToken");
    proxy.rewrite(&golden_session_id, &live_session_id);
    proxy.rewrite(&golden_token, &live_token);
    if by == CodeSource::Redirect {
        // The redirect must arrive first: hold the resumed status polls well past it.
        sandbox.inject_faults(Endpoint::Status, Fault::Delay(Duration::from_secs(5)), 3);
    }

    let login = restore(golden.kind(), &base, &from_template(template, &base)).supervised();
    assert_state(&login, &expected, "after restore");
    login.resume();
    assert_state(&login, &expected, "after resume");
    match by {
        CodeSource::Poll => {
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(sandbox.complete_session(&live_session_id, Outcome::Approve));
        }
        CodeSource::Redirect => {
            let location = Browser::new().choose(&golden_auth_url, "approve").await;
            assert_eq!(
                login.handle_redirect(&location),
                RedirectOutcome::CodeAccepted
            );
            assert_eq!(
                proxy.hits(&golden_token),
                1,
                "the restored authUrl was used"
            );
        }
        CodeSource::Unattended => unreachable!("a supervised login's code is never unattended"),
    }
    let tokens = finish(&login).await.expect("signed in after the restore");
    assert_eq!(tokens.completed_via, by);
    assert_eq!(login.state().name(), "authenticated");
    if by == CodeSource::Poll {
        assert!(
            proxy.hits(&golden_session_id) >= 1,
            "the resumed login polled its golden session"
        );
    }
    assert_eq!(sandbox.session(&live_session_id).unwrap().exchanges, 1);
    let stats = sandbox.stats();
    assert_eq!(stats.initialize_requests, 1, "no new session: {stats:?}");
    assert_eq!(stats.successful_exchanges, 1, "{stats:?}");
}

/// `exchanging-code_live`: the resumed login resends its golden code, which the proxy swaps for
/// the code of a live, approved session.
async fn supervised_code_live(golden: &Golden, template: &str) {
    let sandbox = sandbox_with(sandbox_config()).await;
    let (_, live_session_id) = live_session(&sandbox, &golden.str("", "user_hash")).await;
    assert!(sandbox.complete_session(&live_session_id, Outcome::Approve));
    let live_code = peek_code(&sandbox, &live_session_id)
        .await
        .expect("a live code");
    let proxy = Proxy::start(&sandbox.base_url()).await;
    let base = proxy.base_url().to_owned();
    let expected = golden.expected(&base);
    let golden_code = golden.str(&base, "code");
    proxy.rewrite(&golden_code, &live_code);

    let login = restore(golden.kind(), &base, &from_template(template, &base)).supervised();
    assert_state(&login, &expected, "after restore");
    assert_eq!(
        login.handle_redirect(&stray_redirect(golden.kind())),
        RedirectOutcome::Ignored(IgnoredReason::CodeAlreadyReceived)
    );
    login.resume();
    let tokens = finish(&login).await.expect("signed in after the restore");
    let via = expected["state"]["via"].as_str().unwrap();
    assert_eq!(tokens.completed_via.as_str(), via);
    assert_eq!(
        proxy.hits(&golden_code),
        1,
        "the golden code was resent once"
    );
    assert_eq!(sandbox.session(&live_session_id).unwrap().exchanges, 1);
    let stats = sandbox.stats();
    assert_eq!(stats.token_requests, 1, "{stats:?}");
    assert_eq!(stats.status_requests, 1, "only the test's peek: {stats:?}");
}

// --- Aiia connect and PKCE ---------------------------------------------------------------------

async fn authorization(golden: &Golden, template: &str) {
    let sandbox = sandbox_with(sandbox_config()).await;
    match golden.phase() {
        "created" | "awaiting_user" => authorization_completes(&sandbox, golden, template).await,
        "exchanging-code_live" => authorization_code_live(&sandbox, golden, template).await,
        phase => {
            let base = sandbox.base_url();
            let expected = golden.expected(&base);
            let flow =
                restore(golden.kind(), &base, &from_template(template, &base)).authorization();
            match phase {
                "awaiting_user-deadline_passed" => {
                    deadline_passed(&sandbox, flow, &expected).await;
                }
                "exchanging" => code_expired(&sandbox, flow, &expected, golden.kind()).await,
                _ => terminal(&sandbox, flow, &expected, golden.kind()).await,
            }
        }
    }
}

/// Checks tokens from a live exchange of a restored flow whose consent was given on
/// `authorize_url`: the connect flow's consent id, the PKCE flow's ID token (nonce from the
/// snapshot, audience).
fn check_live_tokens(kind: &str, tokens: &TokenSet, authorize_url: &str, consent_id: &str) {
    assert!(tokens.refresh_token.is_some(), "{kind}: refreshable");
    if kind == "aiia_connect" {
        assert_eq!(tokens.consent_id.as_deref(), Some(consent_id));
    } else {
        let claims = jwt_claims(tokens.id_token.as_ref().expect("an ID token").expose());
        assert_eq!(
            claims["nonce"].as_str(),
            query::value(authorize_url, "nonce").as_deref(),
            "the nonce restored from the snapshot"
        );
        assert_eq!(claims["aud"], PUBLIC_CLIENT_ID);
    }
}

fn code_exchanges(kind: &str, stats: &Stats) -> (u64, u64) {
    let token_requests = match kind {
        "aiia_connect" => stats.oauth_token_requests,
        _ => stats.oidc_token_requests,
    };
    (token_requests, stats.oauth_code_exchanges)
}

/// `created` (after `start()`) and `awaiting_user`: the user consents on the restored flow's
/// authorize URL, and the redirect completes it.
async fn authorization_completes(sandbox: &Sandbox, golden: &Golden, template: &str) {
    let base = sandbox.base_url();
    let expected = golden.expected(&base);
    let flow = restore(golden.kind(), &base, &from_template(template, &base)).authorization();
    assert_state(&flow, &expected, "after restore");
    flow.resume();
    if golden.phase() == "created" {
        assert_eq!(
            flow.state(),
            AuthorizationState::Created,
            "resume() does not start"
        );
        nothing_sent(sandbox).await;
        flow.start();
    } else {
        assert_state(&flow, &expected, "after resume");
    }
    let authorize = authorize_url(&flow);
    assert!(authorize.starts_with(&base), "{authorize}");
    let location = OAuthBrowser::new().approve(&authorize).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let tokens = finish(&flow)
        .await
        .expect("authenticated after the restore");
    let consent_id = query::value(&location, "consentId").unwrap_or_default();
    check_live_tokens(golden.kind(), &tokens, &authorize, &consent_id);
    assert_eq!(flow.state().name(), "authenticated");
    assert_eq!(code_exchanges(golden.kind(), &sandbox.stats()), (1, 1));
}

/// `exchanging-code_live`: the resumed flow resends its golden code, which the proxy swaps for a
/// live code issued for the golden flow's own authorize request.
async fn authorization_code_live(sandbox: &Sandbox, golden: &Golden, template: &str) {
    let live_authorize = golden.str(&sandbox.base_url(), "authorize_url");
    let location = OAuthBrowser::new().approve(&live_authorize).await;
    let live_code = query::value(&location, "code").expect("a live code");
    let proxy = Proxy::start(&sandbox.base_url()).await;
    let base = proxy.base_url().to_owned();
    let expected = golden.expected(&base);
    let golden_code = golden.str(&base, "code");
    proxy.rewrite(&golden_code, &live_code);
    // The PKCE token request is form-encoded.
    let form = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let form_encoded = form(&golden_code) != golden_code;
    if form_encoded {
        proxy.rewrite(&form(&golden_code), &form(&live_code));
    }

    let flow = restore(golden.kind(), &base, &from_template(template, &base)).authorization();
    assert_state(&flow, &expected, "after restore");
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::Ignored(IgnoredReason::CodeAlreadyReceived)
    );
    flow.resume();
    let tokens = finish(&flow)
        .await
        .expect("authenticated after the restore");
    let hits = proxy.hits(&golden_code)
        + if form_encoded {
            proxy.hits(&form(&golden_code))
        } else {
            0
        };
    assert_eq!(hits, 1, "the golden code was resent once");
    let golden_consent = expected["consent_id"].as_str().unwrap_or_default();
    check_live_tokens(golden.kind(), &tokens, &live_authorize, golden_consent);
    assert_eq!(code_exchanges(golden.kind(), &sandbox.stats()), (1, 1));
}

// --- The tests ---------------------------------------------------------------------------------

async fn check(name: &'static str) {
    let golden = Golden::load(name);
    for (variant, template) in golden.variants() {
        eprintln!("{name}: {variant}");
        match golden.kind() {
            "supervised_login" => supervised(&golden, &template).await,
            _ => authorization(&golden, &template).await,
        }
    }
}

macro_rules! golden_tests {
    ($($test:ident => $file:literal,)*) => {
        /// Every golden file, by name (without `.json`).
        const GOLDEN_FILES: &[&str] = &[$($file),*];

        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                check($file).await;
            }
        )*
    };
}

golden_tests! {
    supervised_login_created => "supervised_login-created",
    supervised_login_initializing => "supervised_login-initializing",
    supervised_login_awaiting_user => "supervised_login-awaiting_user",
    supervised_login_awaiting_user_deadline_passed => "supervised_login-awaiting_user-deadline_passed",
    supervised_login_exchanging => "supervised_login-exchanging",
    supervised_login_exchanging_code_live => "supervised_login-exchanging-code_live",
    supervised_login_authenticated => "supervised_login-authenticated",
    supervised_login_failed_login_failed => "supervised_login-failed-login_failed",
    supervised_login_failed_bad_client_credentials => "supervised_login-failed-bad_client_credentials",
    supervised_login_failed_code_rejected => "supervised_login-failed-code_rejected",
    supervised_login_failed_server_error => "supervised_login-failed-server_error",
    supervised_login_cancelled_by_user => "supervised_login-cancelled-by_user",
    supervised_login_cancelled_by_app => "supervised_login-cancelled-by_app",
    supervised_login_not_applicable => "supervised_login-not_applicable",
    supervised_login_timed_out => "supervised_login-timed_out",
    aiia_connect_created => "aiia_connect-created",
    aiia_connect_awaiting_user => "aiia_connect-awaiting_user",
    aiia_connect_awaiting_user_deadline_passed => "aiia_connect-awaiting_user-deadline_passed",
    aiia_connect_exchanging => "aiia_connect-exchanging",
    aiia_connect_exchanging_code_live => "aiia_connect-exchanging-code_live",
    aiia_connect_authenticated => "aiia_connect-authenticated",
    aiia_connect_failed_bad_client_credentials => "aiia_connect-failed-bad_client_credentials",
    aiia_connect_failed_invalid_scope => "aiia_connect-failed-invalid_scope",
    aiia_connect_cancelled_by_user => "aiia_connect-cancelled-by_user",
    aiia_connect_cancelled_by_app => "aiia_connect-cancelled-by_app",
    aiia_connect_timed_out => "aiia_connect-timed_out",
    pkce_created => "pkce-created",
    pkce_awaiting_user => "pkce-awaiting_user",
    pkce_awaiting_user_deadline_passed => "pkce-awaiting_user-deadline_passed",
    pkce_exchanging => "pkce-exchanging",
    pkce_exchanging_code_live => "pkce-exchanging-code_live",
    pkce_authenticated => "pkce-authenticated",
    pkce_failed_invalid_grant => "pkce-failed-invalid_grant",
    pkce_failed_invalid_scope => "pkce-failed-invalid_scope",
    pkce_cancelled_by_user => "pkce-cancelled-by_user",
    pkce_cancelled_by_app => "pkce-cancelled-by_app",
    pkce_timed_out => "pkce-timed_out",
}

/// The awaiting supervised login also completes by the redirect from its restored `authUrl`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervised_login_awaiting_user_completes_by_redirect() {
    let golden = Golden::load("supervised_login-awaiting_user");
    for (variant, template) in golden.variants() {
        eprintln!("{}: {variant}", golden.name);
        supervised_awaiting(&golden, &template, CodeSource::Redirect).await;
    }
}

/// The fixture directory holds exactly the golden files tested here, each described in
/// `expected.json`, each a version-1 snapshot of its kind with no loopback URL but the
/// placeholder and no client secret.
#[test]
fn every_golden_file_is_tested_and_described() {
    let dir = fixture_dir();
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("the golden directory")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json") && n != "expected.json")
        .map(|n| n.trim_end_matches(".json").to_owned())
        .collect();
    on_disk.sort();
    let mut tested: Vec<String> = GOLDEN_FILES.iter().map(|s| (*s).to_owned()).collect();
    tested.sort();
    assert_eq!(on_disk, tested, "golden files on disk vs tested");

    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut described: Vec<String> = manifest.as_object().unwrap().keys().cloned().collect();
    described.sort();
    assert_eq!(described, tested, "expected.json entries vs tested");
    assert!(dir.join("README.md").exists());

    for name in GOLDEN_FILES {
        let golden = Golden::load(name);
        let snapshot: Value = serde_json::from_str(&golden.template).expect("JSON");
        assert_eq!(snapshot["version"], 1, "{name}");
        assert_eq!(snapshot["kind"], golden.kind(), "{name}");
        assert_eq!(to_template(&golden.template, PLACEHOLDER), golden.template);
        assert!(!golden.template.contains(CLIENT_SECRET), "{name}");
        let state = &golden.expected["state"]["name"];
        assert!(
            golden.phase().starts_with(state.as_str().unwrap()),
            "{name}: captured in state {state}"
        );
    }
}
