//! OpenID Connect authorization code + PKCE for a public client end to end: discovery, the
//! authorize URL (S256 challenge, state, nonce), the hosted sign-in page, the exchange as a
//! public client (no secret), the ID token (nonce, audience, issuer), refresh as a public
//! client, and proof that the sandbox really checks the `code_verifier` (an edited snapshot's
//! verifier is refused with `invalid_grant` and does not burn the code). Also (failing: a core
//! bug, see the test) RFC 8252's private-use scheme redirect `com.example.app:/oauth2redirect`.

use std::collections::HashMap;
use std::time::Duration;

use obauth::{
    AuthorizationParams, AuthorizationState, CancelOrigin, Error, ErrorCategory, OidcClient,
    PkceConfig, RedirectOutcome,
};
use obauth_e2e::browser::plain_http;
use obauth_e2e::oauth_browser::*;
use obauth_e2e::{Secrets, query, sandbox};
use obauth_sandbox::{ClientAuthMethod, Sandbox};
use url::Url;

use crate::err;

fn pkce_config(sandbox: &Sandbox) -> PkceConfig {
    PkceConfig {
        issuer: sandbox.issuer(),
        client_id: sandbox.public_client_id().to_owned(),
    }
}

fn pkce_params(scope: Option<&str>) -> AuthorizationParams {
    let mut p = AuthorizationParams::new(OIDC_REDIRECT);
    p.scope = scope.map(str::to_owned);
    p.timeout = Duration::from_secs(60);
    p
}

