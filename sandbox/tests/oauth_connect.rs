//! The Aiia Data connect flow over real HTTP: `/v1/oauth/connect` → consent page → redirect with
//! `code`, `state`, `consentId` → Basic-auth JSON `/v1/oauth/token` → refresh rotation.

mod common;

use std::time::Duration;

use common::oauth::*;
use common::*;
use obauth_sandbox::{ClientAuthMethod, ConsentScript, Endpoint, Fault, SandboxConfig};
use reqwest::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
use serde_json::json;

#[tokio::test]
async fn connect_consent_approve_redirects_with_code_state_and_consent_id() {
    let h = start().await;
    let state = "tenant=7&return=/home +/=ü";
    let mut params = h.connect_params(AIIA_REDIRECT, state);
    params.push(("accountsGroupName", "Family & friends"));
    params.push(("accountsGroupId", "grp-1"));
    let start = h.connect(&params).await;
    assert_eq!(start.status, 302, "{}", start.body);
    let consent_url = start.location();
    assert!(
        consent_url.starts_with(&format!(
            "{}/v1/oauth/connect/consent?request=",
            h.sandbox.base_url()
        )),
        "{consent_url}"
    );

    let page = Answer::of(h.http.get(consent_url).send().await.unwrap()).await;
    assert_eq!(page.status, 200);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    let html = &page.body;
    assert!(html.contains("<title>Aiia — connect your bank</title>"));
    assert!(html.contains("id=\"approve\"") && html.contains("id=\"cancel\""));
    assert!(html.contains("action=\"/v1/oauth/connect/decision\""));
    assert!(html.contains(&format!("id=\"client\">{}<", h.sandbox.client_id())));
    assert!(
        html.contains("data-scope=\"accounts\"") && html.contains("data-scope=\"offline_access\"")
    );
    assert!(html.contains("Family &amp; friends") && html.contains("grp-1"));
    assert!(html.contains("<style>") && !html.contains("<script") && !html.contains("src="));
    assert!(!html.contains("<link"));

    let id = request_id_of(html);
    let done = h
        .consent_decision("/v1/oauth/connect/decision", &id, "approve")
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    let location = done.location();
    assert!(
        location.starts_with(&format!("{AIIA_REDIRECT}?code=")),
        "{location}"
    );
    assert_eq!(query_names(location), ["code", "state", "consentId"]);
    let raw_code = raw_query_value(location, "code").unwrap();
    assert!(raw_code.contains("%2B") && raw_code.contains("%2F") && raw_code.contains("%3D"));
    assert!(!raw_code.contains(['+', '/', '=']), "{raw_code}");
    let code = query_value(location, "code").unwrap();
    assert!(
        code.contains('+') && code.contains('/') && code.ends_with('='),
        "{code}"
    );
    assert_eq!(query_value(location, "state").unwrap(), state);
    let consent_id = query_value(location, "consentId").unwrap();
    assert_eq!(consent_id.len(), 36, "{consent_id}");
    assert_eq!(consent_id.matches('-').count(), 4);

    // The request is answered: a second decision is refused without a redirect.
    let again = h
        .consent_decision("/v1/oauth/connect/decision", &id, "cancel")
        .await;
    assert_eq!((again.status, again.location.as_deref()), (409, None));
    let stats = h.sandbox.stats();
    assert_eq!(
        (
            stats.oauth_connect_requests,
            stats.oauth_consent_page_views,
            stats.oauth_decision_requests
        ),
        (1, 1, 2)
    );
}

#[tokio::test]
async fn cancel_redirects_with_access_denied_and_state() {
    let h = start().await;
    let location = h.connect_and_decide(AIIA_REDIRECT, "s-1", "cancel").await;
    assert!(
        location.starts_with(&format!("{AIIA_REDIRECT}?error=access_denied&")),
        "{location}"
    );
    assert!(query_value(&location, "error_description").is_some());
    assert_eq!(query_value(&location, "state").unwrap(), "s-1");
    assert!(query_value(&location, "code").is_none());
    // Without state, none comes back; the trailing-slash path works too.
    let start = h
        .get(&format!(
            "/v1/oauth/connect/?{}",
            query_string(&[
                ("client_id", h.sandbox.client_id()),
                ("redirect_uri", AIIA_REDIRECT),
                ("response_type", "code"),
            ])
        ))
        .await;
    assert_eq!(start.status, 302);
    let page = Answer::of(h.http.get(start.location()).send().await.unwrap()).await;
    let done = h
        .consent_decision(
            "/v1/oauth/connect/decision",
            &request_id_of(&page.body),
            "approve",
        )
        .await;
    assert_eq!(query_names(done.location()), ["code", "consentId"]);
}

