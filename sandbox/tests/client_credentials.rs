//! Client credentials over real HTTP: Aritma's `client_secret_post` at `/connect/token`,
//! Apiture's `client_secret_basic` at the discovered `/oidc/token`, and everything in between
//! that a server must refuse.

mod common;

use std::time::Duration;

use common::oauth::*;
use common::*;
use obauth_sandbox::{ClientAuthMethod, Endpoint, Fault, SandboxConfig};
use reqwest::header::{CACHE_CONTROL, WWW_AUTHENTICATE};

fn post_form<'a>(h: &'a Harness, scope: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", h.sandbox.client_id()),
        ("client_secret", h.sandbox.client_secret()),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    form
}

#[tokio::test]
async fn aritma_client_secret_post_at_connect_token() {
    let h = start().await;
    let a = h
        .form_token(
            "/connect/token",
            None,
            &post_form(&h, Some("banking.channel.psd2 banking.ais.read")),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.content_type.starts_with("application/json"));
    assert_eq!(a.headers[CACHE_CONTROL], "no-store");
    let v = a.json();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["access_token", "expires_in", "scope", "token_type"]);
    assert_eq!(v["expires_in"], 3600);
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["scope"], "banking.channel.psd2 banking.ais.read");
    let token = v["access_token"].as_str().unwrap();
    let claims = jwt_payload(token);
    assert_eq!(claims["client_id"], h.sandbox.client_id());
    assert_eq!(claims["scope"][0], "banking.channel.psd2");
    assert!(h.sandbox.is_access_token_active(token));

    let log = h.sandbox.token_requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].endpoint, Endpoint::OidcToken);
    assert_eq!(log[0].path, "/connect/token");
    assert_eq!(log[0].auth_method, ClientAuthMethod::ClientSecretPost);
    assert_eq!(log[0].grant_type.as_deref(), Some("client_credentials"));
    assert_eq!(log[0].client_id.as_deref(), Some(h.sandbox.client_id()));
    let stats = h.sandbox.stats();
    assert_eq!(
        (
            stats.oidc_token_requests,
            stats.client_credentials_grants,
            stats.client_secret_post_requests,
            stats.client_secret_basic_requests
        ),
        (1, 1, 1, 0)
    );
}

#[tokio::test]
async fn apiture_client_secret_basic_via_discovery() {
    let h = start().await;
    let doc = h.get("/oidc/.well-known/openid-configuration").await.json();
    let token_endpoint = doc["token_endpoint"].as_str().unwrap();
    assert_eq!(
        token_endpoint,
        format!("{}/oidc/token", h.sandbox.base_url())
    );
    let path = token_endpoint.strip_prefix(&h.sandbox.base_url()).unwrap();
    let a = h
        .form_token(
            path,
            Some(&h.client_basic()),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let v = a.json();
    // No scope asked: every configured scope is granted. No refresh token, ever.
    assert_eq!(v["scope"], "banking.channel.psd2 banking.ais.read");
    assert!(v.get("refresh_token").is_none());
    let log = h.sandbox.token_requests();
    assert_eq!(log[0].auth_method, ClientAuthMethod::ClientSecretBasic);
    assert_eq!(log[0].path, "/oidc/token");
    assert_eq!(h.sandbox.stats().client_secret_basic_requests, 1);
    // The client_id may also be repeated in the form if it agrees with the header.
    let a = h
        .form_token(
            path,
            Some(&h.client_basic()),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", h.sandbox.client_id()),
            ],
        )
        .await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn both_neither_or_wrong_credentials_are_invalid_client() {
    let h = start().await;
    let basic_ok = h.client_basic();
    let basic_bad = basic(h.sandbox.client_id(), "wrong");
    let cc = [("grant_type", "client_credentials")];
    let bad_post = [
        ("grant_type", "client_credentials"),
        ("client_id", h.sandbox.client_id()),
        ("client_secret", "wrong"),
    ];
    let other_id = [
        ("grant_type", "client_credentials"),
        ("client_id", "someone-else"),
    ];
    // (Authorization header, form, recorded method, WWW-Authenticate expected)
    type Case<'a> = (
        Option<&'a str>,
        Vec<(&'a str, &'a str)>,
        ClientAuthMethod,
        bool,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            Some(&basic_ok),
            post_form(&h, None),
            ClientAuthMethod::Conflicting,
            true,
        ),
        (None, cc.to_vec(), ClientAuthMethod::Missing, false),
        (
            None,
            bad_post.to_vec(),
            ClientAuthMethod::ClientSecretPost,
            false,
        ),
        (
            Some(&basic_bad),
            cc.to_vec(),
            ClientAuthMethod::ClientSecretBasic,
            true,
        ),
        (
            Some("Basic bm9jb2xvbg=="),
            cc.to_vec(),
            ClientAuthMethod::ClientSecretBasic,
            true,
        ),
        (
            None,
            other_id.to_vec(),
            ClientAuthMethod::PublicClient,
            false,
        ),
        (
            Some(&basic_ok),
            other_id.to_vec(),
            ClientAuthMethod::ClientSecretBasic,
            true,
        ),
    ];
    for (i, (auth, form, method, challenged)) in cases.iter().enumerate() {
        let a = h.form_token("/oidc/token", *auth, form).await;
        assert_eq!(a.status, 401, "case {i}: {}", a.body);
        assert_eq!(a.body, r#"{"error":"invalid_client"}"#, "case {i}");
        assert_eq!(
            a.headers.contains_key(WWW_AUTHENTICATE),
            *challenged,
            "case {i}"
        );
        let log = h.sandbox.token_requests();
        assert_eq!(log[i].auth_method, *method, "case {i}");
        assert_eq!(log[i].error.as_deref(), Some("invalid_client"));
    }
    let stats = h.sandbox.stats();
    assert_eq!(stats.client_credentials_grants, 0);
    assert_eq!(
        (
            stats.client_secret_basic_requests,
            stats.client_secret_post_requests
        ),
        (0, 0)
    );
}

