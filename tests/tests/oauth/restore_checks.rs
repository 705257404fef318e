//! Issue 10, defects 1 and 12 end to end: a restored snapshot is checked against the client's
//! own configuration (and, with an integrity key, its seal) before anything is sent — proved by
//! the request logs of the real sandbox and of a second sandbox standing in for the attacker's
//! host — and the connect flow sends S256 PKCE by default, so a code taken from the redirect is
//! useless without the flow's verifier.

use std::time::Duration;

use obauth::{AuthorizationState, Client, Error, RedirectOutcome, Secret};
use obauth_e2e::oauth_browser::*;
use obauth_e2e::{client, client_config, sandbox};
use obauth_sandbox::{Endpoint, Fault, Sandbox};

const KEY: &str = "integrity-key-kept-in-the-keystore-0123456789";

fn keyed_client(sandbox: &Sandbox, key: Option<&str>) -> Client {
    let mut config = client_config(sandbox, sandbox.client_secret());
    config.snapshot_key = key.map(Secret::new);
    Client::new(config).expect("a valid client configuration")
}

/// A connect flow killed in `Exchanging` (the first exchange answered 429): resuming its
/// snapshot sends the code and the client secret to the snapshot's token endpoint at once.
async fn exchanging_snapshot(sandbox: &Sandbox, client: &Client) -> String {
    sandbox.inject_fault(
        Endpoint::OAuthToken,
        Fault::TooManyRequests {
            retry_after_secs: 30,
        },
    );
    let (flow, location) = approved_connect_flow(client).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while sandbox.stats().oauth_token_requests == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no exchange sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(flow.state(), AuthorizationState::Exchanging);
    let snapshot = flow.snapshot().unwrap();
    // The killed app sends nothing more (its retry would come after 30 s).
    flow.cancel();
    snapshot
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_snapshot_is_refused_and_nothing_is_sent() {
    let sandbox = sandbox().await;
    let attacker = obauth_e2e::sandbox().await;
    let app = client(&sandbox);
    let snapshot = exchanging_snapshot(&sandbox, &app).await;
    assert!(snapshot.contains("\"phase\":\"exchanging\""), "{snapshot}");
    let token_endpoint = format!("{}/v1/oauth/token", sandbox.base_url());
    assert!(snapshot.contains(&token_endpoint));
    let before = sandbox.stats();
    let logged = sandbox.token_requests().len();

    // The attack of defect 1: the token endpoint moved to the attacker's host.
    let edited = snapshot.replace(
        &token_endpoint,
        &format!("{}/v1/oauth/token", attacker.base_url()),
    );
    let refused = crate::err(client(&sandbox).restore_connect_flow(&edited));
    assert!(matches!(refused, Error::InvalidSnapshot(_)), "{refused:?}");
    // A snapshot of another API root does not restore into this client either.
    let elsewhere = crate::err(client(&attacker).restore_connect_flow(&snapshot));
    assert!(
        matches!(elsewhere, Error::InvalidSnapshot(_)),
        "{elsewhere:?}"
    );

    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        attacker.stats(),
        obauth_sandbox::Stats::default(),
        "nothing reached the attacker's host"
    );
    assert!(attacker.token_requests().is_empty());
    assert_eq!(sandbox.stats(), before, "nothing more reached the provider");
    assert_eq!(sandbox.token_requests().len(), logged);

    // The untouched snapshot restores and completes with one redemption.
    let flow = client(&sandbox).restore_connect_flow(&snapshot).unwrap();
    flow.resume();
    finished(&flow).await.expect("the exchange completes");
    assert_eq!(sandbox.stats().oauth_code_exchanges, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_integrity_key_a_tampered_snapshot_is_refused_before_any_request() {
    let sandbox = sandbox().await;
    let app = keyed_client(&sandbox, Some(KEY));
    let sealed = exchanging_snapshot(&sandbox, &app).await;
    assert!(sealed.starts_with(r#"{"sealed":"hmac-sha256""#), "{sealed}");
    assert!(!sealed.contains(KEY));
    let before = sandbox.stats();
    // Edits every configuration check accepts: another consent id and a code of the attacker's.
    let code = serde_json::from_str::<serde_json::Value>(
        serde_json::from_str::<serde_json::Value>(&sealed).unwrap()["snapshot"]
            .as_str()
            .unwrap(),
    )
    .unwrap()["flow"]["phase"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let tampered = sealed.replace(&code, "attackers-own-code");
    assert_ne!(tampered, sealed);
    for (what, text, client) in [
        (
            "tampered",
            tampered.as_str(),
            keyed_client(&sandbox, Some(KEY)),
        ),
        (
            "another key",
            sealed.as_str(),
            keyed_client(&sandbox, Some("another-key-of-the-app-0123456789abcdef")),
        ),
        ("no key", sealed.as_str(), keyed_client(&sandbox, None)),
    ] {
        let refused = crate::err(client.restore_connect_flow(text));
        assert!(
            matches!(refused, Error::InvalidSnapshot(_)),
            "{what}: {refused:?}"
        );
    }
    // The seal stripped: the inner snapshot alone is refused by a client with the key.
    let inner = serde_json::from_str::<serde_json::Value>(&sealed).unwrap()["snapshot"]
        .as_str()
        .unwrap()
        .to_owned();
    let stripped = crate::err(keyed_client(&sandbox, Some(KEY)).restore_connect_flow(&inner));
    assert!(matches!(stripped, Error::InvalidSnapshot(_)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sandbox.stats(), before, "no request for a refused snapshot");

    let flow = keyed_client(&sandbox, Some(KEY))
        .restore_connect_flow(&sealed)
        .unwrap();
    flow.resume();
    finished(&flow).await.expect("the sealed snapshot restores");
    assert_eq!(sandbox.stats().oauth_code_exchanges, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connect_flow_sends_pkce_so_a_stolen_code_is_useless() {
    let sandbox = sandbox().await;
    let app = client(&sandbox);
    let flow = app
        .connect_flow(connect_params(CONNECT_REDIRECT), None, None)
        .unwrap();
    flow.start();
    let url = authorize_url(&flow);
    assert_eq!(
        obauth_e2e::query::value(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(obauth_e2e::query::value(&url, "code_challenge").is_some());
    let location = OAuthBrowser::new().approve(&url).await;
    // Whoever reads the redirect (another app, a log) has the code but not the verifier.
    let code = obauth_e2e::query::value(&location, "code").unwrap();
    let stolen = obauth_e2e::browser::plain_http()
        .post(format!("{}/v1/oauth/token", sandbox.base_url()))
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CONNECT_REDIRECT,
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), 400);
    let body: serde_json::Value = serde_json::from_str(&stolen.text().await.unwrap()).unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    // The app's own exchange carries the verifier and succeeds.
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    finished(&flow).await.expect("authenticated with PKCE");
    assert_eq!(sandbox.stats().oauth_code_exchanges, 1);

    // Switched off for a provider that rejects PKCE: no challenge, and the flow still works.
    let mut params = connect_params(CONNECT_REDIRECT);
    params.pkce = false;
    let flow = app.connect_flow(params, None, None).unwrap();
    flow.start();
    let url = authorize_url(&flow);
    assert!(obauth_e2e::query::value(&url, "code_challenge").is_none());
    let location = OAuthBrowser::new().approve(&url).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    finished(&flow).await.expect("authenticated without PKCE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_scheme_redirects_are_refused_without_the_opt_in_before_any_request() {
    let sandbox = sandbox().await;
    let refused = crate::err(client(&sandbox).connect_flow(
        connect_params("myapp://aiia/callback"),
        None,
        None,
    ));
    assert!(
        matches!(&refused, Error::InvalidInput { field, .. } if *field == "redirectUri"),
        "{refused:?}"
    );
    let login = crate::err(
        client(&sandbox).supervised_login(obauth::SupervisedLoginParams::new(
            "user-12345678",
            "myapp://aiia/callback",
        )),
    );
    assert!(matches!(login, Error::InvalidInput { .. }), "{login:?}");
    assert_eq!(sandbox.stats(), obauth_sandbox::Stats::default());
}
