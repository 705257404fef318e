//! Supervised login through the relay, over real HTTP against the sandbox: success by poll and
//! by code exchange, the derived userHash, session-handle binding, the code check before an
//! exchange, two instances, the provider's 401, the rate limit, bounds, and that no secret
//! reaches a response or a log line.

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use obauth_relay::{Limits, RateLimit, ServeOptions, derive_user_hash};
use obauth_sandbox::{Outcome, SessionState, UserScript};
use serde_json::json;

/// Plays the user on the hosted page: approves, and returns the redirect and its `code`.
async fn approve_on_page(h: &Harness, auth_url: &str) -> (String, String) {
    let location = h.approve(auth_url).await;
    let url = url::Url::parse(&location).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code on the redirect");
    (location, code)
}

#[tokio::test]
async fn success_by_poll_status_passes_through_and_code_is_exchanged_once() {
    let h = start().await;
    let user = h.user_hash("alice");
    h.sandbox
        .script_user(&user, UserScript::ApproveAfter(Duration::from_millis(200)));
    let device = Device::new(&h.http, &h.relay, "alice");
    let (handle, auth_url) = device.start_login().await;
    assert!(auth_url.starts_with(&h.sandbox.base_url()), "{auth_url}");
    let sid = provider_session(&h.sandbox, &user);
    assert_ne!(
        handle, sid,
        "the device gets a sealed handle, not the provider's id"
    );
    assert!(!handle.contains(&sid));

    let status = device.status(&handle, Some(5)).await;
    assert_eq!(status.status, 200, "{}", status.body);
    let v = status.json();
    assert_eq!(v["state"], "Succeeded");
    let code = v["code"].as_str().unwrap().to_owned();
    // Passed through unchanged: the provider's body, byte for byte.
    let direct = h
        .http
        .get(format!(
            "{}/v1/authentication/{sid}/status",
            h.sandbox.base_url()
        ))
        .header("X-Client-Id", h.sandbox.client_id())
        .header("X-Client-Secret", h.sandbox.client_secret())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status.body, direct);
    assert!(
        status
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(status.header("cache-control"), Some("no-store"));

    let tokens = device.exchange(&code, &handle).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let t = tokens.json();
    assert_eq!(t["success"], true);
    assert!(t["session"]["accessToken"].as_str().is_some());
    assert!(t["login"]["loginToken"].as_str().is_some());
    assert_eq!(h.sandbox.stats().successful_exchanges, 1);
    assert_eq!(h.sandbox.session(&sid).unwrap().exchanges, 1);
}

#[tokio::test]
async fn success_by_code_exchange_from_the_redirect() {
    let h = start().await;
    let device = Device::new(&h.http, &h.relay, "bob");
    let (handle, auth_url) = device.start_login().await;
    let (location, code) = approve_on_page(&h, &auth_url).await;
    assert!(location.starts_with(REDIRECT), "{location}");
    // The device never polled; the relay checks the code with the provider's status itself.
    let before = h.sandbox.stats().status_requests;
    let tokens = device.exchange(&code, &handle).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert_eq!(tokens.json()["success"], true);
    assert_eq!(h.sandbox.stats().status_requests, before + 1);
    assert_eq!(h.sandbox.stats().successful_exchanges, 1);
    // The same code again: confirmed by status (the sandbox keeps it there), refused by the
    // provider as already used, and that answer passes through.
    let again = device.exchange(&code, &handle).await;
    again.assert_error(400, "InvalidCode");
}