#[tokio::test]
async fn scopes_grants_and_encodings_are_validated() {
    let h = start().await;
    let a = h
        .form_token(
            "/connect/token",
            None,
            &post_form(&h, Some("banking.ais.read")),
        )
        .await;
    assert_eq!(a.json()["scope"], "banking.ais.read");
    let a = h
        .form_token(
            "/connect/token",
            None,
            &post_form(&h, Some("banking.ais.read banking.payments.write")),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["error"], "invalid_scope");
    assert!(
        a.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("banking.payments.write")
    );

    // Unsupported and missing grant types.
    let mut form = post_form(&h, None);
    form[0] = ("grant_type", "password");
    let a = h.form_token("/connect/token", None, &form).await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (400, "unsupported_grant_type".into())
    );
    let a = h.form_token("/connect/token", None, &form[1..]).await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (400, "invalid_request".into())
    );
    // The confidential client has no PKCE codes; the public client no client credentials.
    form[0] = ("grant_type", "authorization_code");
    let a = h.form_token("/connect/token", None, &form).await;
    assert_eq!(a.json()["error"], "unauthorized_client");
    let a = h
        .form_token(
            "/oidc/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", h.sandbox.public_client_id()),
            ],
        )
        .await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (400, "unauthorized_client".into())
    );

    // A repeated parameter, or a JSON body, is an invalid_request.
    let mut form = post_form(&h, Some("banking.ais.read"));
    form.push(("scope", "banking.channel.psd2"));
    let a = h.form_token("/connect/token", None, &form).await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (400, "invalid_request".into())
    );
    let resp = h
        .http
        .post(h.url("/oidc/token"))
        .header("Authorization", h.client_basic())
        .header("Content-Type", "application/json")
        .body(r#"{"grant_type":"client_credentials"}"#)
        .send()
        .await
        .unwrap();
    let a = Answer::of(resp).await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (400, "invalid_request".into())
    );
    assert!(
        a.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("x-www-form-urlencoded")
    );
}

#[tokio::test]
async fn token_lifetime_is_configurable() {
    let h = start_with(SandboxConfig {
        client_credentials_token_lifetime: Duration::from_secs(120),
        client_credentials_scopes: vec!["read".to_owned()],
        ..SandboxConfig::default()
    })
    .await;
    let v = h
        .form_token("/connect/token", None, &post_form(&h, None))
        .await
        .json();
    assert_eq!(
        (v["expires_in"].clone(), v["scope"].clone()),
        (120.into(), "read".into())
    );
    let claims = jwt_payload(v["access_token"].as_str().unwrap());
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        120
    );

    let h = start_with(SandboxConfig {
        client_credentials_token_lifetime: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await;
    let v = h
        .form_token("/connect/token", None, &post_form(&h, None))
        .await
        .json();
    assert_eq!(v["expires_in"], 0);
    assert!(
        !h.sandbox
            .is_access_token_active(v["access_token"].as_str().unwrap())
    );
}

#[tokio::test]
async fn faults_on_the_token_endpoint_hit_both_paths() {
    let h = start().await;
    h.sandbox.inject_fault(
        Endpoint::OidcToken,
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    h.sandbox
        .inject_fault(Endpoint::OidcToken, Fault::ServerError(503));
    h.sandbox
        .inject_fault(Endpoint::OidcToken, Fault::MalformedJson);
    let a = h
        .form_token("/connect/token", None, &post_form(&h, None))
        .await;
    assert_eq!(a.status, 429);
    assert_eq!(a.headers["retry-after"], "1");
    let a = h
        .form_token(
            "/oidc/token",
            Some(&h.client_basic()),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(a.status, 503);
    let a = h
        .form_token("/connect/token", None, &post_form(&h, None))
        .await;
    assert_eq!(a.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&a.body).is_err());
    h.sandbox
        .inject_fault(Endpoint::OidcToken, Fault::DropConnection);
    let dropped = h
        .http
        .post(h.url("/connect/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(query_string(&post_form(&h, None)))
        .send()
        .await;
    assert!(dropped.is_err());
    let a = h
        .form_token("/connect/token", None, &post_form(&h, None))
        .await;
    assert_eq!(a.status, 200);
    let stats = h.sandbox.stats();
    assert_eq!(
        (stats.oidc_token_requests, stats.client_credentials_grants),
        (5, 1)
    );
    assert_eq!(h.sandbox.token_requests().len(), 1);
}
