//! The core's relay mode (`ClientConfig::relay`) end to end: the real `obauth::Client` talks to
//! a real relay in front of the sandbox. Success by poll and by redirect, an expired app token
//! refreshed once, a token refused twice (`app_token_rejected`), snapshot → restore → complete,
//! and what the device sends: the app token, never a partner credential or a `userHash`. The
//! Aiia Data connect flow and its refresh through the relay (`Client::relay_connect_flow`).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::{self, Next};
use common::*;
use obauth::{
    AuthorizationParams, AuthorizationState, Client, ClientConfig, CodeSource, ConsentPage, Error,
    ErrorCategory, LoginState, RedirectOutcome, Secret, SupervisedLogin, SupervisedLoginParams,
};
use obauth_relay::{Relay, ServeOptions, serve};
use obauth_sandbox::{ClientAuthMethod, ConsentScript, Endpoint, Fault, UserScript};
use reqwest::header::LOCATION;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// One request as it reached the relay from the device.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

type SeenLog = Arc<Mutex<Vec<Seen>>>;

/// A sandbox and a relay that records every request the device sends it.
struct Rig {
    h: Harness,
    base: String,
    seen: SeenLog,
}

async fn rig() -> Rig {
    let h = start().await;
    let seen: SeenLog = Arc::default();
    let relay = Relay::new(config(&h.sandbox)).unwrap();
    let log = seen.clone();
    let router = relay
        .router()
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let log = log.clone();
            async move {
                let (parts, body) = req.into_parts();
                let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                log.lock().unwrap().push(Seen {
                    path: parts.uri.path().to_owned(),
                    headers: parts
                        .headers
                        .iter()
                        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
                        .collect(),
                    body: String::from_utf8_lossy(&bytes).into_owned(),
                });
                next.run(Request::from_parts(parts, Body::from(bytes)))
                    .await
            }
        }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(
        listener,
        router,
        ServeOptions::default(),
        std::future::pending(),
    ));
    Rig { h, base, seen }
}

/// An app token provider that counts its calls: `current` until a forced refresh, then
/// `fresh` (for good).
struct Tokens {
    current: Mutex<String>,
    fresh: String,
    calls: AtomicUsize,
    refreshes: AtomicUsize,
}

impl Tokens {
    fn new(current: String, fresh: String) -> Arc<Self> {
        Arc::new(Tokens {
            current: Mutex::new(current),
            fresh,
            calls: AtomicUsize::new(0),
            refreshes: AtomicUsize::new(0),
        })
    }

    fn valid(sub: &str) -> Arc<Self> {
        Self::new(token(sub), token(sub))
    }
}

fn provider(tokens: &Arc<Tokens>) -> impl Fn(bool) -> Result<Secret, Error> + Send + Sync + use<> {
    let tokens = tokens.clone();
    move |force_refresh| {
        tokens.calls.fetch_add(1, Ordering::SeqCst);
        let mut current = tokens.current.lock().unwrap();
        if force_refresh {
            tokens.refreshes.fetch_add(1, Ordering::SeqCst);
            *current = tokens.fresh.clone();
        }
        Ok(Secret::new(current.clone()))
    }
}

fn expired(sub: &str) -> String {
    hs256(&json!({ "sub": sub, "exp": now() - 120 }), APP_SECRET)
}

fn forged(sub: &str) -> String {
    hs256(
        &json!({ "sub": sub, "exp": now() + 600 }),
        "not-the-app-secret-0123456789abcdef-012345",
    )
}

impl Rig {
    fn client(&self, tokens: &Arc<Tokens>) -> Client {
        Client::new(ClientConfig::relay(self.base.clone(), provider(tokens))).unwrap()
    }

