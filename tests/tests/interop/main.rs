//! Interop with an independent, certified OpenID Provider: `oidc-provider` 9.13.3 (from the
//! offline kit's npm cache, installed by `tests/interop/setup.sh`), started by this test on
//! loopback with a root issuer and a path issuer (`tests/interop/provider.mjs`).
//!
//! The test plays the user's browser over plain HTTP: oidc-provider's development login and
//! consent pages are HTML forms, posted to with a cookie jar of our own ([`Browser`]); the
//! final redirect to the app is never followed but handed to the flow, as a WebView would.
//!
//! What it proves, each against the real provider: discovery of both issuers; client
//! credentials with `client_secret_post` and `client_secret_basic` and secrets full of reserved
//! characters (RFC 6749 §2.3.1); authorization code + PKCE with a redirect URI registered
//! without a trailing slash; refresh with rotation and reuse detection, ID tokens from a refresh
//! checked; the user denying consent; a flow restored mid-way from its snapshot; RFC 9207 `iss`;
//! the OAuth errors `invalid_client`, `invalid_grant` and `invalid_scope`; revocation (RFC
//! 7009), sign-out and the RP-initiated logout URL.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use obauth::oauth::TokenTypeHint;
use obauth::{
    AuthorizationFlow, AuthorizationParams, AuthorizationState, CancelOrigin, ClientAuth,
    ClientCredentialsConfig, Error, OidcClient, PkceConfig, RedirectOutcome, RevocationOutcome,
    Secret, SignOutParams, TokenSet,
};
use obauth_e2e::browser::plain_http;
use obauth_e2e::oauth_browser::finished;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

/// The confidential clients' secret (see `provider.mjs`): every reserved character.
const SECRET: &str = "p+q%2Fr s:t/u?v&w=x#y~z!$'()*,;[]@";
const PUBLIC: &str = "interop-public";
/// Registered without a trailing slash.
const APP: &str = "https://app.example.com";
const SIGNED_OUT: &str = "https://app.example.com/signed-out";

/// oidc-provider on loopback; killed when dropped.
struct Provider {
    _child: Child,
    root: String,
    path: String,
}

async fn provider() -> Provider {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/interop");
    assert!(
        std::path::Path::new(dir)
            .join("node_modules/oidc-provider")
            .is_dir(),
        "oidc-provider is not installed: run tests/interop/setup.sh (it installs from the offline kit)"
    );
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the provider starts within 30 s")
        .unwrap()
        .expect("the provider prints its issuers");
    let issuers: serde_json::Value = serde_json::from_str(&line).unwrap();
    Provider {
        _child: child,
        root: issuers["root"].as_str().unwrap().to_owned(),
        path: issuers["path"].as_str().unwrap().to_owned(),
    }
}

/// A user's browser: follows the provider's redirects, signs in and answers consent on
/// oidc-provider's HTML forms, and stops at the redirect to the app.
struct Browser {
    http: reqwest::Client,
    cookies: Mutex<HashMap<String, String>>,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            http: plain_http(),
            cookies: Mutex::default(),
        }
    }

    fn cookie_header(&self) -> String {
        let jar = self.cookies.lock().unwrap();
        jar.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&self, response: &reqwest::Response) {
        let mut jar = self.cookies.lock().unwrap();
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap_or("");
            let pair = text.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                jar.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Option<String>, String) {
        let response = request
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("the provider answers");
        self.keep_cookies(&response);
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, location, response.text().await.unwrap_or_default())
    }

    /// Runs the authorization in the browser: signs in as `user`, approves (or denies) consent,
    /// and returns the redirect to the app (not followed).
    async fn authorize(&self, authorize_url: &str, user: &str, approve: bool) -> String {
        let mut url = Url::parse(authorize_url).unwrap();
        for _ in 0..20 {
            let (status, location, body) = self.send(self.http.get(url.as_str())).await;
            let next = match (status, location) {
                (300..=399, Some(location)) => url.join(&location).unwrap(),
                (200, _) => {
                    let action = url.join(&form_action(&body)).unwrap();
                    let form: Vec<(&str, &str)> = if body.contains(r#"value="login""#) {
                        vec![("prompt", "login"), ("login", user), ("password", "pw")]
                    } else if approve {
                        vec![("prompt", "consent")]
                    } else {
                        let abort = Url::parse(&format!("{action}/abort")).unwrap();
                        url = abort;
                        continue;
                    };
                    let (status, location, body) = self
                        .send(
                            self.http
                                .post(action.as_str())
                                .header("content-type", "application/x-www-form-urlencoded")
                                .body(
                                    url::form_urlencoded::Serializer::new(String::new())
                                        .extend_pairs(&form)
                                        .finish(),
                                ),
                        )
                        .await;
                    assert!((300..=399).contains(&status), "{status}: {body}");
                    action.join(&location.unwrap()).unwrap()
                }
                (status, _) => panic!("unexpected {status} at {url}: {body}"),
            };
            if next.origin() != url.origin() {
                return next.to_string();
            }
            url = next;
        }
        panic!("too many hops");
    }
}

fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("a form") + "action=\"".len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}

fn pkce_config(issuer: &str) -> PkceConfig {
    PkceConfig {
        issuer: issuer.to_owned(),
        client_id: PUBLIC.to_owned(),
    }
}

fn params(scope: &str) -> AuthorizationParams {
    let mut p = AuthorizationParams::new(APP);
    p.scope = Some(scope.to_owned());
    p.timeout = Duration::from_secs(60);
    p
}

fn awaiting_url(flow: &AuthorizationFlow) -> String {
    match flow.state() {
        AuthorizationState::AwaitingUser { authorize_url } => authorize_url,
        other => panic!("not awaiting the user: {other:?}"),
    }
}

fn query(url: &str) -> HashMap<String, String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// A PKCE flow the user has been through: the flow, its authorize URL, and the redirect back
/// to the app, not yet handed to the flow (as a WebView holds it).
struct Authorized {
    flow: AuthorizationFlow,
    url: String,
    redirect: String,
}

/// The prologue of the PKCE tests: a flow at `issuer` for `scope`, started, and alice at the
/// provider's pages approving (or, with `approve` false, denying) it.
async fn authorized(oidc: &OidcClient, issuer: &str, scope: &str, approve: bool) -> Authorized {
    let flow = oidc
        .pkce_flow(&pkce_config(issuer), params(scope))
        .await
        .unwrap();
    flow.start();
    let url = awaiting_url(&flow);
    let redirect = Browser::new().authorize(&url, "alice", approve).await;
    Authorized {
        flow,
        url,
        redirect,
    }
}

/// Hands the redirect to the flow (a code, accepted) and waits for the tokens.
async fn complete(a: &Authorized) -> TokenSet {
    assert_eq!(
        a.flow.handle_redirect(&a.redirect),
        RedirectOutcome::CodeAccepted
    );
    finished(&a.flow).await.expect("signed in")
}

/// A signed-in PKCE session (with `offline_access` in `scope`, the flow sends
/// `prompt=consent`, so oidc-provider issues a refresh token: OIDC Core §11).
async fn sign_in(oidc: &OidcClient, issuer: &str, scope: &str) -> TokenSet {
    complete(&authorized(oidc, issuer, scope, true).await).await
}