fn query_map(url: &str) -> HashMap<String, String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce_sign_in_with_id_token_then_public_client_refresh() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    let config = pkce_config(&sandbox);
    let flow = oidc
        .pkce_flow(&config, pkce_params(Some("openid profile offline_access")))
        .await
        .expect("discovery and parameters are fine");
    assert_eq!(sandbox.stats().discovery_requests, 1);
    let states = FlowStates::attach(&flow);
    flow.start();

    let authorize = authorize_url(&flow);
    assert!(
        authorize.starts_with(&format!("{}/authorize?", sandbox.issuer())),
        "{authorize}"
    );
    let q = query_map(&authorize);
    assert_eq!(q["client_id"], sandbox.public_client_id());
    assert_eq!(q["redirect_uri"], OIDC_REDIRECT);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "openid profile offline_access");
    assert_eq!(q["code_challenge_method"], "S256");
    for name in ["code_challenge", "state", "nonce"] {
        assert_eq!(q[name].len(), 43, "{name}");
    }

    let browser = OAuthBrowser::new();
    let page = browser.open(&authorize).await;
    assert!(page.hops.is_empty(), "the sign-in page is shown at once");
    assert_eq!(page.client().as_deref(), Some(sandbox.public_client_id()));
    assert_eq!(page.scopes(), ["openid", "profile", "offline_access"]);
    let answer = browser.decide(&page, "approve").await;
    assert_eq!(answer.status, 302, "{answer:?}");
    let location = answer.location.unwrap();
    assert!(
        location.starts_with(&format!("{OIDC_REDIRECT}?")),
        "{location}"
    );
    assert_eq!(
        query::value(&location, "state").as_deref(),
        Some(&*q["state"])
    );
    assert!(query::value(&location, "consentId").is_none(), "Aiia only");
    let code = query::value(&location, "code").unwrap();

    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let tokens = finished(&flow).await.expect("authenticated");
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(
        tokens.scope.as_deref(),
        Some("openid profile offline_access")
    );
    assert!(tokens.refresh_token.is_some());
    assert_eq!(tokens.consent_id, None);
    let id_token = tokens.id_token.as_ref().expect("an ID token for openid");
    let claims = jwt_claims(id_token.expose());
    assert_eq!(claims["nonce"], q["nonce"].as_str(), "{claims}");
    assert_eq!(claims["aud"], sandbox.public_client_id());
    assert_eq!(claims["iss"], sandbox.issuer());
    assert!(claims["exp"].as_i64().unwrap() * 1000 > obauth::timestamp::now().unix_millis());
    assert_eq!(
        state_names(&states.finish().await),
        [
            "created",
            "awaiting_user",
            "code_received",
            "exchanging",
            "authenticated"
        ]
    );

    // The provider's side: one exchange, as a public client, with a verifier it accepted.
    let stats = sandbox.stats();
    assert_eq!(stats.oauth_code_exchanges, 1, "{stats:?}");
    assert_eq!(stats.oidc_authorize_requests, 1, "{stats:?}");
    assert_eq!(stats.oidc_decision_requests, 1, "{stats:?}");
    let log = sandbox.token_requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].path, "/oidc/token");
    assert_eq!(log[0].grant_type.as_deref(), Some("authorization_code"));
    assert_eq!(log[0].auth_method, ClientAuthMethod::PublicClient);
    assert_eq!(log[0].auth_method.as_str(), "none");
    assert_eq!(
        log[0].client_id.as_deref(),
        Some(sandbox.public_client_id())
    );
    assert_eq!(log[0].status, 200);

    // The access token works at the userinfo endpoint and names the ID token's subject.
    let userinfo = plain_http()
        .get(format!("{}/userinfo", sandbox.issuer()))
        .header("authorization", tokens.authorization().expose())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 200);
    let info: serde_json::Value = serde_json::from_str(&userinfo.text().await.unwrap()).unwrap();
    assert_eq!(info["sub"], claims["sub"]);

    // Refresh as a public client: discovery is not fetched again, no secret is sent.
    let manager = oidc
        .pkce_tokens(&config, tokens.clone(), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(sandbox.stats().discovery_requests, 1, "discovery is cached");
    let same = manager.fresh_token().await.unwrap();
    assert_eq!(same.access_token, tokens.access_token, "still fresh");
    assert_eq!(manager.renewals(), 0);
    let renewed = manager.force_renewal().await.expect("refreshed");
    assert_ne!(renewed.access_token, tokens.access_token);
    assert_ne!(renewed.refresh_token, tokens.refresh_token, "rotated");
    assert_eq!(renewed.id_token, tokens.id_token, "kept from the sign-in");
    assert_eq!(manager.renewals(), 1);
    let stats = sandbox.stats();
    assert_eq!(stats.refresh_grants, 1, "{stats:?}");
    assert_eq!(
        (
            stats.client_secret_basic_requests,
            stats.client_secret_post_requests
        ),
        (0, 0),
        "no secret anywhere: {stats:?}"
    );
    let log = sandbox.token_requests();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[1].path, "/oidc/token");
    assert_eq!(log[1].grant_type.as_deref(), Some("refresh_token"));
    assert_eq!(log[1].auth_method, ClientAuthMethod::PublicClient);
    assert_eq!(log[1].status, 200);
    assert!(sandbox.is_access_token_active(renewed.access_token.expose()));

    let mut secrets = Secrets::default();
    secrets.add("code", &code);
    add_token_set(&mut secrets, "sign-in", &tokens);
    add_token_set(&mut secrets, "renewed", &renewed);
    secrets.assert_debug_clean("tokens", &tokens);
    secrets.assert_debug_clean("renewed", &renewed);
    secrets.assert_debug_clean("token manager", &manager);
    secrets.assert_debug_clean("oidc client", &oidc);
    secrets.assert_absent("flow", &flow.with_flow(|m| format!("{m:?}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_code_verifier_is_refused_by_the_provider() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    let config = pkce_config(&sandbox);
    let original_flow = oidc.pkce_flow(&config, pkce_params(None)).await.unwrap();
    original_flow.start();
    let authorize = authorize_url(&original_flow);
    let original = original_flow.snapshot().unwrap();
    // The snapshot holds the verifier (it is secure-storage material).
    let mut edited: serde_json::Value = serde_json::from_str(&original).unwrap();
    let verifier = edited["flow"]["code_verifier"]
        .as_str()
        .expect("a verifier in the snapshot")
        .to_owned();
    assert_eq!(verifier.len(), 43);
    let mut secrets = Secrets::default();
    secrets.add("code verifier", &verifier);
    secrets.assert_absent("authorize URL", &authorize);
    secrets.assert_absent("flow Debug", &original_flow.with_flow(|m| format!("{m:?}")));
    edited["flow"]["code_verifier"] = altered(&verifier).into();
    let edited = edited.to_string();
    drop(original_flow);

    // The user approves the original request (whose challenge is S256 of the real verifier);
    // the redirect reaches a flow restored from the edited snapshot.
    let location = OAuthBrowser::new().approve(&authorize).await;
    let tampered = oidc.restore_pkce_flow(&config, &edited).unwrap();
    tampered.resume();
    assert_ne!(
        query_map(&authorize_url(&tampered))["code_challenge"],
        query_map(&authorize)["code_challenge"],
        "the edit took: a different verifier has a different challenge"
    );
    assert_eq!(
        tampered.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let e = finished(&tampered).await.unwrap_err();
    assert!(
        matches!(e, Error::InvalidGrant | Error::CodeRejected { .. }),
        "{e:?}"
    );
    assert_eq!(e.category(), ErrorCategory::Reauthenticate);
    assert!(matches!(
        tampered.state(),
        AuthorizationState::Failed { .. }
    ));
    let log = sandbox.token_requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].grant_type.as_deref(), Some("authorization_code"));
    assert_eq!(log[0].auth_method, ClientAuthMethod::PublicClient);
    assert_eq!(
        (log[0].status, log[0].error.as_deref()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(sandbox.stats().oauth_code_exchanges, 0);

    // The same code with the genuine verifier is accepted: the failed check burnt nothing, so
    // the verifier was the only difference.
    let genuine = oidc.restore_pkce_flow(&config, &original).unwrap();
    genuine.resume();
    assert_eq!(
        genuine.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let tokens = finished(&genuine).await.expect("authenticated");
    assert!(tokens.id_token.is_some());
    assert_eq!(sandbox.stats().oauth_code_exchanges, 1);
    assert_eq!(sandbox.token_requests()[1].status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_cancel_and_invalid_input() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    let config = pkce_config(&sandbox);

    // Invalid input is refused before discovery.
    let bad_issuer = PkceConfig {
        issuer: "http://id.example.com/oidc".into(),
        ..config.clone()
    };
    let e = err(oidc.pkce_flow(&bad_issuer, pkce_params(None)).await);
    assert!(
        matches!(
            e,
            Error::InvalidInput {
                field: "issuer",
                ..
            }
        ),
        "{e:?}"
    );
    let no_client = PkceConfig {
        client_id: " ".into(),
        ..config.clone()
    };
    let e = err(oidc.pkce_flow(&no_client, pkce_params(None)).await);
    assert!(
        matches!(
            e,
            Error::InvalidInput {
                field: "clientId",
                ..
            }
        ),
        "{e:?}"
    );
    let mut plain = pkce_params(None);
    plain.redirect_uri = "http://app.example.com/oidc/callback".into();
    let e = err(oidc.pkce_flow(&config, plain).await);
    assert!(
        matches!(
            e,
            Error::InvalidInput {
                field: "redirectUri",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(sandbox.stats().discovery_requests, 0, "nothing was sent");

    // The user cancels on the sign-in page.
    let flow = oidc.pkce_flow(&config, pkce_params(None)).await.unwrap();
    flow.start();
    let location = OAuthBrowser::new()
        .choose(&authorize_url(&flow), "cancel")
        .await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::ProviderError(Error::Cancelled {
            by: CancelOrigin::User
        })
    );
    assert_eq!(
        finished(&flow).await.unwrap_err().category(),
        ErrorCategory::UserAction
    );
    let stats = sandbox.stats();
    assert_eq!(stats.oidc_token_requests, 0, "{stats:?}");
    assert_eq!(stats.discovery_requests, 1, "{stats:?}");
}

/// KNOWN BUG (core): RFC 8252 §7.1's private-use URI scheme redirect for native apps,
/// `com.example.app:/oauth2redirect` (reverse domain, one slash, no authority), is what the
/// sandbox registers for its public client, but `RedirectPattern::parse` (`core/src/redirect.rs`)
/// refuses any URL without a host ("has no host"), so a PKCE app cannot use it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_use_scheme_redirect_of_rfc_8252() {
    const APP_SCHEME: &str = "com.example.app:/oauth2redirect";
    let sandbox = sandbox().await;
    assert!(
        sandbox
            .config()
            .public_client_redirect_uris
            .iter()
            .any(|u| u == APP_SCHEME),
        "registered at the provider"
    );
    let oidc = OidcClient::new().unwrap();
    let mut params = pkce_params(None);
    params.redirect_uri = APP_SCHEME.into();
    let flow = match oidc.pkce_flow(&pkce_config(&sandbox), params).await {
        Ok(flow) => flow,
        Err(e) => panic!("an RFC 8252 private-use scheme redirect is refused: {e}"),
    };
    flow.start();
    let location = OAuthBrowser::new().approve(&authorize_url(&flow)).await;
    assert!(
        location.starts_with(&format!("{APP_SCHEME}?")),
        "{location}"
    );
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    finished(&flow).await.expect("authenticated");
    assert_eq!(sandbox.stats().oauth_code_exchanges, 1);
}

/// Extra authorize parameters reach the provider, and OIDC Core §11 is met: a scope with
/// `offline_access` and no chosen `prompt` sends `prompt=consent`, so the sandbox (which, like
/// any conforming provider, ignores `offline_access` otherwise) grants it with a refresh token.
/// A caller's own `prompt` is sent as chosen. Parameters that would override the flow's own are
/// refused before any request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_authorize_parameters_and_the_offline_access_consent_prompt() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    let config = pkce_config(&sandbox);

    for name in [
        "state",
        "code_challenge",
        "redirect_uri",
        "client_id",
        "nonce",
    ] {
        let mut p = pkce_params(None);
        p.extras.params.insert(name.into(), "attacker".into());
        let e = err(oidc.pkce_flow(&config, p).await);
        assert!(
            matches!(
                &e,
                Error::InvalidInput {
                    field: "authorizeParams",
                    ..
                }
            ),
            "{name}: {e:?}"
        );
    }
    assert_eq!(sandbox.stats().discovery_requests, 0, "nothing was sent");

    // Offline access with no prompt chosen: `prompt=consent`, and a refresh token comes back.
    let mut p = pkce_params(Some("openid offline_access"));
    p.extras.login_hint = Some("jane+doe@example.com".into());
    p.extras.ui_locales = Some("da en".into());
    p.extras.max_age_seconds = Some(600);
    p.extras.acr_values = Some("urn:bank:strong".into());
    p.extras
        .params
        .insert("audience".into(), "https://api.example.com/".into());
    let flow = oidc.pkce_flow(&config, p).await.unwrap();
    flow.start();
    let url = authorize_url(&flow);
    let q = query_map(&url);
    assert_eq!(q["prompt"], "consent", "{url}");
    assert_eq!(q["login_hint"], "jane+doe@example.com");
    assert_eq!(q["ui_locales"], "da en");
    assert_eq!(q["max_age"], "600");
    assert_eq!(q["acr_values"], "urn:bank:strong");
    assert_eq!(q["audience"], "https://api.example.com/");
    assert_eq!(
        Url::parse(&url).unwrap().query_pairs().count(),
        q.len(),
        "no parameter is repeated: {url}"
    );
    let location = OAuthBrowser::new().approve(&url).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let tokens = finished(&flow).await.expect("authenticated");
    assert_eq!(tokens.scope.as_deref(), Some("openid offline_access"));
    assert!(tokens.refresh_token.is_some(), "offline access was granted");

    // The caller's own prompt is kept; without consent the provider ignores offline_access.
    let mut p = pkce_params(Some("openid offline_access"));
    p.extras.prompt = Some("login".into());
    let flow = oidc.pkce_flow(&config, p).await.unwrap();
    flow.start();
    let url = authorize_url(&flow);
    assert_eq!(query_map(&url)["prompt"], "login");
    let location = OAuthBrowser::new().approve(&url).await;
    flow.handle_redirect(&location);
    let tokens = finished(&flow).await.expect("authenticated");
    assert_eq!(tokens.scope.as_deref(), Some("openid"));
    assert!(tokens.refresh_token.is_none());
}