    /// The poll-login prologue: `sub` will approve at the bank `after` the login starts; a
    /// client with `tokens` starts a supervised login through the relay. Returns both.
    fn start_polled_login(
        &self,
        sub: &str,
        after: Duration,
        tokens: &Arc<Tokens>,
    ) -> (Client, SupervisedLogin) {
        self.h
            .sandbox
            .script_user(&self.h.user_hash(sub), UserScript::ApproveAfter(after));
        let client = self.client(tokens);
        let login = client.supervised_login(params()).unwrap();
        login.start();
        (client, login)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Every request the device sent: the app token as bearer, no partner credential, no
    /// `userHash`, nothing of the sandbox's secret.
    fn assert_device_sent_no_partner_credentials(&self) {
        let seen = self.seen();
        assert!(!seen.is_empty());
        for s in &seen {
            let names: Vec<&str> = s.headers.iter().map(|(n, _)| n.as_str()).collect();
            assert!(
                !names.contains(&"x-client-id") && !names.contains(&"x-client-secret"),
                "{s:?}"
            );
            let bearer = s
                .headers
                .iter()
                .find(|(n, _)| n == "authorization")
                .map(|(_, v)| v.as_str());
            assert!(bearer.is_some_and(|b| b.starts_with("Bearer ey")), "{s:?}");
            assert!(!s.body.contains("userHash"), "{s:?}");
            let text = format!("{s:?}");
            assert!(!text.contains(PARTNER_SECRET), "{s:?}");
            assert!(!text.contains(self.h.sandbox.client_id()), "{s:?}");
        }
    }
}

fn params() -> SupervisedLoginParams {
    SupervisedLoginParams {
        poll_timeout: Duration::from_secs(5),
        ..SupervisedLoginParams::new("", REDIRECT)
    }
}

async fn auth_url_of(states: &mut obauth::StateStream<LoginState>) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), states.next())
            .await
            .expect("a state in time")
            .expect("the flow is still running")
        {
            LoginState::AwaitingUser { auth_url, .. } => return auth_url,
            LoginState::Failed { error } => panic!("failed: {error}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_by_poll_through_the_relay() {
    let r = rig().await;
    let tokens = Tokens::valid("alice");
    let (_client, login) = r.start_polled_login("alice", Duration::from_millis(300), &tokens);
    let result = login.wait().await.expect("authenticated");
    assert_eq!(result.completed_via, CodeSource::Poll);
    assert!(!result.session.token().expose().is_empty());
    let stats = r.h.sandbox.stats();
    assert_eq!(stats.successful_exchanges, 1);
    assert_eq!(stats.token_requests, 1);
    // The provider saw the derived user; the device saw only a sealed handle.
    let sessions = r.h.sandbox.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].user_hash, r.h.user_hash("alice"));
    let seen = r.seen();
    let exchange = seen
        .iter()
        .find(|s| s.path == "/v1/authentication/tokens")
        .expect("an exchange");
    let body: Value = serde_json::from_str(&exchange.body).unwrap();
    let handle = body["sessionId"].as_str().unwrap();
    assert_ne!(handle, sessions[0].session_id);
    assert!(
        seen.iter()
            .any(|s| s.path == format!("/v1/authentication/{handle}/status"))
    );
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 0);
    r.assert_device_sent_no_partner_credentials();

    // One X-Correlation-Id from the device through the relay to the provider: every provider
    // request of this login (initialize, status polls, the relay's check, the exchange) carried
    // the flow's id.
    let id = login.correlation_id().expect("a started flow has one");
    let log = r.h.sandbox.correlation_log();
    assert!(log.len() >= 4, "{log:?}");
    assert!(
        log.iter()
            .all(|rec| rec.correlation_id.as_deref() == Some(id.as_str())),
        "{log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_by_redirect_through_the_relay() {
    let r = rig().await;
    let tokens = Tokens::valid("bob");
    let client = r.client(&tokens);
    // Hold the first long-poll, so the code can only come by the redirect (otherwise the
    // sandbox wakes the poll on approval and the poll may win the race).
    r.h.sandbox
        .inject_fault(Endpoint::Status, Fault::Delay(Duration::from_millis(1500)));
    let login = client.supervised_login(params()).unwrap();
    let mut states = login.subscribe();
    login.start();
    let auth_url = auth_url_of(&mut states).await;
    let location = r.h.approve(&auth_url).await;
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(
        login.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let result = login.wait().await.expect("authenticated");
    assert_eq!(result.completed_via, CodeSource::Redirect);
    assert_eq!(r.h.sandbox.stats().successful_exchanges, 1);
    r.assert_device_sent_no_partner_credentials();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_app_token_is_refreshed_once_and_the_login_goes_on() {
    let r = rig().await;
    let tokens = Tokens::new(expired("carol"), token("carol"));
    let (_client, login) = r.start_polled_login("carol", Duration::from_millis(200), &tokens);
    login.wait().await.expect("authenticated");
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 1);
    let seen = r.seen();
    let initializes = seen
        .iter()
        .filter(|s| s.path == "/v1/authentication/initialize")
        .count();
    assert_eq!(initializes, 2, "the refused one and the retry");
    assert_eq!(r.h.sandbox.stats().initialize_requests, 1);
    assert_eq!(r.h.sandbox.stats().successful_exchanges, 1);
    r.assert_device_sent_no_partner_credentials();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_refused_twice_fails_with_app_token_rejected() {
    let r = rig().await;
    let tokens = Tokens::new(forged("dave"), forged("dave"));
    let client = r.client(&tokens);
    let login = client.supervised_login(params()).unwrap();
    login.start();
    let error = login.wait().await.expect_err("refused");
    assert_eq!(error, Error::AppTokenRejected);
    assert_eq!(error.code(), "app_token_rejected");
    assert_eq!(error.category(), ErrorCategory::Reauthenticate);
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(r.seen().len(), 2, "one request and one retry, no more");
    assert_eq!(r.h.sandbox.stats().initialize_requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_error_fails_the_request_with_that_error() {
    let r = rig().await;
    let client = Client::new(ClientConfig::relay(r.base.clone(), |_| {
        Err(Error::Network {
            endpoint: "app token",
            detail: "offline".into(),
        })
    }))
    .unwrap();
    let login = client
        .supervised_login(SupervisedLoginParams {
            timeout: Duration::from_millis(800),
            ..params()
        })
        .unwrap();
    login.start();
    let error = login.wait().await.expect_err("no token");
    assert_eq!(error.category(), ErrorCategory::RetryLater, "{error}");
    assert!(r.seen().is_empty(), "nothing is sent without a token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_restore_complete_through_the_relay() {
    let r = rig().await;
    let tokens = Tokens::valid("erin");
    let auth_url;
    let snapshot;
    {
        let client = r.client(&tokens);
        let login = client.supervised_login(params()).unwrap();
        let mut states = login.subscribe();
        login.start();
        auth_url = auth_url_of(&mut states).await;
        snapshot = login.snapshot().unwrap();
        login.cancel();
    }
    // Nothing in the snapshot names the user or the partner.
    let v: Value = serde_json::from_str(&snapshot).unwrap();
    assert!(!snapshot.contains(&r.h.user_hash("erin")), "{snapshot}");
    assert!(!snapshot.contains(PARTNER_SECRET));
    assert!(!snapshot.contains(r.h.sandbox.client_id()));
    assert!(v.to_string().contains("awaiting"), "{snapshot}");

    // A new process: a new client, the login restored and resumed; the user approves.
    let client = r.client(&tokens);
    let login = client.restore_supervised_login(&snapshot).unwrap();
    login.resume();
    r.h.approve(&auth_url).await;
    let result = login.wait().await.expect("authenticated");
    assert_eq!(result.completed_via, CodeSource::Poll);
    assert_eq!(r.h.sandbox.stats().successful_exchanges, 1);
    r.assert_device_sent_no_partner_credentials();

    // A partner-mode client does not take the relay's snapshot.
    let partner = Client::new(ClientConfig::new(
        r.h.sandbox.base_url(),
        r.h.sandbox.client_id(),
        r.h.sandbox.client_secret(),
    ))
    .unwrap();
    assert!(matches!(
        partner.restore_supervised_login(&snapshot),
        Err(Error::InvalidSnapshot(_))
    ));
}

#[tokio::test]
async fn relay_mode_refuses_partner_secrets_and_user_hashes() {
    let with_secret = ClientConfig {
        client_secret: Secret::new("s3cr3t"),
        ..ClientConfig::relay("http://127.0.0.1:9", |_| Ok(Secret::new("t")))
    };
    match Client::new(with_secret) {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "clientSecret"),
        other => panic!("{other:?}"),
    }
    let client = Client::new(ClientConfig::relay("http://127.0.0.1:9", |_| {
        Ok(Secret::new("t"))
    }))
    .unwrap();
    match client.supervised_login(SupervisedLoginParams::new("test-user-id", REDIRECT)) {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "userHash"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("a userHash was accepted in relay mode"),
    }
}

/// Unattended login in relay mode: the core sends only the login token (the relay sets the
/// derived `userHash`), gets a new session and login token, the replaced token is refused
/// (`login_token_rejected`, a supervised login is needed), and `resume_session` renews an
/// expired session by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unattended_login_through_the_relay() {
    let r = rig().await;
    let tokens = Tokens::valid("carol");
    let (client, login) = r.start_polled_login("carol", Duration::from_millis(100), &tokens);
    let first = login.wait().await.expect("authenticated");
    assert!(first.login.supports_unattended);

    let second = client
        .unattended_login("", &first.login.token)
        .await
        .expect("an unattended login");
    assert_eq!(second.completed_via, CodeSource::Unattended);
    assert_ne!(second.login.token.expose(), first.login.token.expose());
    assert_eq!(r.h.sandbox.stats().unattended_logins, 1);

    // A user hash is refused before anything is sent: the relay derives it.
    let e = client
        .unattended_login("some-user-hash", &second.login.token)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidInput {
                field: "userHash",
                ..
            }
        ),
        "{e}"
    );

    let e = client
        .unattended_login("", &first.login.token)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "login_token_rejected");
    assert_eq!(e.category(), ErrorCategory::Reauthenticate);

    // The one call: an expired session is renewed with the stored login token.
    let expired = obauth::SupervisedTokens {
        session: obauth::AccessSession::new(
            second.session.token().clone(),
            obauth::Timestamp::from_unix_millis(0),
        ),
        ..second.clone()
    };
    match client
        .resume_session("", &expired, Duration::from_secs(30))
        .await
        .unwrap()
    {
        obauth::SessionAccess::Renewed(third) => {
            assert_ne!(third.login.token.expose(), second.login.token.expose())
        }
        other => panic!("{other:?}"),
    }
    // Its login token is now spent: a supervised login is needed.
    match client
        .resume_session("", &expired, Duration::from_secs(30))
        .await
        .unwrap()
    {
        obauth::SessionAccess::SupervisedLoginRequired(reason) => {
            assert_eq!(reason, obauth::SupervisedLoginReason::LoginTokenRejected)
        }
        other => panic!("{other:?}"),
    }
    let seen = r.seen();
    let unattended: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.path == "/v1/authentication/unattended")
        .collect();
    assert_eq!(unattended.len(), 4);
    for s in &unattended {
        let body: Value = serde_json::from_str(&s.body).unwrap();
        assert_eq!(body.as_object().unwrap().len(), 1, "only loginToken: {s:?}");
        assert!(
            s.headers
                .iter()
                .any(|(n, v)| n == "x-correlation-id" && v.starts_with("|obauth-")),
            "{s:?}"
        );
    }
    r.assert_device_sent_no_partner_credentials();
}

