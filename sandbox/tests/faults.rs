//! Every fault kind over real HTTP, and the rules around them: FIFO per endpoint, applied before
//! auth, faulted requests are counted but not processed.

mod common;

use std::time::{Duration, Instant};

use common::*;
use obauth_sandbox::{Endpoint, Fault, Outcome};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::json;

#[tokio::test]
async fn server_error_answers_the_status_and_skips_processing() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    h.sandbox.complete_session(&id, Outcome::Approve);
    let code = h.code_of(&id).await;

    h.sandbox
        .inject_fault(Endpoint::Tokens, Fault::ServerError(503));
    let (status, v) = h.exchange(&code).await;
    assert_eq!(status, 503);
    assert!(v["error"].is_string(), "{v}");
    // The code was not consumed by the faulted request.
    assert_eq!(h.sandbox.session(&id).unwrap().exchanges, 0);
    assert_eq!(h.exchange(&code).await.0, 200);
    let stats = h.sandbox.stats();
    assert_eq!((stats.token_requests, stats.successful_exchanges), (2, 1));
}

#[tokio::test]
async fn faults_come_before_auth_and_are_fifo_per_endpoint() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    h.sandbox
        .inject_faults(Endpoint::Status, Fault::ServerError(502), 2);
    h.sandbox
        .inject_fault(Endpoint::Status, Fault::ServerError(500));

    // Wrong credentials, but the fault wins.
    let resp = h
        .http
        .get(h.url(&format!("/v1/authentication/{id}/status")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(h.status(&id, None).await.0, 502);
    assert_eq!(h.status(&id, None).await.0, 500);
    assert_eq!(h.status(&id, None).await.0, 200);
    // Other endpoints were untouched throughout.
    assert_eq!(h.sandbox.stats().status_requests, 4);

    h.sandbox
        .inject_faults(Endpoint::Status, Fault::ServerError(503), 5);
    h.sandbox.clear_faults();
    assert_eq!(h.status(&id, None).await.0, 200);
}

#[tokio::test]
async fn too_many_requests_sets_retry_after() {
    let h = start().await;
    h.sandbox.inject_fault(
        Endpoint::Initialize,
        Fault::TooManyRequests {
            retry_after_secs: 7,
        },
    );
    let resp = h
        .authed(Method::POST, "/v1/authentication/initialize")
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "userHash": "test-user-id", "redirectUrl": REDIRECT }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()[RETRY_AFTER], "7");
    assert_eq!(
        parse(&resp.text().await.unwrap())["error"],
        "TooManyRequests"
    );
    assert!(h.sandbox.sessions().is_empty());
    h.initialize("test-user-id").await;
    assert_eq!(h.sandbox.sessions().len(), 1);
}

#[tokio::test]
async fn delay_sleeps_then_processes() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    h.sandbox
        .inject_fault(Endpoint::Status, Fault::Delay(Duration::from_millis(300)));
    let t0 = Instant::now();
    let (status, body) = h.status(&id, None).await;
    let waited = t0.elapsed();
    assert_eq!((status, body), (200, json!({ "state": "InProgress" })));
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}

#[tokio::test]
async fn malformed_json_is_a_200_with_an_invalid_body() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    h.sandbox
        .inject_fault(Endpoint::Status, Fault::MalformedJson);
    let resp = h
        .authed(Method::GET, &format!("/v1/authentication/{id}/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let text = resp.text().await.unwrap();
    assert!(!text.is_empty());
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "{text}"
    );

    h.sandbox
        .inject_fault(Endpoint::Initialize, Fault::MalformedJson);
    let (status, text) = h
        .post_json(
            "/v1/authentication/initialize",
            &json!({ "userHash": "test-user-id", "redirectUrl": REDIRECT }),
        )
        .await;
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
    // Not processed: only the first session exists.
    assert_eq!(h.sandbox.sessions().len(), 1);
}

#[tokio::test]
async fn drop_connection_closes_without_a_response() {
    let h = start().await;
    h.sandbox
        .inject_fault(Endpoint::Initialize, Fault::DropConnection);
    let result = h
        .authed(Method::POST, "/v1/authentication/initialize")
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "userHash": "test-user-id", "redirectUrl": REDIRECT }).to_string())
        .send()
        .await;
    let err = result.expect_err("the connection must be dropped");
    assert!(!err.is_status(), "{err:?}");
    assert!(err.status().is_none());
    assert!(
        h.sandbox.sessions().is_empty(),
        "request must not be processed"
    );
    assert_eq!(h.sandbox.stats().initialize_requests, 1, "no silent retry");

    // The same client works again afterwards.
    h.initialize("test-user-id").await;
    assert_eq!(h.sandbox.stats().initialize_requests, 2);
}

#[tokio::test]
async fn drop_connection_on_a_kept_alive_connection_and_on_the_page() {
    let h = start().await;
    let (id, auth_url) = h.initialize("test-user-id").await;
    // The client now has a pooled keep-alive connection; the fault must still surface.
    h.sandbox
        .inject_fault(Endpoint::Status, Fault::DropConnection);
    let err = h
        .authed(Method::GET, &format!("/v1/authentication/{id}/status"))
        .send()
        .await
        .expect_err("dropped");
    assert!(!err.is_status());
    assert_eq!(h.status(&id, None).await.0, 200);

    h.sandbox
        .inject_fault(Endpoint::AuthPage, Fault::DropConnection);
    assert!(h.http.get(&auth_url).send().await.is_err());
    assert_eq!(
        h.http
            .get(&auth_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    assert_eq!(h.sandbox.stats().page_views, 2);
}

#[tokio::test]
async fn accounts_and_decision_endpoints_are_injectable() {
    let h = start().await;
    h.sandbox
        .inject_fault(Endpoint::Accounts, Fault::ServerError(504));
    assert_eq!(
        h.authed(Method::GET, "/v1/accounts")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        504
    );
    let (id, auth_url) = h.initialize("test-user-id").await;
    h.sandbox
        .inject_fault(Endpoint::AuthDecision, Fault::ServerError(500));
    let (status, _, _) = h.decide(&start_token_of(&auth_url), "approve").await;
    assert_eq!(status, 500);
    assert_eq!(h.status(&id, None).await.1["state"], "InProgress");
    let (status, _, _) = h.decide(&start_token_of(&auth_url), "approve").await;
    assert_eq!(status, 302);
}

#[tokio::test]
async fn drop_connection_writes_not_a_single_byte() {
    use std::io::{Read, Write};

    let h = start().await;
    h.sandbox
        .inject_fault(Endpoint::Initialize, Fault::DropConnection);
    let addr = format!("127.0.0.1:{}", h.sandbox.port());
    let received = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let body = r#"{"userHash":"test-user-id","redirectUrl":"https://app.example/cb"}"#;
        write!(
            stream,
            "POST /v1/authentication/initialize HTTP/1.1\r\nHost: sandbox\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut buf = Vec::new();
        // EOF (Ok) or a reset (Err) are both fine; a timeout or any byte is not.
        match stream.read_to_end(&mut buf) {
            Ok(_) => buf,
            Err(e) => {
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
                buf
            }
        }
    })
    .await
    .unwrap();
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    assert!(h.sandbox.sessions().is_empty());
}
