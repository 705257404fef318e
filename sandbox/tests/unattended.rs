//! `POST /v1/authentication/unattended` over HTTP, the provider's detailed error bodies and
//! `X-Correlation-Id` (checked, echoed, recorded).

mod common;

use std::time::Duration;

use common::*;
use obauth_sandbox::{Endpoint, Fault, Outcome};
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

/// A supervised login for `user`, exchanged: the tokens answer.
async fn logged_in(h: &Harness, user: &str) -> Value {
    let (session_id, _) = h.initialize(user).await;
    assert!(h.sandbox.complete_session(&session_id, Outcome::Approve));
    let code = h.code_of(&session_id).await;
    let (status, body) = h.exchange(&code).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn unattended(h: &Harness, user: &str, login_token: &str) -> (u16, Value) {
    let (status, body) = h
        .post_json(
            "/v1/authentication/unattended",
            &json!({ "userHash": user, "loginToken": login_token }),
        )
        .await;
    (status, parse(&body))
}

fn login_token(tokens: &Value) -> &str {
    tokens["login"]["loginToken"].as_str().unwrap()
}

#[tokio::test]
async fn an_unattended_login_answers_like_tokens_and_replaces_the_login_token() {
    let h = start().await;
    let first = logged_in(&h, "unattended-user").await;
    assert_eq!(first["login"]["supportsUnattended"], true);

    let (status, second) = unattended(&h, "unattended-user", login_token(&first)).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["success"], true);
    assert_eq!(second["providerId"], "DemoBank");
    assert!(second["session"]["accessToken"].as_str().unwrap().len() > 20);
    assert_ne!(login_token(&second), login_token(&first));
    assert_eq!(second["login"]["subjectId"], first["login"]["subjectId"]);
    // The new session works on the session API.
    let resp = h
        .authed(reqwest::Method::GET, "/v1/accounts")
        .bearer_auth(second["session"]["accessToken"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    // The old login token is spent; another user's token is refused the same way.
    let (status, body) = unattended(&h, "unattended-user", login_token(&first)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "InvalidLoginToken");
    assert!(body["details"]["reason"].is_string());
    let (status, body) = unattended(&h, "someone-else-1", login_token(&second)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("InvalidLoginToken"))
    );
    let stats = h.sandbox.stats();
    assert_eq!((stats.unattended_requests, stats.unattended_logins), (3, 1));
}

#[tokio::test]
async fn expired_tokens_and_banks_without_unattended_logins_are_refused() {
    let h = start().await;
    h.sandbox.set_unattended_support("no-unattended", false);
    let tokens = logged_in(&h, "no-unattended").await;
    assert_eq!(tokens["login"]["supportsUnattended"], false);
    let (status, body) = unattended(&h, "no-unattended", login_token(&tokens)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("UnattendedNotSupported"))
    );

    let tokens = logged_in(&h, "expiring-user").await;
    assert_eq!(h.sandbox.expire_login_tokens(), 2);
    let (status, body) = unattended(&h, "expiring-user", login_token(&tokens)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("LoginTokenExpired"))
    );

    // The control API does the same for non-Rust tests.
    let (status, _) = h
        .control(
            reqwest::Method::POST,
            "/_sandbox/unattended",
            Some(json!({ "userHash": "other-user", "supported": false })),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = h
        .control(reqwest::Method::POST, "/_sandbox/login-tokens/expire", None)
        .await;
    assert_eq!((status, body["expired"].as_u64()), (200, Some(2)));
    let (_, stats) = h
        .control(reqwest::Method::GET, "/_sandbox/stats", None)
        .await;
    assert_eq!(stats["unattendedRequests"], 2);
    assert_eq!(stats["unattendedLogins"], 0);
}

#[tokio::test]
async fn malformed_input_gets_the_providers_field_errors_and_partner_auth_is_required() {
    let h = start().await;
    let (status, body) = unattended(&h, "bad hash", "").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "InvalidInput");
    let fields = body["details"]["validationErrors"].as_object().unwrap();
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["LoginToken", "UserHash"]);
    assert!(fields["LoginToken"][0].is_string());

    let resp = h
        .http
        .post(h.url("/v1/authentication/unattended"))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "userHash": "some-user-1", "loginToken": "x" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn faults_apply_to_the_unattended_endpoint() {
    let h = start().await;
    let tokens = logged_in(&h, "faulty-user-1").await;
    h.sandbox
        .inject_fault(Endpoint::Unattended, Fault::ServerError(503));
    let (status, _) = unattended(&h, "faulty-user-1", login_token(&tokens)).await;
    assert_eq!(status, 503);
    // The fault answered before processing: the login token still works.
    h.sandbox.inject_fault(
        Endpoint::Unattended,
        Fault::Delay(Duration::from_millis(50)),
    );
    let (status, _) = unattended(&h, "faulty-user-1", login_token(&tokens)).await;
    assert_eq!(status, 200);
    assert_eq!(
        "unattended".parse::<Endpoint>().unwrap(),
        Endpoint::Unattended
    );
}

#[tokio::test]
async fn correlation_ids_are_checked_echoed_and_recorded() {
    let h = start().await;
    let send = |id: &'static str| {
        h.authed(reqwest::Method::POST, "/v1/authentication/initialize")
            .header(CONTENT_TYPE, "application/json")
            .header("X-Correlation-Id", id)
            .body(json!({ "userHash": "corr-user-1", "redirectUrl": REDIRECT }).to_string())
            .send()
    };
    let resp = send("|flow-1.").await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["x-correlation-id"], "|flow-1.");

    let resp = send("|Not Valid.").await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.headers().get("x-correlation-id").is_none());
    let body = parse(&resp.text().await.unwrap());
    assert_eq!(body["error"], "InvalidInput");
    assert!(body["details"]["validationErrors"]["X-Correlation-Id"][0].is_string());

    // Echoed on a faulted answer too.
    h.sandbox
        .inject_fault(Endpoint::Initialize, Fault::ServerError(500));
    let resp = send("|flow-2.").await.unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(resp.headers()["x-correlation-id"], "|flow-2.");

    let (status, _) = h.initialize("corr-user-1").await;
    let _ = status;
    let log: Vec<(&str, Option<String>)> = h
        .sandbox
        .correlation_log()
        .into_iter()
        .map(|r| (r.endpoint, r.correlation_id))
        .collect();
    assert_eq!(
        log,
        [
            ("initialize", Some("|flow-1.".to_owned())),
            ("initialize", None),
            ("initialize", Some("|flow-2.".to_owned())),
            ("initialize", None),
        ]
    );
    let (_, body) = h
        .control(reqwest::Method::GET, "/_sandbox/correlation", None)
        .await;
    assert_eq!(body["requests"][0]["correlationId"], "|flow-1.");
    assert_eq!(body["requests"][1]["correlationId"], Value::Null);
}
