//! The `/_sandbox` control API used by non-Rust test drivers.

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn script_over_http() {
    let h = start().await;
    let (status, _) = h
        .control(
            Method::POST,
            "/_sandbox/script",
            Some(json!({ "userHash": "remote-user", "script": "approve", "delayMs": 100 })),
        )
        .await;
    assert_eq!(status, 200);
    let (id, _) = h.initialize("remote-user").await;
    let (_, body) = h.status(&id, Some(5)).await;
    assert_eq!(body["state"], "Succeeded");

    h.control(
        Method::POST,
        "/_sandbox/script",
        Some(json!({ "userHash": "remote-user", "script": "never" })),
    )
    .await;
    let (id, _) = h.initialize("remote-user").await;
    assert!(
        !h.sandbox
            .complete_session(&id, obauth_sandbox::Outcome::Approve)
    );

    for bad in [
        json!({ "userHash": "remote-user", "script": "sometimes" }),
        json!({ "script": "approve" }),
        json!({ "userHash": "remote-user", "script": "approve", "delayMs": -5 }),
    ] {
        let (status, v) = h.control(Method::POST, "/_sandbox/script", Some(bad)).await;
        assert_eq!(status, 400);
        assert_eq!(v["error"], "InvalidRequest");
    }
}

#[tokio::test]
async fn faults_and_stats_over_http() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    let (status, _) = h
        .control(
            Method::POST,
            "/_sandbox/faults",
            Some(
                json!({ "endpoint": "status", "fault": "server_error", "status": 503, "times": 2 }),
            ),
        )
        .await;
    assert_eq!(status, 200);
    h.control(
        Method::POST,
        "/_sandbox/faults",
        Some(json!({ "endpoint": "status", "fault": "too_many_requests", "retryAfterSecs": 3 })),
    )
    .await;
    let (_, stats) = h.control(Method::GET, "/_sandbox/stats", None).await;
    assert_eq!(stats["pendingFaults"], json!({ "status": 3 }));

    assert_eq!(h.status(&id, None).await.0, 503);
    assert_eq!(h.status(&id, None).await.0, 503);
    assert_eq!(h.status(&id, None).await.0, 429);
    assert_eq!(h.status(&id, None).await.0, 200);

    for (fault, extra) in [
        ("delay", json!({ "delayMs": 10 })),
        ("malformed_json", json!({})),
        ("drop_connection", json!({})),
    ] {
        let mut body = json!({ "endpoint": "tokens", "fault": fault });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        assert_eq!(
            h.control(Method::POST, "/_sandbox/faults", Some(body))
                .await
                .0,
            200
        );
    }
    let (_, stats) = h.control(Method::GET, "/_sandbox/stats", None).await;
    assert_eq!(stats["pendingFaults"], json!({ "tokens": 3 }));
    let (status, _) = h.control(Method::DELETE, "/_sandbox/faults", None).await;
    assert_eq!(status, 200);

    let (_, stats) = h.control(Method::GET, "/_sandbox/stats", None).await;
    assert_eq!(stats["statusRequests"], 4);
    assert_eq!(stats["initializeRequests"], 1);
    assert_eq!(stats["successfulExchanges"], 0);
    assert_eq!(stats["pendingFaults"], json!({}));

    for bad in [
        json!({ "endpoint": "nowhere", "fault": "server_error" }),
        json!({ "endpoint": "status", "fault": "gremlins" }),
        json!({ "endpoint": "status", "fault": "delay" }),
        json!({ "endpoint": "status", "fault": "server_error", "status": 70000 }),
    ] {
        let (status, v) = h.control(Method::POST, "/_sandbox/faults", Some(bad)).await;
        assert_eq!(status, 400, "{v}");
    }
    // Garbage bodies are 400s, not panics.
    let resp = h
        .http
        .post(h.url("/_sandbox/faults"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
}

#[tokio::test]
async fn sessions_and_complete_over_http() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    let (status, v) = h.control(Method::GET, "/_sandbox/sessions", None).await;
    assert_eq!(status, 200);
    assert_eq!(v["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(v["sessions"][0]["sessionId"], id.as_str());
    assert_eq!(v["sessions"][0]["state"], "InProgress");
    assert_eq!(v["sessions"][0]["succeededAt"], Value::Null);

    let path = format!("/_sandbox/sessions/{id}/complete");
    let (status, v) = h
        .control(Method::POST, &path, Some(json!({ "outcome": "approve" })))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["state"], "Succeeded");
    let (status, _) = h
        .control(Method::POST, &path, Some(json!({ "outcome": "cancel" })))
        .await;
    assert_eq!(status, 409);
    let (status, _) = h
        .control(
            Method::POST,
            "/_sandbox/sessions/unknown/complete",
            Some(json!({ "outcome": "approve" })),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = h
        .control(Method::POST, &path, Some(json!({ "outcome": "perhaps" })))
        .await;
    assert_eq!(status, 400);

    let code = h.code_of(&id).await;
    assert_eq!(h.exchange(&code).await.0, 200);
    let (_, v) = h.control(Method::GET, "/_sandbox/sessions", None).await;
    assert_eq!(v["sessions"][0]["exchanges"], 1);
    assert!(
        v["sessions"][0]["succeededAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
}

#[tokio::test]
async fn control_endpoints_ignore_faults_and_need_no_auth() {
    let h = start().await;
    h.sandbox.inject_faults(
        obauth_sandbox::Endpoint::Status,
        obauth_sandbox::Fault::Delay(Duration::from_secs(30)),
        3,
    );
    let (status, _) = h.control(Method::GET, "/_sandbox/stats", None).await;
    assert_eq!(status, 200);
    let (status, _) = h.control(Method::GET, "/_sandbox/sessions", None).await;
    assert_eq!(status, 200);
    let (_, stats) = h.control(Method::GET, "/_sandbox/stats", None).await;
    assert_eq!(stats["pendingFaults"], json!({ "status": 3 }));
}
