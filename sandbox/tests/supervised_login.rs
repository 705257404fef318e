//! The supervised-login API over real HTTP: partner auth, input validation, the hosted page and
//! its redirects, the tokens response and code single-use/expiry.

mod common;

use std::time::Duration;

use common::*;
use obauth_sandbox::{Outcome, SandboxConfig, SessionState, UserScript};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::json;

#[tokio::test]
async fn wrong_or_missing_partner_credentials_get_the_documented_401() {
    let h = start().await;
    let body = json!({ "userHash": "test-user-id", "redirectUrl": REDIRECT }).to_string();
    let wrong = h
        .http
        .post(h.url("/v1/authentication/initialize"))
        .header("X-Client-Id", h.sandbox.client_id())
        .header("X-Client-Secret", "not-the-secret")
        .header(CONTENT_TYPE, "application/json")
        .body(body.clone());
    let missing = h
        .http
        .post(h.url("/v1/authentication/initialize"))
        .header(CONTENT_TYPE, "application/json")
        .body(body.clone());
    for req in [wrong, missing] {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 401);
        let ct = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(ct.starts_with("application/json"), "{ct}");
        assert_eq!(resp.text().await.unwrap(), r#"{"error":"Unauthorized"}"#);
    }
    // Header names are case-insensitive (the seed spells it both X-Client-ID and X-Client-Id).
    let resp = h
        .http
        .post(h.url("/v1/authentication/initialize"))
        .header("x-client-id", h.sandbox.client_id())
        .header("X-CLIENT-SECRET", h.sandbox.client_secret())
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // Status and tokens need credentials too.
    let resp = h
        .http
        .get(h.url("/v1/authentication/abc/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(h.sandbox.stats().initialize_requests, 3);
}

#[tokio::test]
async fn initialize_validates_user_hash_and_redirect_url() {
    let h = start().await;
    let cases = [
        (
            json!({ "userHash": "short", "redirectUrl": REDIRECT }),
            "userHash",
        ),
        (
            json!({ "userHash": "has_underscore", "redirectUrl": REDIRECT }),
            "userHash",
        ),
        (
            json!({ "userHash": "x".repeat(65), "redirectUrl": REDIRECT }),
            "userHash",
        ),
        (json!({ "redirectUrl": REDIRECT }), "userHash"),
        (
            json!({ "userHash": 12345678, "redirectUrl": REDIRECT }),
            "userHash",
        ),
        (
            json!({ "userHash": "test-user-id", "redirectUrl": "/relative" }),
            "redirectUrl",
        ),
        (
            json!({ "userHash": "test-user-id", "redirectUrl": "ftp://x.example/" }),
            "redirectUrl",
        ),
        (json!({ "userHash": "test-user-id" }), "redirectUrl"),
    ];
    for (body, field) in cases {
        let (status, text) = h.post_json("/v1/authentication/initialize", &body).await;
        assert_eq!(status, 400, "{body} -> {text}");
        let v = parse(&text);
        assert_eq!(v["error"], "InvalidRequest");
        assert!(v["message"].as_str().unwrap().contains(field), "{text}");
    }
    // Malformed JSON is a 400 too; a missing Content-Type is a 415.
    let resp = h
        .authed(Method::POST, "/v1/authentication/initialize")
        .header(CONTENT_TYPE, "application/json")
        .body("{\"userHash\":")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        parse(&resp.text().await.unwrap())["error"],
        "InvalidRequest"
    );
    let resp = h
        .authed(Method::POST, "/v1/authentication/initialize")
        .body(json!({ "userHash": "test-user-id", "redirectUrl": REDIRECT }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 415);
    assert!(h.sandbox.sessions().is_empty());

    // 8 and 64 characters are the inclusive bounds.
    h.initialize("abcdEF-9").await;
    h.initialize(&"Z".repeat(64)).await;
}

#[tokio::test]
async fn page_approve_redirects_with_a_percent_encoded_code() {
    let h = start().await;
    let (session_id, auth_url) = h.initialize("test-user-id").await;
    assert_eq!(session_id.len(), 32);
    assert!(
        auth_url.starts_with(&format!(
            "{}/v1/authentication/start?startToken=",
            h.sandbox.base_url()
        )),
        "{auth_url}"
    );
    assert!(auth_url.ends_with("%3D%3D"), "{auth_url}");
    let raw_token = raw_query_value(&auth_url, "startToken").unwrap();
    assert!(
        raw_token.contains("%2B") && raw_token.contains("%2F"),
        "{raw_token}"
    );

    let resp = h.http.get(&auth_url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().await.unwrap();
    for id in ["approve", "cancel", "fail"] {
        assert!(
            html.contains(&format!("id=\"{id}\"")),
            "button {id} missing"
        );
    }
    assert!(html.contains("<form method=\"post\" action=\"/v1/authentication/start/decision\">"));
    assert!(html.contains("test-user-id"));
    assert!(html.contains("DemoBank"));
    assert_eq!(h.sandbox.stats().page_views, 1);

    let token = start_token_of(&auth_url);
    assert!(html.contains(&format!("name=\"startToken\" value=\"{token}\"")));
    let (status, location, _) = h.decide(&token, "approve").await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    let raw_code = raw_query_value(&location, "code").unwrap();
    assert!(
        raw_code.contains("%2B") && raw_code.contains("%2F") && raw_code.ends_with("%3D"),
        "{raw_code}"
    );
    assert!(!raw_code.contains('+') && !raw_code.contains('/') && !raw_code.contains('='));
    let code = percent_decode(&raw_code);
    assert!(
        code.contains('+') && code.contains('/') && code.ends_with('='),
        "{code}"
    );

    // The status endpoint reports the same code.
    assert_eq!(h.code_of(&session_id).await, code);
    let info = h.sandbox.session(&session_id).unwrap();
    assert_eq!(info.state, SessionState::Succeeded);
    assert!(info.succeeded_at.is_some());
    assert_eq!(info.user_hash, "test-user-id");

    // The page is done: another decision or view is a 409 without redirect.
    let (status, location, body) = h.decide(&token, "cancel").await;
    assert_eq!((status, location), (409, None));
    assert!(body.contains("already finished"));
    assert_eq!(
        h.http
            .get(&auth_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        409
    );
    assert_eq!(h.sandbox.stats().decision_requests, 2);
}

#[tokio::test]
async fn cancel_and_fail_redirect_with_errors_and_keep_existing_query() {
    let h = start().await;
    let (id, auth_url) = h
        .initialize_to("user-cancels", "https://app.example/cb?x=1#frag")
        .await;
    let (status, location, _) = h.decide(&start_token_of(&auth_url), "cancel").await;
    assert_eq!(status, 302);
    assert_eq!(
        location.unwrap(),
        "https://app.example/cb?x=1&error=cancelled&error_description=User%20cancelled%20the%20login#frag"
    );
    assert_eq!(h.status(&id, None).await.1, json!({ "state": "Cancelled" }));

    let (id, auth_url) = h.initialize("user-fails-at-bank").await;
    let (status, location, _) = h.decide(&start_token_of(&auth_url), "fail").await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(
        location.starts_with(&format!("{REDIRECT}?error=failed&error_description=")),
        "{location}"
    );
    assert_eq!(h.status(&id, None).await.1, json!({ "state": "Failed" }));

    // The approve redirect also joins with '&'.
    let (_, auth_url) = h
        .initialize_to("user-approves", "http://127.0.0.1:9/cb?state=s")
        .await;
    let (_, location, _) = h.decide(&start_token_of(&auth_url), "approve").await;
    assert!(
        location
            .unwrap()
            .starts_with("http://127.0.0.1:9/cb?state=s&code=qgAA%2B%2B%2F%2F")
    );
}

#[tokio::test]
async fn bad_page_requests_get_html_errors() {
    let h = start().await;
    for url in [
        h.url("/v1/authentication/start?startToken=nope"),
        h.url("/v1/authentication/start"),
    ] {
        let resp = h.http.get(url).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        assert!(
            resp.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(resp.text().await.unwrap().contains("<html"));
    }
    let (_, auth_url) = h.initialize("test-user-id").await;
    let (status, _, _) = h.decide(&start_token_of(&auth_url), "maybe").await;
    assert_eq!(status, 400);
    let (status, _, _) = h.decide("unknown-token", "approve").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn never_finish_refuses_page_decisions() {
    let h = start().await;
    h.sandbox.script_user("stuck-user", UserScript::NeverFinish);
    let (id, auth_url) = h.initialize("stuck-user").await;
    let page = h.http.get(&auth_url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let (status, location, body) = h.decide(&start_token_of(&auth_url), "approve").await;
    assert_eq!((status, location), (409, None));
    assert!(body.contains("Still waiting"), "{body}");
    assert!(!h.sandbox.complete_session(&id, Outcome::Approve));
    assert_eq!(
        h.status(&id, None).await.1,
        json!({ "state": "InProgress" })
    );
}

#[tokio::test]
async fn tokens_response_has_the_seed_shape() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    assert!(h.sandbox.complete_session(&id, Outcome::Approve));
    let code = h.code_of(&id).await;
    let (status, v) = h.exchange(&code).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["success"], true);
    assert_eq!(v["providerId"], "DemoBank");

    let session_expires = v["session"]["expires"].as_str().unwrap();
    // 2019-01-23T13:30:07.1389724+00:00
    assert_eq!(session_expires.len(), 33, "{session_expires}");
    assert!(session_expires.ends_with("+00:00"));
    assert_eq!(&session_expires[19..20], ".");
    assert!(session_expires[20..27].bytes().all(|b| b.is_ascii_digit()));
    let access = v["session"]["accessToken"].as_str().unwrap();
    assert!(access.len() > 100);

    let login = &v["login"];
    assert_eq!(login["providerId"], "DemoBank");
    assert_eq!(login["supportsUnattended"], true);
    let login_expires = login["expires"].as_str().unwrap();
    assert!(
        login_expires.ends_with('Z') && login_expires.len() == 27,
        "{login_expires}"
    );
    assert!(login["loginToken"].as_str().unwrap().starts_with("-ELT2-"));
    let label = login["label"].as_str().unwrap();
    assert!(label.starts_with("DemoBank ") && (label.ends_with(" AM") || label.ends_with(" PM")));
    let subject = login["subjectId"].as_str().unwrap();
    assert_eq!(subject.len(), 64);
    assert!(subject.bytes().all(|b| b.is_ascii_hexdigit()));

    // The subject is stable per userHash.
    let (id2, _) = h.initialize("test-user-id").await;
    h.sandbox.complete_session(&id2, Outcome::Approve);
    let (_, v2) = h.exchange(&h.code_of(&id2).await).await;
    assert_eq!(v2["login"]["subjectId"], subject);
}

#[tokio::test]
async fn codes_are_single_use() {
    let h = start().await;
    let (id, _) = h.initialize("test-user-id").await;
    h.sandbox.complete_session(&id, Outcome::Approve);
    let code = h.code_of(&id).await;
    assert_eq!(h.exchange(&code).await.0, 200);
    let (status, v) = h.exchange(&code).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"], "InvalidCode");
    assert!(v["message"].as_str().unwrap().contains("already"), "{v}");
    // Still Succeeded, still reporting the (now used) code.
    assert_eq!(h.code_of(&id).await, code);
    assert_eq!(h.sandbox.session(&id).unwrap().exchanges, 1);
    let stats = h.sandbox.stats();
    assert_eq!((stats.token_requests, stats.successful_exchanges), (2, 1));

    let (status, v) = h.exchange("qgAA++//unknown=").await;
    assert_eq!(status, 400);
    assert!(v["message"].as_str().unwrap().contains("unknown"), "{v}");
    // A code that was not percent-decoded is just unknown.
    let (status, _) = h.exchange(&code.replace('+', "%2B")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn codes_expire() {
    let h = start_with(SandboxConfig {
        code_lifetime: Duration::from_millis(150),
        ..SandboxConfig::default()
    })
    .await;
    let (id, _) = h.initialize("test-user-id").await;
    h.sandbox.complete_session(&id, Outcome::Approve);
    let code = h.code_of(&id).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let (status, v) = h.exchange(&code).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"], "InvalidCode");
    assert!(v["message"].as_str().unwrap().contains("expired"), "{v}");
    assert_eq!(h.sandbox.session(&id).unwrap().exchanges, 0);
}

#[tokio::test]
async fn status_errors() {
    let h = start().await;
    let (status, v) = h.status("0123456789abcdef0123456789abcdef", None).await;
    assert_eq!((status, v), (404, json!({ "error": "NotFound" })));
    let (id, _) = h.initialize("test-user-id").await;
    for bad in ["-1", "1.5", "soon", ""] {
        let resp = h
            .authed(
                Method::GET,
                &format!("/v1/authentication/{id}/status?pollTimeout={bad}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "pollTimeout={bad}");
        assert_eq!(
            parse(&resp.text().await.unwrap())["error"],
            "InvalidRequest"
        );
    }
    let (status, v) = h.status(&id, Some(0)).await;
    assert_eq!((status, v), (200, json!({ "state": "InProgress" })));
    // Unknown routes are JSON 404s.
    let resp = h.http.get(h.url("/v1/nothing")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}
