//! `GET /v1/accounts`: bearer auth with the session accessToken and its sliding expiry.

mod common;

use std::time::Duration;

use common::*;
use obauth_sandbox::{Outcome, SandboxConfig};
use reqwest::Method;
use reqwest::header::AUTHORIZATION;

/// Runs a full login and returns the session `accessToken`.
async fn access_token(h: &Harness) -> String {
    let (id, _) = h.initialize("test-user-id").await;
    assert!(h.sandbox.complete_session(&id, Outcome::Approve));
    let (status, v) = h.exchange(&h.code_of(&id).await).await;
    assert_eq!(status, 200);
    v["session"]["accessToken"].as_str().unwrap().to_owned()
}

/// Calls accounts; returns status, the `X-Access-Token-Expires` header and the body.
async fn accounts(h: &Harness, token: &str) -> (u16, Option<String>, String) {
    let resp = h
        .authed(Method::GET, "/v1/accounts")
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let expires = resp
        .headers()
        .get("X-Access-Token-Expires")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, expires, resp.text().await.unwrap())
}

#[tokio::test]
async fn accounts_lists_and_reports_expiry() {
    let h = start().await;
    let token = access_token(&h).await;
    let (status, expires, body) = accounts(&h, &token).await;
    assert_eq!(status, 200, "{body}");
    let v = parse(&body);
    let account = &v["accounts"][0];
    assert_eq!(account["name"], "Everyday account");
    assert_eq!(account["currency"], "DKK");
    assert_eq!(account["balance"], 1234.56);
    assert!(account["id"].is_string());
    // 2019-12-04T18:16:42.7870000Z
    let expires = expires.unwrap();
    assert_eq!(expires.len(), 28, "{expires}");
    assert!(
        expires.ends_with('Z') && &expires[19..20] == ".",
        "{expires}"
    );
    assert_eq!(h.sandbox.stats().accounts_requests, 1);
}

#[tokio::test]
async fn accounts_rejects_bad_tokens_and_missing_partner_headers() {
    let h = start().await;
    let token = access_token(&h).await;
    let (status, _, body) = accounts(&h, "mgAA-not-a-token").await;
    assert_eq!(
        (status, body.as_str()),
        (401, r#"{"error":"Unauthorized"}"#)
    );
    let resp = h.authed(Method::GET, "/v1/accounts").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let resp = h
        .http
        .get(h.url("/v1/accounts"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn access_token_expiry_slides_on_every_call() {
    let h = start_with(SandboxConfig {
        access_token_lifetime: Duration::from_millis(1000),
        ..SandboxConfig::default()
    })
    .await;
    let token = access_token(&h).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, first, _) = accounts(&h, &token).await;
    assert_eq!(status, 200);
    // 1.2 s after the exchange: past the original expiry, alive only because it slid.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, second, _) = accounts(&h, &token).await;
    assert_eq!(status, 200);
    // Same fixed-width format, so string order is time order.
    assert!(second.unwrap() > first.unwrap());
    // Idle for longer than the lifetime: expired.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, expires, _) = accounts(&h, &token).await;
    assert_eq!((status, expires), (401, None));
}