#[tokio::test]
async fn registered_wildcard_and_loopback_redirects_are_accepted() {
    let h = start().await;
    for redirect in [
        "https://app.example.com/aiia-callback/tenant/42",
        "https://app.example.com/aiia-callback/",
        "http://127.0.0.1:53123/cb",
        "http://127.0.0.1/any/path",
    ] {
        let location = h.connect_and_decide(redirect, "w", "approve").await;
        assert!(
            location.starts_with(&format!("{redirect}?code=")),
            "{location}"
        );
    }
    // An existing query is kept; the code is appended.
    let redirect = "https://app.example.com/aiia-callback/t?tenant=7";
    let location = h.connect_and_decide(redirect, "w", "approve").await;
    assert!(
        location.starts_with(&format!("{redirect}&code=")),
        "{location}"
    );
}

#[tokio::test]
async fn unregistered_or_host_wildcard_redirects_are_refused_without_redirecting() {
    let h = start_with(SandboxConfig {
        redirect_uris: vec![
            "https://app.example.com/aiia-callback/*".to_owned(),
            "https://*.example.com/cb".to_owned(),
        ],
        ..SandboxConfig::default()
    })
    .await;
    for redirect in [
        "https://evil.example/cb",
        "https://evil.example.com/cb",
        "https://evil.app.example.com/aiia-callback/x",
        "https://app.example.com.evil.example/aiia-callback/x",
        "https://app.example.com/aiia-callbackx",
        "https://app.example.com/aiia-callback/../admin",
        "http://app.example.com/aiia-callback/x",
        "https://app.example.com/aiia/callback",
        "http://127.0.0.1:8080/cb",
        "https://app.example.com/aiia-callback/x#frag",
        "not a url",
    ] {
        let a = h.connect(&h.connect_params(redirect, "s")).await;
        assert_eq!(a.status, 400, "{redirect}: {}", a.body);
        assert!(a.location.is_none(), "{redirect}");
        assert!(a.content_type.starts_with("text/html"), "{redirect}");
        assert!(a.body.contains("not registered"), "{redirect}: {}", a.body);
    }
    // Missing redirect_uri and unknown client: no redirect either; JSON when asked for.
    let a = h
        .connect(&[
            ("client_id", h.sandbox.client_id()),
            ("response_type", "code"),
        ])
        .await;
    assert_eq!((a.status, a.location.is_none()), (400, true));
    let resp = h
        .http
        .get(h.url(&format!(
            "/v1/oauth/connect?{}",
            query_string(&[
                ("client_id", "someone-else"),
                ("redirect_uri", "https://app.example.com/aiia-callback/x"),
                ("response_type", "code"),
            ])
        )))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    let a = Answer::of(resp).await;
    assert_eq!((a.status, a.location.is_none()), (400, true));
    assert_eq!(a.json()["error"], "invalid_client");
    assert!(h.sandbox.stats().oauth_connect_requests >= 13);
}

#[tokio::test]
async fn bad_response_type_or_scope_redirects_back_with_an_error() {
    let h = start().await;
    let mut params = h.connect_params(AIIA_REDIRECT, "st8");
    params[3] = ("response_type", "token");
    let a = h.connect(&params).await;
    assert_eq!(a.status, 302);
    assert_eq!(
        query_value(a.location(), "error").unwrap(),
        "unsupported_response_type"
    );
    assert_eq!(query_value(a.location(), "state").unwrap(), "st8");

    let mut params = h.connect_params(AIIA_REDIRECT, "st9");
    params[2] = ("scope", "accounts payments");
    let a = h.connect(&params).await;
    assert_eq!(a.status, 302);
    assert!(a.location().starts_with(AIIA_REDIRECT));
    assert_eq!(query_value(a.location(), "error").unwrap(), "invalid_scope");
    assert!(
        query_value(a.location(), "error_description")
            .unwrap()
            .contains("payments")
    );
    assert_eq!(query_value(a.location(), "state").unwrap(), "st9");

    // A repeated parameter is an invalid_request.
    let mut params = h.connect_params(AIIA_REDIRECT, "st10");
    params.push(("scope", "accounts"));
    let a = h.connect(&params).await;
    assert_eq!(
        query_value(a.location(), "error").unwrap(),
        "invalid_request"
    );

    // No scope: the documented default is requested.
    let a = h
        .connect(&[
            ("client_id", h.sandbox.client_id()),
            ("redirect_uri", AIIA_REDIRECT),
            ("response_type", "code"),
        ])
        .await;
    let page = Answer::of(h.http.get(a.location()).send().await.unwrap()).await;
    assert!(page.body.contains("data-scope=\"accounts\""));
    assert!(page.body.contains("data-scope=\"offline_access\""));
}