#[tokio::test]
async fn the_device_userhash_is_ignored_and_the_derived_one_is_64_hex() {
    let h = start().await;
    let device = Device::new(&h.http, &h.relay, "carol");
    let a = device
        .post(
            "/v1/authentication/initialize",
            &json!({ "redirectUrl": REDIRECT, "userHash": "someone-elses-hash" }),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let sessions = h.sandbox.sessions();
    assert_eq!(sessions.len(), 1);
    let seen = &sessions[0].user_hash;
    assert_eq!(*seen, derive_user_hash(RELAY_KEY.as_bytes(), "", "carol"));
    assert_eq!(*seen, h.user_hash("carol"));
    assert_eq!(seen.len(), 64);
    assert!(
        seen.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    // Another subject gets another hash; the same subject always the same.
    assert_ne!(h.user_hash("carol"), h.user_hash("carol2"));
}

#[tokio::test]
async fn redirect_urls_must_be_on_the_allowlist() {
    let h = start().await;
    let device = Device::new(&h.http, &h.relay, "dave");
    for bad in [
        "https://evil.example/aiia/callback",
        "https://app.example.com/aiia/callback/extra",
        "https://app.example.com/aiia-callback",
        "https://app.example.com/aiia-callback/../admin",
        "https://app.example.com/aiia-callback/x#frag",
        "http://app.example.com/aiia-callback/x",
    ] {
        let a = device.initialize(bad).await;
        assert_eq!(a.status, 400, "{bad}: {}", a.body);
        assert_eq!(a.body, r#"{"error":"RedirectUrlNotAllowed"}"#, "{bad}");
    }
    let missing = device
        .post("/v1/authentication/initialize", &json!({}))
        .await;
    missing.assert_error(400, "InvalidRequest");
    assert_eq!(h.sandbox.stats().initialize_requests, 0);
    // Exact and wildcard entries pass.
    for good in [
        REDIRECT,
        "https://app.example.com/aiia-callback/tenant-7?x=1",
    ] {
        let a = device.initialize(good).await;
        assert_eq!(a.status, 200, "{good}: {}", a.body);
    }
    assert_eq!(h.sandbox.stats().initialize_requests, 2);
}

#[tokio::test]
async fn another_users_handle_is_forbidden() {
    let h = start().await;
    let alice = Device::new(&h.http, &h.relay, "alice");
    let mallory = Device::new(&h.http, &h.relay, "mallory");
    let (handle, auth_url) = alice.start_login().await;
    let (_, code) = approve_on_page(&h, &auth_url).await;
    let status_before = h.sandbox.stats().status_requests;
    let a = mallory.status(&handle, None).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.body, r#"{"error":"Forbidden"}"#);
    let a = mallory.exchange(&code, &handle).await;
    assert_eq!(a.body, r#"{"error":"Forbidden"}"#);
    assert_eq!(h.sandbox.stats().status_requests, status_before);
    assert_eq!(h.sandbox.stats().token_requests, 0);
    // Alice still can.
    assert_eq!(alice.exchange(&code, &handle).await.status, 200);
}

#[tokio::test]
async fn forged_and_foreign_handles_are_forbidden() {
    let h = start().await;
    let device = Device::new(&h.http, &h.relay, "erin");
    let (handle, _) = device.start_login().await;
    let sid = provider_session(&h.sandbox, &h.user_hash("erin"));
    let mut raw = URL_SAFE_NO_PAD.decode(&handle).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 0x01;
    let tampered = URL_SAFE_NO_PAD.encode(&raw);
    // A handle sealed by a relay with another key.
    let other = start_relay(obauth_relay::RelayConfig {
        relay_key: obauth_relay::Secret::from("a-completely-different-relay-key-0123456789"),
        ..config(&h.sandbox)
    })
    .await;
    let (foreign, _) = Device::new(&h.http, &other, "erin").start_login().await;
    for bad in [
        tampered.as_str(),
        sid.as_str(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "not-a-handle",
        foreign.as_str(),
    ] {
        let a = device.status(bad, None).await;
        assert_eq!(a.status, 403, "{bad}: {}", a.body);
        assert_eq!(a.body, r#"{"error":"Forbidden"}"#);
    }
    assert_eq!(h.sandbox.stats().status_requests, 0);
    assert_eq!(device.status(&handle, None).await.status, 200);
}

#[tokio::test]
async fn an_expired_handle_is_forbidden() {
    let h = start_with(|c| c.limits.handle_ttl = Duration::from_secs(1)).await;
    let device = Device::new(&h.http, &h.relay, "frank");
    let (handle, _) = device.start_login().await;
    assert_eq!(device.status(&handle, None).await.status, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let a = device.status(&handle, None).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.body, r#"{"error":"Forbidden"}"#);
}

#[tokio::test]
async fn a_code_from_another_session_is_refused_and_never_exchanged() {
    let h = start().await;
    let device = Device::new(&h.http, &h.relay, "grace");
    let (handle_a, _) = device.start_login().await;
    let (handle_b, auth_b) = device.start_login().await;
    let (_, code_b) = approve_on_page(&h, &auth_b).await;
    // Session A still in progress, then also succeeded with its own code.
    let a = device.exchange(&code_b, &handle_a).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(a.body, r#"{"error":"Forbidden"}"#);
    let sid_a = h.sandbox.sessions()[0].session_id.clone();
    assert!(h.sandbox.complete_session(&sid_a, Outcome::Approve));
    let a = device.exchange(&code_b, &handle_a).await;
    assert_eq!(a.status, 403, "{}", a.body);
    // A made-up code too.
    let a = device.exchange("made-up-code", &handle_a).await;
    assert_eq!(a.status, 403);
    // The provider saw no exchange at all.
    assert_eq!(h.sandbox.stats().token_requests, 0);
    assert_eq!(h.sandbox.stats().successful_exchanges, 0);
    // The right pairing works.
    assert_eq!(device.exchange(&code_b, &handle_b).await.status, 200);
    assert_eq!(h.sandbox.stats().successful_exchanges, 1);
}

#[tokio::test]
async fn two_instances_with_the_same_key_serve_one_login_alternately() {
    let h = start().await;
    let second = start_relay(config(&h.sandbox)).await;
    let one = Device::new(&h.http, &h.relay, "heidi");
    let two = Device::new(&h.http, &second, "heidi");
    let user = h.user_hash("heidi");
    assert_eq!(user, second.relay.user_hash("", "heidi"));
    h.sandbox
        .script_user(&user, UserScript::ApproveAfter(Duration::from_millis(300)));
    let (handle, _) = one.start_login().await;
    let first = two.status(&handle, Some(0)).await;
    assert_eq!(first.json()["state"], "InProgress");
    let done = one.status(&handle, Some(5)).await;
    assert_eq!(done.json()["state"], "Succeeded");
    let code = done.json()["code"].as_str().unwrap().to_owned();
    let tokens = two.exchange(&code, &handle).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert_eq!(h.sandbox.stats().successful_exchanges, 1);
}

#[tokio::test]
async fn the_providers_401_becomes_502_upstream_unauthorized_with_an_error_log_line() {
    let h = start_with(|c| {
        c.credentials.client_secret = obauth_relay::Secret::from("wrong-partner-secret");
    })
    .await;
    let device = Device::new(&h.http, &h.relay, "ivan");
    let a = device.initialize(REDIRECT).await;
    assert_eq!(a.status, 502);
    assert_eq!(a.body, r#"{"error":"UpstreamUnauthorized"}"#);
    assert_eq!(h.sandbox.stats().initialize_requests, 1);
    assert!(
        logs().iter().any(|l| l.starts_with("ERROR")
            && l.contains("refused the partner credentials")
            && l.contains("initialize")),
        "{:#?}",
        logs()
    );
    assert!(!logs().iter().any(|l| l.contains("wrong-partner-secret")));
}

#[tokio::test]
async fn other_provider_answers_pass_through_and_no_answer_is_a_502() {
    use obauth_sandbox::{Endpoint, Fault};
    let h = start().await;
    let device = Device::new(&h.http, &h.relay, "judy");
    h.sandbox
        .inject_fault(Endpoint::Initialize, Fault::ServerError(503));
    let a = device.initialize(REDIRECT).await;
    assert_eq!(a.status, 503, "{}", a.body);
    h.sandbox.inject_fault(
        Endpoint::Initialize,
        Fault::TooManyRequests {
            retry_after_secs: 7,
        },
    );
    let a = device.initialize(REDIRECT).await;
    assert_eq!(a.status, 429, "{}", a.body);
    assert_eq!(a.header("retry-after"), Some("7"));
    h.sandbox
        .inject_fault(Endpoint::Initialize, Fault::MalformedJson);
    device
        .initialize(REDIRECT)
        .await
        .assert_error(502, "BadUpstreamAnswer");
    h.sandbox
        .inject_fault(Endpoint::Initialize, Fault::DropConnection);
    device
        .initialize(REDIRECT)
        .await
        .assert_error(502, "UpstreamUnavailable");
    // A status error passes through too (here: the provider's 404 for an unknown session is
    // not reachable, as handles only name real sessions; a 500 is).
    let (handle, _) = device.start_login().await;
    h.sandbox
        .inject_fault(Endpoint::Status, Fault::ServerError(500));
    assert_eq!(device.status(&handle, None).await.status, 500);
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after_per_subject() {
    let h = start_with(|c| {
        c.limits.rate_limit = Some(RateLimit {
            burst: 3,
            per_minute: 6,
        })
    })
    .await;
    let device = Device::new(&h.http, &h.relay, "kim");
    for _ in 0..3 {
        assert_eq!(device.get("/v1/authentication/x/status").await.status, 403);
    }
    let limited = device.get("/v1/authentication/x/status").await;
    limited.assert_error(429, "TooManyRequests");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    // Another subject has its own bucket; unauthenticated requests are not counted.
    let other = Device::new(&h.http, &h.relay, "lee");
    assert_eq!(other.get("/v1/authentication/x/status").await.status, 403);
}

#[tokio::test]
async fn poll_timeout_is_capped_and_other_query_parameters_are_dropped() {
    let h = start_with(|c| c.limits.max_poll_timeout = Duration::from_secs(1)).await;
    let user = h.user_hash("mia");
    h.sandbox.script_user(&user, UserScript::NeverFinish);
    let device = Device::new(&h.http, &h.relay, "mia");
    let (handle, _) = device.start_login().await;
    let started = Instant::now();
    let a = device.status(&handle, Some(100)).await;
    let took = started.elapsed();
    assert_eq!(a.json()["state"], "InProgress");
    assert!(took >= Duration::from_millis(900), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let bad = device
        .get(&format!(
            "/v1/authentication/{handle}/status?pollTimeout=-1"
        ))
        .await;
    bad.assert_error(400, "InvalidRequest");
    let fine = device
        .get(&format!(
            "/v1/authentication/{handle}/status?pollTimeout=0&x=1"
        ))
        .await;
    assert_eq!(fine.status, 200);
}

#[tokio::test]
async fn bodies_are_bounded_and_must_be_json_objects() {
    let h = start().await;
    let device = Device::new(&h.http, &h.relay, "nina");
    let big = json!({ "redirectUrl": REDIRECT, "pad": "x".repeat(32 * 1024) });
    let a = device.post("/v1/authentication/initialize", &big).await;
    a.assert_error(413, "PayloadTooLarge");
    let a = device
        .post("/v1/authentication/initialize", &json!([1]))
        .await;
    a.assert_error(400, "InvalidRequest");
    let a = device
        .post("/v1/authentication/tokens", &json!({ "code": "x" }))
        .await;
    a.assert_error(400, "InvalidRequest");
    assert_eq!(h.sandbox.stats().initialize_requests, 0);
}

#[tokio::test]
async fn healthz_needs_no_token_and_unknown_paths_are_404() {
    let h = start().await;
    let anonymous = Device {
        http: &h.http,
        base: &h.relay.base,
        token: None,
    };
    let a = anonymous.get("/healthz").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["status"], "ok");
    anonymous
        .get("/v1/accounts")
        .await
        .assert_error(404, "NotFound");
}

#[tokio::test]
async fn no_secret_code_or_token_in_any_response_or_log_line() {
    let h = start().await;
    let device = Device::new(&h.http, &h.relay, "olivia");
    let app_token = device.token.clone().unwrap();
    let mut bodies = Vec::new();
    let (handle, auth_url) = device.start_login().await;
    let (_, code) = approve_on_page(&h, &auth_url).await;
    let answers = [
        device.status(&handle, Some(1)).await,
        device.exchange("wrong-code", &handle).await,
        device.exchange(&code, &handle).await,
        device.initialize("https://evil.example/").await,
        Device {
            token: Some("garbage".into()),
            ..Device::new(&h.http, &h.relay, "x")
        }
        .get("/v1/authentication/x/status")
        .await,
    ];
    let tokens = answers[2].json();
    let access = tokens["session"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let login = tokens["login"]["loginToken"].as_str().unwrap().to_owned();
    for a in &answers {
        bodies.push(format!("{:?} {}", a.headers, a.body));
    }
    for text in &bodies {
        assert!(!text.contains(PARTNER_SECRET), "{text}");
        assert!(!text.contains(RELAY_KEY), "{text}");
    }
    // Give the access log its last line, then scan every line of every test in this binary.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let lines = logs();
    assert!(lines.iter().any(|l| l.contains("obauth_relay::access")));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("/v1/authentication/{handle}/status 200"))
    );
    for line in &lines {
        for secret in [
            PARTNER_SECRET,
            RELAY_KEY,
            APP_SECRET,
            &app_token,
            &code,
            &access,
            &login,
            &handle,
        ] {
            assert!(!line.contains(secret), "{line}");
        }
    }
}

#[tokio::test]
async fn graceful_shutdown_finishes_an_in_flight_long_poll() {
    let sandbox = sandbox().await;
    let http = client();
    let relay = start_relay_with(
        config(&sandbox),
        ServeOptions {
            grace: Duration::from_secs(5),
            ..ServeOptions::default()
        },
    )
    .await;
    let device = Device::new(&http, &relay, "pat");
    let user = relay.relay.user_hash("", "pat");
    sandbox.script_user(&user, UserScript::ApproveAfter(Duration::from_millis(700)));
    let (handle, _) = device.start_login().await;
    let base = relay.base.clone();
    let poll = {
        let http = http.clone();
        let token = device.token.clone().unwrap();
        let url = format!("{base}/v1/authentication/{handle}/status?pollTimeout=5");
        tokio::spawn(async move {
            Answer::of(http.get(url).bearer_auth(token).send().await.unwrap()).await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    relay.shutdown().await;
    let a = poll.await.unwrap();
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["state"], "Succeeded");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The listener is closed.
    assert!(http.get(format!("{base}/healthz")).send().await.is_err());
    assert_eq!(
        sandbox.sessions()[0].state,
        SessionState::Succeeded,
        "the sandbox finished the session"
    );
}

#[tokio::test]
async fn limits_defaults_are_sane() {
    let l = Limits::default();
    assert!(l.max_poll_timeout >= Duration::from_secs(10));
    assert!(l.request_deadline() > l.max_poll_timeout + l.upstream_timeout);
    assert!(l.rate_limit.is_some());
}
