//! Revocation (RFC 7009) and sign-out against the sandbox's OIDC side: `OidcClient::revoke`
//! revokes one token; `OidcClient::sign_out` revokes the refresh token, then the access token,
//! then forgets the tokens even when the provider fails, and reports each revocation; the
//! RP-initiated logout URL carries `id_token_hint`, `post_logout_redirect_uri` and `state` and
//! the sandbox sends the user back with the state. A token of another client is refused.

use std::sync::Arc;
use std::time::Duration;

use obauth::oauth::TokenTypeHint;
use obauth::{
    AuthorizationParams, Error, MemoryStorage, OidcClient, PkceConfig, RedirectOutcome,
    RevocationOutcome, SecureStorage, SignOutParams, TokenSet,
};
use obauth_e2e::browser::plain_http;
use obauth_e2e::oauth_browser::*;
use obauth_e2e::{query, sandbox};
use obauth_sandbox::{Endpoint, Fault, Sandbox};

fn config(sandbox: &Sandbox) -> PkceConfig {
    PkceConfig {
        issuer: sandbox.issuer(),
        client_id: sandbox.public_client_id().to_owned(),
    }
}

async fn signed_in(sandbox: &Sandbox, oidc: &OidcClient) -> TokenSet {
    let mut params = AuthorizationParams::new(OIDC_REDIRECT);
    params.scope = Some("openid offline_access".into());
    params.timeout = Duration::from_secs(60);
    let flow = oidc.pkce_flow(&config(sandbox), params).await.unwrap();
    flow.start();
    let location = OAuthBrowser::new().approve(&authorize_url(&flow)).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let tokens = finished(&flow).await.expect("signed in");
    assert!(tokens.refresh_token.is_some());
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_names_the_revocation_and_end_session_endpoints() {
    let sandbox = sandbox().await;
    let m = OidcClient::new()
        .unwrap()
        .discover(&sandbox.issuer())
        .await
        .unwrap();
    assert_eq!(
        m.revocation_endpoint,
        Some(format!("{}/revoke", sandbox.issuer()))
    );
    assert_eq!(
        m.end_session_endpoint,
        Some(format!("{}/logout", sandbox.issuer()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_revokes_both_tokens_clears_storage_and_logs_out() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    let tokens = signed_in(&sandbox, &oidc).await;
    assert!(sandbox.is_access_token_active(tokens.access_token.expose()));
    let manager = oidc
        .pkce_tokens(&config(&sandbox), tokens.clone(), Duration::from_secs(60))
        .await
        .unwrap();
    let storage = Arc::new(MemoryStorage::default());
    manager.persist_to(storage.clone(), "tokens").unwrap();

    let outcome = oidc
        .sign_out(
            &config(&sandbox),
            &manager,
            SignOutParams {
                end_session: true,
                post_logout_redirect_uri: Some(OIDC_REDIRECT.into()),
                state: Some("bye-7".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(outcome.refresh_token, RevocationOutcome::Revoked);
    assert_eq!(outcome.access_token, RevocationOutcome::Revoked);
    assert_eq!(outcome.cleared, Ok(()));
    assert_eq!(sandbox.stats().revocation_requests, 2);
    assert!(!sandbox.is_access_token_active(tokens.access_token.expose()));
    assert!(storage.load("tokens").unwrap().is_none());
    assert!(manager.current().is_none());
    assert_eq!(
        manager.fresh_token().await.unwrap_err(),
        Error::InvalidGrant
    );
    // The refresh token is dead at the provider too.
    let again = oidc
        .pkce_tokens(&config(&sandbox), tokens.clone(), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        again.force_renewal().await.unwrap_err(),
        Error::InvalidGrant
    );

    let logout = outcome
        .end_session_url
        .clone()
        .expect("an end_session_endpoint");
    assert_eq!(
        query::value(&logout, "id_token_hint").as_deref(),
        tokens.id_token.as_ref().map(|t| t.expose())
    );
    let answer = plain_http().get(&logout).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let back = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with(OIDC_REDIRECT), "{back}");
    assert_eq!(query::value(&back, "state").as_deref(), Some("bye-7"));
    // Debug output of the outcome names no token (the logout URL carries the ID token).
    let debug = format!("{outcome:?}");
    assert!(
        debug.contains("session/end") || debug.contains("/logout"),
        "{debug}"
    );
    for secret in [
        tokens.access_token.expose(),
        tokens.refresh_token.as_ref().unwrap().expose(),
        tokens.id_token.as_ref().unwrap().expose(),
    ] {
        assert!(!debug.contains(secret), "{debug}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_revocation_still_signs_out_and_says_which_failed() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    let tokens = signed_in(&sandbox, &oidc).await;
    let manager = oidc
        .pkce_tokens(&config(&sandbox), tokens.clone(), Duration::from_secs(60))
        .await
        .unwrap();
    sandbox.inject_fault(Endpoint::Revocation, Fault::ServerError(503));
    let outcome = oidc
        .sign_out(&config(&sandbox), &manager, SignOutParams::default())
        .await
        .unwrap();
    assert!(
        matches!(
            &outcome.refresh_token,
            RevocationOutcome::Failed(Error::ServerError {
                endpoint: "token revocation",
                status: 503
            })
        ),
        "{outcome:?}"
    );
    assert_eq!(outcome.access_token, RevocationOutcome::Revoked);
    assert!(!outcome.fully_revoked());
    assert_eq!(outcome.end_session_url, None, "not asked for");
    assert!(manager.current().is_none(), "forgotten even so");
    // What failed can be retried by hand.
    oidc.revoke(
        &config(&sandbox),
        tokens.refresh_token.as_ref().unwrap(),
        TokenTypeHint::RefreshToken,
    )
    .await
    .expect("revoked on retry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_is_refused_for_another_clients_token_and_bad_arguments() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    let tokens = signed_in(&sandbox, &oidc).await;
    // The confidential client may not revoke the public client's token (RFC 7009 §2.1).
    let form = format!(
        "token={}&client_id={}&client_secret={}",
        tokens.access_token.expose(),
        sandbox.client_id(),
        sandbox.client_secret()
    );
    let answer = plain_http()
        .post(format!("{}/revoke", sandbox.issuer()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert!(sandbox.is_access_token_active(tokens.access_token.expose()));
    // Nothing is sent for an empty token.
    let before = sandbox.stats().revocation_requests;
    assert!(matches!(
        oidc.revoke(
            &config(&sandbox),
            &obauth::Secret::new(""),
            TokenTypeHint::AccessToken
        )
        .await,
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(sandbox.stats().revocation_requests, before);
    // A token nobody knows counts as revoked (RFC 7009 §2.2).
    oidc.revoke(
        &config(&sandbox),
        &obauth::Secret::new("never-issued"),
        TokenTypeHint::AccessToken,
    )
    .await
    .unwrap();
}