#[tokio::test]
async fn token_exchange_needs_basic_auth_and_answers_the_seed_shape() {
    let h = start().await;
    let (code, consent_id) = h.connect_code(AIIA_REDIRECT).await;
    let body =
        json!({ "grant_type": "authorization_code", "code": code, "redirect_uri": AIIA_REDIRECT });

    // Missing, wrong, or form-style credentials: 401 invalid_client, code untouched.
    let wrong = basic(h.sandbox.client_id(), "wrong");
    for auth in [
        None,
        Some(wrong.as_str()),
        Some("Bearer abc"),
        Some("Basic !!!"),
    ] {
        let a = h.aiia_token(auth, &body).await;
        assert_eq!(a.status, 401, "{auth:?}");
        assert_eq!(a.body, r#"{"error":"invalid_client"}"#);
    }
    let a = h.aiia_token(Some(&wrong), &body).await;
    assert!(
        a.headers[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let mut with_secret = body.clone();
    with_secret["client_id"] = json!(h.sandbox.client_id());
    with_secret["client_secret"] = json!(h.sandbox.client_secret());
    assert_eq!(h.aiia_token(None, &with_secret).await.status, 401);

    let a = h.aiia_exchange(&code, AIIA_REDIRECT).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.headers[CACHE_CONTROL], "no-store");
    let v = a.json();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "redirect_uri",
            "refresh_token",
            "token_type"
        ]
    );
    assert_eq!(v["expires_in"], 3600);
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["redirect_uri"], AIIA_REDIRECT);
    let access = v["access_token"].as_str().unwrap();
    let refresh = v["refresh_token"].as_str().unwrap();
    assert!(
        access.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."),
        "{access}"
    );
    let claims = jwt_payload(access);
    assert_eq!(claims["clientId"], h.sandbox.client_id());
    assert_eq!(claims["role"], "ClientUser");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    let refresh_claims = jwt_payload(refresh);
    assert_eq!(refresh_claims["consentId"], consent_id.as_str());
    assert_eq!(refresh_claims["role"], "RefreshToken");
    assert!(h.sandbox.is_access_token_active(access));

    // Single use.
    let a = h.aiia_exchange(&code, AIIA_REDIRECT).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["error"], "invalid_grant");
    assert!(
        a.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("already")
    );

    let log = h.sandbox.token_requests();
    assert_eq!(log.len(), 8);
    assert!(
        log.iter()
            .all(|r| r.endpoint == Endpoint::OAuthToken && r.path == "/v1/oauth/token")
    );
    assert_eq!(log[5].auth_method, ClientAuthMethod::ClientSecretPost);
    assert_eq!(log[6].auth_method, ClientAuthMethod::ClientSecretBasic);
    assert_eq!((log[6].status, log[7].status), (200, 400));
    assert_eq!(log[0].auth_method, ClientAuthMethod::Missing);
    let stats = h.sandbox.stats();
    assert_eq!(
        (stats.oauth_token_requests, stats.oauth_code_exchanges),
        (8, 1)
    );
}

