//! The status long poll and scripted users: wake-up latency, timeouts, clamping, scripts,
//! shutdown.

mod common;

use std::time::{Duration, Instant};

use common::*;
use obauth_sandbox::{Outcome, Sandbox, SandboxConfig, SessionState, UserScript};
use serde_json::json;

/// GETs `path` with the partner headers on its own task (a concurrent poll); resolves to
/// the parsed answer.
fn spawn_poll(h: &Harness, path: &str) -> tokio::task::JoinHandle<serde_json::Value> {
    let request = h.authed(reqwest::Method::GET, path);
    tokio::spawn(async move {
        let resp = request.send().await.unwrap();
        parse(&resp.text().await.unwrap())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_poll_wakes_immediately_when_the_session_completes() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    let poll = {
        let (http, url) = (
            h.http.clone(),
            h.url(&format!("/v1/authentication/{id}/status?pollTimeout=10")),
        );
        let (cid, secret) = (
            h.sandbox.client_id().to_owned(),
            h.sandbox.client_secret().to_owned(),
        );
        tokio::spawn(async move {
            let resp = http
                .get(url)
                .header("X-Client-Id", cid)
                .header("X-Client-Secret", secret)
                .send()
                .await
                .unwrap();
            let answered = Instant::now();
            (answered, parse(&resp.text().await.unwrap()))
        })
    };
    // Let the poll arrive and park.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!poll.is_finished());
    let completed = Instant::now();
    assert!(h.sandbox.complete_session(&id, Outcome::Approve));
    let (answered, body) = poll.await.unwrap();
    let latency = answered.duration_since(completed);
    eprintln!("long-poll detection latency: {latency:?}");
    assert!(latency < Duration::from_millis(500), "{latency:?}");
    assert_eq!(body["state"], "Succeeded");
    assert!(body["code"].as_str().unwrap().ends_with('='));
}

#[tokio::test]
async fn long_poll_returns_in_progress_after_the_timeout() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    let t0 = Instant::now();
    let (status, body) = h.status(&id, Some(1)).await;
    let waited = t0.elapsed();
    assert_eq!((status, body), (200, json!({ "state": "InProgress" })));
    assert!(waited >= Duration::from_millis(990), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");

    // Without pollTimeout the answer is immediate.
    let t0 = Instant::now();
    assert_eq!(h.status(&id, None).await.1["state"], "InProgress");
    assert!(t0.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn poll_timeout_is_clamped_to_the_configured_maximum() {
    let h = start_with(SandboxConfig {
        max_poll_timeout: Duration::from_millis(300),
        ..SandboxConfig::default()
    })
    .await;
    let (id, _) = h.initialize("test-user-id").await;
    let t0 = Instant::now();
    assert_eq!(h.status(&id, Some(100)).await.1["state"], "InProgress");
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(290) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test]
async fn approve_after_script_succeeds_without_a_browser() {
    let h = start().await;
    h.sandbox.script_user(
        "scripted-user",
        UserScript::ApproveAfter(Duration::from_millis(300)),
    );
    let (id, _) = h.initialize("scripted-user").await;
    let t0 = Instant::now();
    let (status, body) = h.status(&id, Some(5)).await;
    let waited = t0.elapsed();
    assert_eq!(status, 200);
    assert_eq!(body["state"], "Succeeded", "{body}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    let info = h.sandbox.session(&id).unwrap();
    assert_eq!(
        info.succeeded_at.unwrap().duration_since(info.created_at),
        Duration::from_millis(300)
    );
    // The scripted code works like any other.
    let (status, _) = h.exchange(body["code"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(h.sandbox.stats().page_views, 0);

    // Other users keep the default script.
    let (other, _) = h.initialize("another-user").await;
    assert_eq!(h.status(&other, None).await.1["state"], "InProgress");
}

#[tokio::test]
async fn fail_cancel_and_not_applicable_scripts() {
    let h = start().await;
    let ms = Duration::from_millis(50);
    h.sandbox
        .script_user("user-fails", UserScript::FailAfter(ms));
    h.sandbox
        .script_user("user-cancels", UserScript::CancelAfter(ms));
    h.sandbox
        .script_user("user-not-applicable", UserScript::NotApplicableAfter(ms));
    for (user, state) in [
        ("user-fails", "Failed"),
        ("user-cancels", "Cancelled"),
        ("user-not-applicable", "NotApplicable"),
    ] {
        let (id, _) = h.initialize(user).await;
        assert_eq!(h.status(&id, Some(5)).await.1, json!({ "state": state }));
        assert_eq!(h.sandbox.session(&id).unwrap().succeeded_at, None);
    }
}

#[tokio::test]
async fn default_script_comes_from_the_config() {
    let h = start_with(SandboxConfig {
        default_script: UserScript::ApproveAfter(Duration::ZERO),
        ..SandboxConfig::default()
    })
    .await;
    let (id, _) = h.initialize("test-user-id").await;
    assert_eq!(h.status(&id, None).await.1["state"], "Succeeded");
    let sessions = h.sandbox.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].state, SessionState::Succeeded);
}

#[tokio::test]
async fn several_pollers_all_wake() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    let mut polls = Vec::new();
    for _ in 0..3 {
        polls.push(spawn_poll(
            &h,
            &format!("/v1/authentication/{id}/status?pollTimeout=10"),
        ));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let t0 = Instant::now();
    h.sandbox.complete_session(&id, Outcome::Cancel);
    for p in polls {
        assert_eq!(p.await.unwrap(), json!({ "state": "Cancelled" }));
    }
    assert!(t0.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn shutdown_answers_pending_long_polls_and_frees_the_port() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    let path = format!("/v1/authentication/{id}/status?pollTimeout=60");
    let url = h.url(&path);
    let poll = spawn_poll(&h, &path);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let t0 = Instant::now();
    let Harness { sandbox, http } = h;
    sandbox.shutdown().await;
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    assert_eq!(poll.await.unwrap(), json!({ "state": "InProgress" }));
    drop(http);
    assert!(client().get(&url).send().await.is_err());
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let url = format!("{}/_sandbox/stats", sandbox.base_url());
    let http = client();
    assert_eq!(http.get(&url).send().await.unwrap().status().as_u16(), 200);
    drop(sandbox);
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A fresh client, so no pooled connection is reused.
    assert!(client().get(&url).send().await.is_err());
}
