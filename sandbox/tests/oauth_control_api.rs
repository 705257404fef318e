//! The `/_sandbox` control API for the OAuth flows: new endpoint names for faults, consent
//! scripts, refresh-token revocation, the token-request log and the new counters.

mod common;

use common::oauth::*;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn faults_accept_the_new_endpoint_names() {
    let h = start().await;
    for name in [
        "oauth_connect",
        "oauth_consent",
        "oauth_decision",
        "oauth_token",
        "discovery",
        "jwks",
        "oidc_authorize",
        "oidc_decision",
        "oidc_token",
        "userinfo",
        "connect_token",
        "oidcToken",
    ] {
        let (status, v) = h
            .control(
                Method::POST,
                "/_sandbox/faults",
                Some(json!({ "endpoint": name, "fault": "server_error", "status": 503 })),
            )
            .await;
        assert_eq!(status, 200, "{name}: {v}");
    }
    let (_, stats) = h.control(Method::GET, "/_sandbox/stats", None).await;
    assert_eq!(stats["pendingFaults"]["oidc_token"], 3);
    assert_eq!(stats["pendingFaults"]["discovery"], 1);
    assert_eq!(
        h.get("/oidc/.well-known/openid-configuration").await.status,
        503
    );
    assert_eq!(
        h.get("/oidc/.well-known/openid-configuration").await.status,
        200
    );
    let (_, stats) = h.control(Method::GET, "/_sandbox/stats", None).await;
    assert_eq!(stats["discoveryRequests"], 2);
    assert!(stats["pendingFaults"].get("discovery").is_none());
}

#[tokio::test]
async fn consent_script_revocation_and_token_log_over_http() {
    let h = start().await;
    let (status, _) = h
        .control(
            Method::POST,
            "/_sandbox/oauth/consent",
            Some(json!({ "script": "approve" })),
        )
        .await;
    assert_eq!(status, 200);
    let start = h.connect(&h.connect_params(AIIA_REDIRECT, "x")).await;
    let page = Answer::of(h.http.get(start.location()).send().await.unwrap()).await;
    assert_eq!(page.status, 302);
    let code = query_value(page.location(), "code").unwrap();
    assert_eq!(h.aiia_exchange(&code, AIIA_REDIRECT).await.status, 200);
    let a = h
        .form_token(
            "/connect/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", h.sandbox.client_id()),
                ("client_secret", h.sandbox.client_secret()),
            ],
        )
        .await;
    assert_eq!(a.status, 200);

    let (status, v) = h
        .control(Method::GET, "/_sandbox/oauth/token-requests", None)
        .await;
    assert_eq!(status, 200);
    let list = v["requests"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["endpoint"], "oauth_token");
    assert_eq!(list[0]["authMethod"], "client_secret_basic");
    assert_eq!(list[0]["grantType"], "authorization_code");
    assert_eq!(list[1]["path"], "/connect/token");
    assert_eq!(list[1]["authMethod"], "client_secret_post");
    assert_eq!(list[1]["status"], 200);
    assert_eq!(list[1]["error"], Value::Null);

    let (_, v) = h
        .control(Method::POST, "/_sandbox/oauth/revoke-refresh-tokens", None)
        .await;
    assert_eq!(v["revoked"], 1);
    let (_, v) = h
        .control(Method::POST, "/_sandbox/oauth/revoke-refresh-tokens", None)
        .await;
    assert_eq!(v["revoked"], 0);

    let (_, stats) = h.control(Method::GET, "/_sandbox/stats", None).await;
    assert_eq!(stats["oauthConnectRequests"], 1);
    assert_eq!(stats["oauthConsentPageViews"], 1);
    assert_eq!(stats["oauthTokenRequests"], 1);
    assert_eq!(stats["oauthCodeExchanges"], 1);
    assert_eq!(stats["oidcTokenRequests"], 1);
    assert_eq!(stats["clientCredentialsGrants"], 1);
    assert_eq!(stats["clientSecretBasicRequests"], 1);
    assert_eq!(stats["clientSecretPostRequests"], 1);

    for bad in [json!({ "script": "sometimes" }), json!({})] {
        let (status, _) = h
            .control(Method::POST, "/_sandbox/oauth/consent", Some(bad))
            .await;
        assert_eq!(status, 400);
    }
    let (status, _) = h
        .control(
            Method::POST,
            "/_sandbox/oauth/consent",
            Some(json!({ "script": "page" })),
        )
        .await;
    assert_eq!(status, 200);
    let start = h.connect(&h.connect_params(AIIA_REDIRECT, "x")).await;
    let page = Answer::of(h.http.get(start.location()).send().await.unwrap()).await;
    assert_eq!(page.status, 200);
}