#[tokio::test]
async fn redirect_uri_must_match_and_bad_bodies_are_oauth_errors() {
    let h = start().await;
    let redirect = "https://app.example.com/aiia-callback/t1";
    let (code, _) = h.connect_code(redirect).await;
    // A different (even registered) redirect_uri is refused and does not burn the code.
    for other in [
        "https://app.example.com/aiia-callback/t2",
        AIIA_REDIRECT,
        "https://app.example.com/aiia-callback/t1/",
    ] {
        let a = h.aiia_exchange(&code, other).await;
        assert_eq!(a.status, 400, "{other}");
        assert_eq!(a.json()["error"], "invalid_grant");
    }
    let auth = h.client_basic();
    let cases = [
        (
            json!({ "code": code, "redirect_uri": redirect }),
            400,
            "invalid_request",
        ),
        (
            json!({ "grant_type": "authorization_code", "redirect_uri": redirect }),
            400,
            "invalid_request",
        ),
        (
            json!({ "grant_type": "authorization_code", "code": code }),
            400,
            "invalid_request",
        ),
        (
            json!({ "grant_type": "password", "code": code }),
            400,
            "unsupported_grant_type",
        ),
        (
            json!({ "grant_type": "authorization_code", "code": "nope", "redirect_uri": redirect }),
            400,
            "invalid_grant",
        ),
        (json!([1, 2]), 400, "invalid_request"),
    ];
    for (body, status, error) in cases {
        let a = h.aiia_token(Some(&auth), &body).await;
        assert_eq!(
            (a.status, a.json()["error"].as_str().unwrap()),
            (status, error),
            "{body}"
        );
    }
    // Not declared as JSON: 415.
    let resp = h
        .http
        .post(h.url("/v1/oauth/token"))
        .header("Authorization", &auth)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(query_string(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 415);
    // Garbage that is declared JSON: 400, not a panic.
    let resp = h
        .http
        .post(h.url("/v1/oauth/token"))
        .header("Authorization", &auth)
        .header("Content-Type", "application/json")
        .body("{\"grant_type\":")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    // The code survived all of that.
    assert_eq!(h.aiia_exchange(&code, redirect).await.status, 200);
}

#[tokio::test]
async fn codes_expire_after_the_configured_lifetime() {
    let h = start_with(SandboxConfig {
        code_lifetime: Duration::from_millis(150),
        ..SandboxConfig::default()
    })
    .await;
    let (code, _) = h.connect_code(AIIA_REDIRECT).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let a = h.aiia_exchange(&code, AIIA_REDIRECT).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["error"], "invalid_grant");
    assert!(
        a.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn refresh_rotates_and_revocation_invalidates() {
    let h = start_with(SandboxConfig {
        oauth_access_token_lifetime: Duration::from_secs(120),
        ..SandboxConfig::default()
    })
    .await;
    let (code, _) = h.connect_code(AIIA_REDIRECT).await;
    let first = h.aiia_exchange(&code, AIIA_REDIRECT).await.json();
    assert_eq!(first["expires_in"], 120);
    let refresh = |token: &str| json!({ "grant_type": "refresh_token", "refresh_token": token });
    let auth = h.client_basic();

    let second = h
        .aiia_token(
            Some(&auth),
            &refresh(first["refresh_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.body);
    let second = second.json();
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["token_type"], "bearer");
    assert_eq!(second["redirect_uri"], AIIA_REDIRECT);
    // The consent stays the same across rotation.
    assert_eq!(
        jwt_payload(second["refresh_token"].as_str().unwrap())["consentId"],
        jwt_payload(first["refresh_token"].as_str().unwrap())["consentId"]
    );

    // The rotated-out token is dead; the new one works (once).
    let old = h
        .aiia_token(
            Some(&auth),
            &refresh(first["refresh_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        (old.status, old.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
    let third = h
        .aiia_token(
            Some(&auth),
            &refresh(second["refresh_token"].as_str().unwrap()),
        )
        .await
        .json();
    // Refresh needs client auth too.
    let a = h
        .aiia_token(None, &refresh(third["refresh_token"].as_str().unwrap()))
        .await;
    assert_eq!(a.status, 401);

    assert_eq!(h.sandbox.revoke_refresh_tokens(), 1);
    let revoked = h
        .aiia_token(
            Some(&auth),
            &refresh(third["refresh_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        (revoked.status, revoked.json()["error"].clone()),
        (400, json!("invalid_grant"))
    );
    assert_eq!(h.sandbox.stats().refresh_grants, 2);
}

#[tokio::test]
async fn access_token_lifetime_is_configurable_down_to_zero() {
    let h = start_with(SandboxConfig {
        oauth_access_token_lifetime: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await;
    let (code, _) = h.connect_code(AIIA_REDIRECT).await;
    let v = h.aiia_exchange(&code, AIIA_REDIRECT).await.json();
    assert_eq!(v["expires_in"], 0);
    assert!(
        !h.sandbox
            .is_access_token_active(v["access_token"].as_str().unwrap())
    );
    assert!(!h.sandbox.is_access_token_active("not-a-token"));
}

#[tokio::test]
async fn consent_scripts_skip_the_page() {
    let h = start().await;
    h.sandbox.script_consent(ConsentScript::Approve);
    let start = h.connect(&h.connect_params(AIIA_REDIRECT, "auto")).await;
    assert_eq!(start.status, 302);
    // The consent page itself answers with the redirect to the app.
    let page = Answer::of(h.http.get(start.location()).send().await.unwrap()).await;
    assert_eq!(page.status, 302);
    let code = query_value(page.location(), "code").unwrap();
    assert_eq!(query_value(page.location(), "state").unwrap(), "auto");
    assert_eq!(h.aiia_exchange(&code, AIIA_REDIRECT).await.status, 200);

    h.sandbox.script_consent(ConsentScript::Cancel);
    let start = h.connect(&h.connect_params(AIIA_REDIRECT, "auto")).await;
    let page = Answer::of(h.http.get(start.location()).send().await.unwrap()).await;
    assert_eq!(
        query_value(page.location(), "error").unwrap(),
        "access_denied"
    );

    // Unknown or missing request ids are error pages.
    let a = h.get("/v1/oauth/connect/consent?request=nope").await;
    assert_eq!((a.status, a.location.is_none()), (400, true));
    let a = h.get("/v1/oauth/connect/consent").await;
    assert_eq!(a.status, 400);
    let a = h
        .consent_decision("/v1/oauth/connect/decision", "nope", "maybe")
        .await;
    assert_eq!(a.status, 400);
}

#[tokio::test]
async fn faults_on_the_connect_endpoints() {
    let h = start().await;
    h.sandbox
        .inject_fault(Endpoint::OAuthConnect, Fault::ServerError(503));
    let a = h.connect(&h.connect_params(AIIA_REDIRECT, "f")).await;
    assert_eq!((a.status, a.location.is_none()), (503, true));

    h.sandbox
        .inject_fault(Endpoint::OAuthConsent, Fault::DropConnection);
    let start = h.connect(&h.connect_params(AIIA_REDIRECT, "f")).await;
    assert!(h.http.get(start.location()).send().await.is_err());
    let page = Answer::of(h.http.get(start.location()).send().await.unwrap()).await;
    let id = request_id_of(&page.body);

    h.sandbox
        .inject_fault(Endpoint::OAuthDecision, Fault::ServerError(500));
    let a = h
        .consent_decision("/v1/oauth/connect/decision", &id, "approve")
        .await;
    assert_eq!(a.status, 500);
    let done = h
        .consent_decision("/v1/oauth/connect/decision", &id, "approve")
        .await;
    let code = query_value(done.location(), "code").unwrap();

    // A faulted token request does not consume the code.
    h.sandbox
        .inject_fault(Endpoint::OAuthToken, Fault::ServerError(502));
    h.sandbox
        .inject_fault(Endpoint::OAuthToken, Fault::MalformedJson);
    h.sandbox.inject_fault(
        Endpoint::OAuthToken,
        Fault::TooManyRequests {
            retry_after_secs: 2,
        },
    );
    assert_eq!(h.aiia_exchange(&code, AIIA_REDIRECT).await.status, 502);
    let malformed = h.aiia_exchange(&code, AIIA_REDIRECT).await;
    assert_eq!(malformed.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&malformed.body).is_err());
    let limited = h.aiia_exchange(&code, AIIA_REDIRECT).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["retry-after"], "2");
    h.sandbox
        .inject_fault(Endpoint::OAuthToken, Fault::DropConnection);
    let body =
        json!({ "grant_type": "authorization_code", "code": code, "redirect_uri": AIIA_REDIRECT });
    let dropped = h
        .http
        .post(h.url("/v1/oauth/token"))
        .header("Authorization", h.client_basic())
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    assert!(dropped.is_err());
    assert_eq!(h.aiia_exchange(&code, AIIA_REDIRECT).await.status, 200);
    let stats = h.sandbox.stats();
    assert_eq!(
        (stats.oauth_token_requests, stats.oauth_code_exchanges),
        (5, 1)
    );
    // Faulted requests never reach the log.
    assert_eq!(h.sandbox.token_requests().len(), 1);
}