// ---- Aiia Data connect through the relay ---------------------------------------------------

impl Rig {
    /// The provider's consent page (the sandbox) with the partner's public client id.
    fn consent(&self) -> ConsentPage {
        ConsentPage::new(self.h.sandbox.base_url(), self.h.sandbox.client_id())
    }

    /// Plays the browser on the consent page (consent approved): follows the provider's
    /// redirects from `authorize_url`; returns the redirect to the app.
    async fn consent_redirect(&self, authorize_url: &str) -> String {
        let mut next = authorize_url.to_owned();
        for _ in 0..4 {
            let resp = self.h.http.get(&next).send().await.unwrap();
            assert_eq!(resp.status().as_u16(), 302, "{next}");
            next = resp.headers()[LOCATION].to_str().unwrap().to_owned();
            if next.starts_with(REDIRECT) {
                return next;
            }
            if next.starts_with('/') {
                next = self.h.sandbox.base_url() + &next;
            }
        }
        panic!("no redirect to the app");
    }
}

async fn authorize_url_of(states: &mut obauth::StateStream<AuthorizationState>) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), states.next())
            .await
            .expect("a state in time")
            .expect("the flow is still running")
        {
            AuthorizationState::AwaitingUser { authorize_url } => return authorize_url,
            AuthorizationState::Failed { error } => panic!("failed: {error}"),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_refresh_through_the_relay() {
    let r = rig().await;
    r.h.sandbox.script_consent(ConsentScript::Approve);
    // An expired app token: the exchange's 401 InvalidAppToken is retried once with a fresh one.
    let tokens = Tokens::new(expired("frank"), token("frank"));
    let client = r.client(&tokens);
    let flow = client
        .relay_connect_flow(&r.consent(), AuthorizationParams::new(REDIRECT), None, None)
        .unwrap();
    let mut states = flow.subscribe();
    flow.start();
    let authorize_url = authorize_url_of(&mut states).await;
    // The consent page is the provider's, with the partner's public client id.
    assert!(
        authorize_url.starts_with(&(r.h.sandbox.base_url() + "/v1/oauth/connect?")),
        "{authorize_url}"
    );
    assert!(authorize_url.contains(&format!("client_id={}", r.h.sandbox.client_id())));
    assert!(
        r.seen().is_empty(),
        "nothing reaches the relay before the code"
    );

    let location = r.consent_redirect(&authorize_url).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let set = flow.wait().await.expect("connected");
    assert!(set.refresh_token.is_some());
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 1);
    // The provider saw one code exchange, authenticated by the relay with Basic auth.
    let log = r.h.sandbox.token_requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].auth_method, ClientAuthMethod::ClientSecretBasic);
    assert_eq!(log[0].client_id.as_deref(), Some(r.h.sandbox.client_id()));

    // The refresh goes through the relay too.
    let manager = client.connect_tokens(set.clone(), Duration::from_secs(60));
    let renewed = manager.force_renewal().await.expect("refreshed");
    assert_ne!(renewed.access_token.expose(), set.access_token.expose());
    assert_eq!(r.h.sandbox.stats().refresh_grants, 1);
    let token_calls: Vec<Seen> = r
        .seen()
        .into_iter()
        .filter(|s| s.path == "/v1/oauth/token")
        .collect();
    assert_eq!(
        token_calls.len(),
        3,
        "refused exchange, retried exchange, refresh"
    );
    assert!(token_calls[2].body.contains("refresh_token"));
    for s in &token_calls {
        // No client authentication of the device's own: the app token only.
        assert!(
            !s.body.contains("client_secret") && !s.body.contains("client_id"),
            "{s:?}"
        );
    }
    r.assert_device_sent_no_partner_credentials();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connect_redirect_off_the_allowlist_is_refused_by_the_relay() {
    let r = rig().await;
    r.h.sandbox.script_consent(ConsentScript::Approve);
    let tokens = Tokens::valid("gina");
    let client = r.client(&tokens);
    // Registered at the sandbox (any path below /aiia), not on the relay's allowlist.
    let redirect = "https://app.example.com/aiia/other";
    let flow = client
        .relay_connect_flow(
            &ConsentPage::new(r.h.sandbox.base_url(), r.h.sandbox.client_id()),
            AuthorizationParams {
                redirect_pattern: Some("https://app.example.com/aiia/*".into()),
                ..AuthorizationParams::new(redirect)
            },
            None,
            None,
        )
        .unwrap();
    let mut states = flow.subscribe();
    flow.start();
    let authorize_url = authorize_url_of(&mut states).await;
    let code = "c0de-not-exchanged";
    let state = url::Url::parse(&authorize_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    flow.handle_redirect(&format!("{redirect}?code={code}&state={state}"));
    let error = flow.wait().await.expect_err("refused");
    assert!(!error.to_string().contains(code), "{error}");
    assert!(r.h.sandbox.token_requests().is_empty(), "never exchanged");
    // A set-up error (the redirect is missing from the relay's allowlist): signing in again
    // cannot help, so it is Fatal, not a refused code, and the relay's refusal is named.
    assert_eq!(error.category(), ErrorCategory::Fatal, "{error}");
    assert_eq!(error.code(), "redirect_url_not_allowed", "{error}");
    assert!(
        error.to_string().contains("RedirectUrlNotAllowed"),
        "{error}"
    );
}

#[tokio::test]
async fn relay_connect_input_is_checked_before_any_request() {
    let relay = Client::new(ClientConfig::relay("http://127.0.0.1:9", |_| {
        Ok(Secret::new("t"))
    }))
    .unwrap();
    let params = || AuthorizationParams::new(REDIRECT);
    // The partner connect flow has no consent page in relay mode.
    match relay.connect_flow(params(), None, None) {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "relayUrl"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    for (consent, field) in [
        (ConsentPage::new("http://bank.example", "cid"), "apiUrl"),
        (ConsentPage::new("https://bank.example", " "), "clientId"),
    ] {
        match relay.relay_connect_flow(&consent, params(), None, None) {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
    // A partner client has no relay to exchange at.
    let partner = Client::new(ClientConfig::new("https://api.example", "cid", "s")).unwrap();
    match partner.relay_connect_flow(
        &ConsentPage::new("https://api.example", "cid"),
        params(),
        None,
        None,
    ) {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, "relayUrl"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_connect_snapshot_restores_only_against_the_same_relay() {
    let r = rig().await;
    r.h.sandbox.script_consent(ConsentScript::Approve);
    let tokens = Tokens::valid("hank");
    let snapshot;
    let authorize_url;
    {
        let client = r.client(&tokens);
        let flow = client
            .relay_connect_flow(&r.consent(), AuthorizationParams::new(REDIRECT), None, None)
            .unwrap();
        let mut states = flow.subscribe();
        flow.start();
        authorize_url = authorize_url_of(&mut states).await;
        snapshot = flow.snapshot().unwrap();
        flow.cancel();
    }
    assert!(!snapshot.contains(PARTNER_SECRET));
    // Another relay URL: the code (and the app token) would go elsewhere — refused.
    let elsewhere =
        Client::new(ClientConfig::relay("http://127.0.0.1:9", provider(&tokens))).unwrap();
    assert!(matches!(
        elsewhere.restore_relay_connect_flow(&r.consent(), &snapshot),
        Err(Error::InvalidSnapshot(_))
    ));
    // A snapshot edited to name another token endpoint: refused the same way.
    let edited = snapshot.replace(&r.base, "http://127.0.0.1:9");
    assert_ne!(edited, snapshot);
    let client = r.client(&tokens);
    assert!(matches!(
        client.restore_relay_connect_flow(&r.consent(), &edited),
        Err(Error::InvalidSnapshot(_))
    ));
    // Another consent page (the WebView would load another host): refused.
    assert!(matches!(
        client.restore_relay_connect_flow(
            &ConsentPage::new("https://bank.example", r.h.sandbox.client_id()),
            &snapshot
        ),
        Err(Error::InvalidSnapshot(_))
    ));
    // The same relay: restored, resumed, completed.
    let flow = client
        .restore_relay_connect_flow(&r.consent(), &snapshot)
        .unwrap();
    flow.resume();
    let location = r.consent_redirect(&authorize_url).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    flow.wait().await.expect("connected");
    assert_eq!(r.h.sandbox.token_requests().len(), 1);
}