fn claims(jwt: &Secret) -> serde_json::Value {
    obauth_e2e::oauth_browser::jwt_claims(jwt.expose())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_of_root_and_path_issuers() {
    let p = provider().await;
    let oidc = OidcClient::new().unwrap();
    for issuer in [&p.root, &p.path] {
        let m = oidc.discover(issuer).await.unwrap();
        assert_eq!(&m.issuer, issuer);
        assert_eq!(m.token_endpoint, format!("{issuer}/token"));
        assert_eq!(
            m.revocation_endpoint,
            Some(format!("{issuer}/token/revocation"))
        );
        assert_eq!(
            m.end_session_endpoint,
            Some(format!("{issuer}/session/end"))
        );
        assert!(m.authorization_response_iss_parameter_supported);
        assert!(
            m.code_challenge_methods_supported
                .contains(&"S256".to_owned())
        );
    }
    // A trailing slash on the configured issuer finds the same provider.
    let m = oidc.discover(&format!("{}/", p.path)).await.unwrap();
    assert_eq!(m.issuer, p.path);
}

fn cc(issuer: &str, auth: ClientAuth, secret: &str, scope: &str) -> ClientCredentialsConfig {
    ClientCredentialsConfig {
        token_url: None,
        issuer: Some(issuer.to_owned()),
        client_id: match auth {
            ClientAuth::Basic => "interop+basic",
            _ => "interop+post",
        }
        .to_owned(),
        client_secret: Secret::new(secret),
        scope: Some(scope.to_owned()),
        client_auth: auth,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_with_post_and_basic_and_reserved_characters() {
    let p = provider().await;
    let oidc = OidcClient::new().unwrap();
    for issuer in [&p.root, &p.path] {
        for auth in [ClientAuth::Post, ClientAuth::Basic] {
            let manager = oidc
                .client_credentials(
                    cc(issuer, auth, SECRET, "api.read"),
                    Duration::from_secs(60),
                )
                .await
                .unwrap();
            let tokens = manager
                .fresh_token()
                .await
                .unwrap_or_else(|e| panic!("{auth:?} at {issuer}: {e}"));
            assert_eq!(tokens.scope.as_deref(), Some("api.read"));
            // The provider said 600: that is what is reported, not 599.
            assert_eq!(
                tokens.expires_in_as_issued(obauth::timestamp::now()),
                Some(600)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_mapping_invalid_client_invalid_scope_invalid_grant() {
    let p = provider().await;
    let oidc = OidcClient::new().unwrap();
    for auth in [ClientAuth::Post, ClientAuth::Basic] {
        let e = oidc
            .client_credentials(
                cc(&p.root, auth, "wrong+secret", "api.read"),
                Duration::from_secs(60),
            )
            .await
            .unwrap()
            .fresh_token()
            .await
            .unwrap_err();
        assert_eq!(e, Error::BadClientCredentials, "{auth:?}");
        let e = oidc
            .client_credentials(
                cc(&p.root, auth, SECRET, "api.read profile"),
                Duration::from_secs(60),
            )
            .await
            .unwrap()
            .fresh_token()
            .await
            .unwrap_err();
        assert_eq!(
            e,
            Error::UnexpectedStatus {
                endpoint: "client credentials",
                status: 400,
                code: Some("invalid_scope".into())
            },
            "{auth:?}"
        );
    }
    // A refresh token the provider never issued.
    let bogus = TokenSet {
        access_token: Secret::new("a"),
        token_type: "Bearer".into(),
        expires_at: Some(obauth::timestamp::now()),
        refresh_token: Some(Secret::new("not-a-refresh-token")),
        scope: None,
        id_token: None,
        consent_id: None,
        issued_at: None,
    };
    let manager = oidc
        .pkce_tokens(&pkce_config(&p.root), bogus, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        manager.force_renewal().await.unwrap_err(),
        Error::InvalidGrant
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce_without_offline_access_at_both_issuers() {
    let p = provider().await;
    let oidc = OidcClient::new().unwrap();
    for issuer in [&p.root, &p.path] {
        let a = authorized(&oidc, issuer, "openid", true).await;
        // Sent exactly as registered (no trailing slash added).
        assert_eq!(query(&a.url)["redirect_uri"], APP);
        // RFC 9207: the provider names itself in the redirect.
        assert_eq!(query(&a.redirect)["iss"], *issuer);
        let tokens = complete(&a).await;
        assert!(tokens.refresh_token.is_none(), "no offline_access asked");
        let id = claims(tokens.id_token.as_ref().expect("an ID token"));
        assert_eq!(id["iss"], issuer.as_str());
        assert_eq!(id["sub"], "alice");
        assert_eq!(id["aud"], PUBLIC);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce_without_openid_sends_no_nonce_and_is_accepted() {
    let p = provider().await;
    let oidc = OidcClient::new().unwrap();
    let a = authorized(&oidc, &p.root, "api.read", true).await;
    assert!(!query(&a.url).contains_key("nonce"));
    let tokens = complete(&a).await;
    assert!(tokens.id_token.is_none());
}

/// oidc-provider drops `offline_access` without `prompt=consent` (OIDC Core §11): the flow
/// sends it by default when `offline_access` is asked for and the caller chose no prompt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce_with_offline_access_gives_a_refresh_token() {
    let p = provider().await;
    let oidc = OidcClient::new().unwrap();
    let a = authorized(&oidc, &p.path, "openid offline_access", true).await;
    assert_eq!(query(&a.url)["prompt"], "consent");
    let tokens = complete(&a).await;
    assert!(tokens.refresh_token.is_some(), "offline_access honoured");
    assert_eq!(tokens.scope.as_deref(), Some("openid offline_access"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_a_reused_refresh_token_revokes_the_grant() {
    let p = provider().await;
    let oidc = OidcClient::new().unwrap();
    let config = pkce_config(&p.root);
    let tokens = sign_in(&oidc, &p.root, "openid offline_access").await;
    let first_rt = tokens.refresh_token.clone().expect("a refresh token");
    let manager = oidc
        .pkce_tokens(&config, tokens.clone(), Duration::from_secs(60))
        .await
        .unwrap();
    let renewed = manager.force_renewal().await.expect("refreshed");
    let second_rt = renewed.refresh_token.clone().unwrap();
    assert_ne!(second_rt, first_rt, "rotated");
    assert_ne!(renewed.access_token, tokens.access_token);
    // The refresh returned an ID token; it passed the §12.2 checks (same iss, sub, aud).
    let id = claims(renewed.id_token.as_ref().unwrap());
    assert_eq!(id["sub"], "alice");

    // Reusing the first refresh token: refused, and oidc-provider revokes the whole grant.
    let replay = oidc
        .pkce_tokens(&config, tokens, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        replay.force_renewal().await.unwrap_err(),
        Error::InvalidGrant
    );
    assert_eq!(
        manager.force_renewal().await.unwrap_err(),
        Error::InvalidGrant
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_denies_consent() {
    let p = provider().await;
    let oidc = OidcClient::new().unwrap();
    let Authorized { flow, redirect, .. } = authorized(&oidc, &p.path, "openid", false).await;
    assert_eq!(query(&redirect)["error"], "access_denied");
    let outcome = flow.handle_redirect(&redirect);
    assert_eq!(
        outcome,
        RedirectOutcome::ProviderError(Error::Cancelled {
            by: CancelOrigin::User
        })
    );
    assert_eq!(
        finished(&flow).await.unwrap_err(),
        Error::Cancelled {
            by: CancelOrigin::User
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_mid_flow_from_a_snapshot() {
    let p = provider().await;
    let config = pkce_config(&p.path);
    let (url, snapshot) = {
        let oidc = OidcClient::new().unwrap();
        let flow = oidc.pkce_flow(&config, params("openid")).await.unwrap();
        flow.start();
        (awaiting_url(&flow), flow.snapshot().unwrap())
    };
    // The app was killed; the user finished in the browser meanwhile.
    let redirect = Browser::new().authorize(&url, "bob", true).await;
    let oidc = OidcClient::new().unwrap();
    let flow = oidc.restore_pkce_flow(&config, &snapshot).unwrap();
    flow.resume();
    // The promise of RFC 9207 `iss` survived the snapshot: a redirect without it is refused.
    let mut stripped = Url::parse(&redirect).unwrap();
    let kept: Vec<(String, String)> = stripped
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != "iss")
        .collect();
    stripped.query_pairs_mut().clear().extend_pairs(kept);
    assert!(matches!(
        flow.handle_redirect(stripped.as_str()),
        RedirectOutcome::Rejected(Error::InvalidRedirect(_))
    ));
    assert_eq!(
        flow.handle_redirect(&redirect),
        RedirectOutcome::CodeAccepted
    );
    let tokens = finished(&flow).await.expect("signed in after restore");
    assert_eq!(claims(tokens.id_token.as_ref().unwrap())["sub"], "bob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc9207_a_redirect_naming_another_issuer_is_refused() {
    let p = provider().await;
    let oidc = OidcClient::new().unwrap();
    let Authorized { flow, redirect, .. } = authorized(&oidc, &p.path, "openid", true).await;
    // The mix-up: the same response, claiming to come from the other (root) provider.
    let mut forged = Url::parse(&redirect).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "iss" {
                (k, p.root.clone())
            } else {
                (k, v)
            }
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    assert!(matches!(
        flow.handle_redirect(forged.as_str()),
        RedirectOutcome::Rejected(Error::InvalidRedirect(_))
    ));
    assert_eq!(
        flow.handle_redirect(&redirect),
        RedirectOutcome::CodeAccepted
    );
    finished(&flow)
        .await
        .expect("the genuine redirect completes the flow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_and_sign_out() {
    let p = provider().await;
    let oidc = OidcClient::new().unwrap();
    let config = pkce_config(&p.path);

    // Revoking one refresh token by hand: the grant is gone.
    let tokens = sign_in(&oidc, &p.path, "openid offline_access").await;
    oidc.revoke(
        &config,
        tokens.refresh_token.as_ref().unwrap(),
        TokenTypeHint::RefreshToken,
    )
    .await
    .expect("revoked");
    let manager = oidc
        .pkce_tokens(&config, tokens, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        manager.force_renewal().await.unwrap_err(),
        Error::InvalidGrant
    );

    // Sign-out: both tokens revoked, tokens forgotten, a logout URL for the browser.
    let tokens = sign_in(&oidc, &p.path, "openid offline_access").await;
    let access = tokens.access_token.clone();
    let userinfo = |token: Secret| {
        let url = format!("{}/me", p.path);
        async move {
            plain_http()
                .get(url)
                .bearer_auth(token.expose())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(userinfo(access.clone()).await, 200);
    let manager = oidc
        .pkce_tokens(&config, tokens.clone(), Duration::from_secs(60))
        .await
        .unwrap();
    let storage = std::sync::Arc::new(obauth::MemoryStorage::default());
    manager.persist_to(storage.clone(), "tokens").unwrap();
    let outcome = oidc
        .sign_out(
            &config,
            &manager,
            SignOutParams {
                end_session: true,
                post_logout_redirect_uri: Some(SIGNED_OUT.into()),
                state: Some("bye-1".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(outcome.refresh_token, RevocationOutcome::Revoked);
    assert_eq!(outcome.access_token, RevocationOutcome::Revoked);
    assert!(outcome.fully_revoked());
    assert_eq!(outcome.cleared, Ok(()));
    assert_eq!(userinfo(access).await, 401, "the access token is revoked");
    assert!(manager.current().is_none());
    assert!(
        obauth::SecureStorage::load(&*storage, "tokens")
            .unwrap()
            .is_none()
    );
    assert_eq!(
        manager.fresh_token().await.unwrap_err(),
        Error::InvalidGrant
    );
    let logout = outcome
        .end_session_url
        .expect("the provider has end_session_endpoint");
    let q = query(&logout);
    assert!(
        logout.starts_with(&format!("{}/session/end?", p.path)),
        "{logout}"
    );
    assert_eq!(q["id_token_hint"], tokens.id_token.unwrap().expose());
    assert_eq!(q["post_logout_redirect_uri"], SIGNED_OUT);
    assert_eq!(q["state"], "bye-1");
    assert_eq!(q["client_id"], PUBLIC);
    // The provider accepts it: its logout confirmation page, not an error.
    let (status, _, body) = Browser::new().send(plain_http().get(&logout)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("logout"), "{body}");
}
