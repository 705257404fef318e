//! OIDC discovery and authorization code + PKCE for the public client over real HTTP.

mod common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::oauth::*;
use common::*;
use obauth_sandbox::{ClientAuthMethod, ConsentScript, Endpoint, Fault, SandboxConfig};
use serde_json::json;

#[tokio::test]
async fn discovery_document_has_the_fields_and_is_counted() {
    let h = start().await;
    let a = h.get("/oidc/.well-known/openid-configuration").await;
    assert_eq!(a.status, 200);
    assert!(a.content_type.starts_with("application/json"));
    let d = a.json();
    let base = h.sandbox.base_url();
    assert_eq!(d["issuer"], format!("{base}/oidc"));
    assert_eq!(d["issuer"], h.sandbox.issuer());
    assert_eq!(
        d["authorization_endpoint"],
        format!("{base}/oidc/authorize")
    );
    assert_eq!(d["token_endpoint"], format!("{base}/oidc/token"));
    assert_eq!(d["userinfo_endpoint"], format!("{base}/oidc/userinfo"));
    assert_eq!(d["jwks_uri"], format!("{base}/oidc/jwks"));
    assert_eq!(d["response_types_supported"], json!(["code"]));
    assert_eq!(
        d["grant_types_supported"],
        json!(["client_credentials", "authorization_code", "refresh_token"])
    );
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        d["token_endpoint_auth_methods_supported"],
        json!(["client_secret_post", "client_secret_basic", "none"])
    );
    let scopes: Vec<&str> = d["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for s in [
        "openid",
        "offline_access",
        "banking.channel.psd2",
        "banking.ais.read",
    ] {
        assert!(scopes.contains(&s), "{s}");
    }
    assert_eq!(
        scopes.iter().filter(|s| **s == "banking.ais.read").count(),
        1
    );
    assert_eq!(d["subject_types_supported"], json!(["public"]));
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["HS256"]));
    assert_eq!(
        h.sandbox.discovery_url(),
        format!("{base}/oidc/.well-known/openid-configuration")
    );

    h.get("/oidc/.well-known/openid-configuration").await;
    assert_eq!(h.sandbox.stats().discovery_requests, 2);

    // The issuer follows the Host the client used (OIDC Discovery §4.3).
    let resp = h
        .http
        .get(h.url("/oidc/.well-known/openid-configuration"))
        .header("Host", format!("localhost:{}", h.sandbox.port()))
        .send()
        .await
        .unwrap();
    let d = parse(&resp.text().await.unwrap());
    assert_eq!(
        d["issuer"],
        format!("http://localhost:{}/oidc", h.sandbox.port())
    );
    assert_eq!(h.sandbox.stats().discovery_requests, 3);

    // The JWKS publishes the (sandbox-only) HS256 key.
    let jwks = h.get("/oidc/jwks").await.json();
    assert_eq!(jwks["keys"][0]["kty"], "oct");
    assert_eq!(jwks["keys"][0]["alg"], "HS256");
    assert_eq!(h.sandbox.stats().jwks_requests, 1);
}

#[tokio::test]
async fn pkce_flow_issues_tokens_and_an_id_token_with_the_nonce() {
    let h = start().await;
    let page = h
        .authorize(&h.authorize_params("st-1", "n-0S6_WzA2Mj"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.body.contains("id=\"approve\"") && page.body.contains("id=\"cancel\""));
    assert!(page.body.contains("action=\"/oidc/authorize/decision\""));
    assert!(
        page.body
            .contains(&format!("id=\"client\">{}<", h.sandbox.public_client_id()))
    );
    assert!(page.body.contains("data-scope=\"openid\""));
    assert!(!page.body.contains("<script"));

    let done = h
        .consent_decision(
            "/oidc/authorize/decision",
            &request_id_of(&page.body),
            "approve",
        )
        .await;
    assert_eq!(done.status, 302);
    let location = done.location();
    assert!(
        location.starts_with(&format!("{OIDC_REDIRECT}?code=")),
        "{location}"
    );
    assert_eq!(query_names(location), ["code", "state"]);
    assert_eq!(query_value(location, "state").unwrap(), "st-1");
    let code = query_value(location, "code").unwrap();

    let a = h.pkce_exchange(&code, VERIFIER).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let v = a.json();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "id_token",
            "refresh_token",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    assert_eq!(v["scope"], "openid profile offline_access");

    let id_token = v["id_token"].as_str().unwrap();
    let claims = jwt_payload(id_token);
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["iss"], h.sandbox.issuer());
    assert_eq!(claims["aud"], h.sandbox.public_client_id());
    assert!(claims["sub"].as_str().is_some_and(|s| !s.is_empty()));
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert!(exp > iat);
    assert!(claims["auth_time"].as_u64().unwrap() <= iat);
    // The signature verifies with the key published at jwks_uri.
    let header = jwt_header(id_token);
    assert_eq!(header["alg"], "HS256");
    let jwks = h.get("/oidc/jwks").await.json();
    assert_eq!(header["kid"], jwks["keys"][0]["kid"]);
    let key = URL_SAFE_NO_PAD
        .decode(jwks["keys"][0]["k"].as_str().unwrap())
        .unwrap();
    let (signing_input, signature) = id_token.rsplit_once('.').unwrap();
    assert_eq!(
        URL_SAFE_NO_PAD.encode(hmac_sha256(&key, signing_input.as_bytes())),
        signature
    );

    // userinfo knows the same user.
    let resp = h
        .http
        .get(h.url("/oidc/userinfo"))
        .bearer_auth(v["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let info = Answer::of(resp).await;
    assert_eq!(info.status, 200);
    assert_eq!(info.json()["sub"], claims["sub"]);
    assert_eq!(info.json()["name"], "Sandbox User");

    let log = h.sandbox.token_requests();
    assert_eq!(log[0].auth_method, ClientAuthMethod::PublicClient);
    assert_eq!(log[0].grant_type.as_deref(), Some("authorization_code"));
    let stats = h.sandbox.stats();
    assert_eq!(
        (
            stats.oidc_authorize_requests,
            stats.oidc_decision_requests,
            stats.oauth_code_exchanges,
            stats.userinfo_requests
        ),
        (1, 1, 1, 1)
    );
}

#[tokio::test]
async fn verifier_must_match_and_the_code_is_single_use() {
    let h = start().await;
    let location = h
        .authorize_and_decide(&h.authorize_params("s", "n"), "approve")
        .await;
    let code = query_value(&location, "code").unwrap();

    let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl";
    let a = h.pkce_exchange(&code, wrong).await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (400, "invalid_grant".into())
    );
    assert!(
        a.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("code_verifier")
    );
    // Malformed verifiers are invalid_request; a missing one invalid_grant.
    let a = h.pkce_exchange(&code, "too-short").await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (400, "invalid_request".into())
    );
    let a = h
        .form_token(
            "/oidc/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", OIDC_REDIRECT),
                ("client_id", h.sandbox.public_client_id()),
            ],
        )
        .await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (400, "invalid_grant".into())
    );
    // The challenge itself is not a verifier.
    let a = h.pkce_exchange(&code, CHALLENGE).await;
    assert_eq!(a.json()["error"], "invalid_grant");
    // A wrong redirect_uri is invalid_grant as well.
    let a = h
        .form_token(
            "/oidc/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:9/cb"),
                ("client_id", h.sandbox.public_client_id()),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(a.json()["error"], "invalid_grant");
    // Failed attempts did not consume the code: the right verifier works, once.
    assert_eq!(h.pkce_exchange(&code, VERIFIER).await.status, 200);
    let a = h.pkce_exchange(&code, VERIFIER).await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (400, "invalid_grant".into())
    );
    // A public client presenting a secret is refused outright.
    let a = h
        .form_token(
            "/oidc/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", h.sandbox.public_client_id()),
                ("client_secret", "x"),
            ],
        )
        .await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn fresh_verifiers_and_other_registered_redirects_work() {
    let h = start().await;
    let verifier = "a".repeat(43) + "~._-" + &"Z9".repeat(40);
    assert!(verifier.len() <= 128);
    let challenge = s256(&verifier);
    for redirect in [
        "com.example.app:/oauth2redirect",
        "http://127.0.0.1:61000/cb",
    ] {
        let mut params = h.authorize_params("s", "n");
        params[2] = ("redirect_uri", redirect);
        params[6] = ("code_challenge", &challenge);
        params[3] = ("scope", "offline_access");
        let location = h.authorize_and_decide(&params, "approve").await;
        assert!(
            location.starts_with(&format!("{redirect}?code=")),
            "{location}"
        );
        let code = query_value(&location, "code").unwrap();
        let a = h
            .form_token(
                "/oidc/token",
                None,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("client_id", h.sandbox.public_client_id()),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        // No openid scope: no id_token.
        assert!(a.json().get("id_token").is_none());
    }
}

#[tokio::test]
async fn plain_or_missing_pkce_and_bad_parameters_are_refused() {
    let h = start().await;
    let cases: Vec<(usize, (&str, &str), &str)> = vec![
        (7, ("code_challenge_method", "plain"), "invalid_request"),
        (6, ("code_challenge", "short"), "invalid_request"),
        (0, ("response_type", "token"), "unsupported_response_type"),
        (3, ("scope", "openid admin"), "invalid_scope"),
    ];
    for (index, replacement, error) in cases {
        let mut params = h.authorize_params("st-x", "n");
        params[index] = replacement;
        let a = h.authorize(&params).await;
        assert_eq!(a.status, 302, "{replacement:?}: {}", a.body);
        assert!(a.location().starts_with(OIDC_REDIRECT));
        assert_eq!(
            query_value(a.location(), "error").unwrap(),
            error,
            "{replacement:?}"
        );
        assert_eq!(query_value(a.location(), "state").unwrap(), "st-x");
    }
    let description = |a: &Answer| query_value(a.location(), "error_description").unwrap();
    // Missing method (plain by default) and missing challenge.
    let mut params = h.authorize_params("s", "n");
    params.remove(7);
    let a = h.authorize(&params).await;
    assert!(description(&a).contains("S256"), "{}", description(&a));
    params.remove(6);
    let a = h.authorize(&params).await;
    assert_eq!(
        query_value(a.location(), "error").unwrap(),
        "invalid_request"
    );
    assert!(description(&a).contains("code_challenge"));

    // Unknown client, the confidential client, or an unregistered redirect: an error page.
    for (index, replacement) in [
        (1, ("client_id", "who-knows")),
        (1, ("client_id", h.sandbox.client_id())),
        (2, ("redirect_uri", "https://evil.example/cb")),
        (2, ("redirect_uri", "com.example.evil:/oauth2redirect")),
    ] {
        let mut params = h.authorize_params("s", "n");
        params[index] = replacement;
        let a = h.authorize(&params).await;
        assert_eq!(
            (a.status, a.location.is_none()),
            (400, true),
            "{replacement:?}"
        );
    }
    // Nothing was created that could be approved.
    assert_eq!(h.sandbox.stats().oidc_decision_requests, 0);
}

#[tokio::test]
async fn cancel_and_consent_scripts() {
    let h = start().await;
    let location = h
        .authorize_and_decide(&h.authorize_params("c-1", "n"), "cancel")
        .await;
    assert_eq!(query_value(&location, "error").unwrap(), "access_denied");
    assert_eq!(query_value(&location, "state").unwrap(), "c-1");

    h.sandbox.script_consent(ConsentScript::Approve);
    let a = h.authorize(&h.authorize_params("auto", "n2")).await;
    assert_eq!(a.status, 302);
    let code = query_value(a.location(), "code").unwrap();
    let v = h.pkce_exchange(&code, VERIFIER).await.json();
    assert_eq!(jwt_payload(v["id_token"].as_str().unwrap())["nonce"], "n2");
}

async fn refresh_public(h: &Harness, token: &str, scope: Option<&str>) -> Answer {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", h.sandbox.public_client_id()),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    h.form_token("/oidc/token", None, &form).await
}

#[tokio::test]
async fn public_refresh_rotates_and_may_narrow_scope() {
    let h = start_with(SandboxConfig {
        oauth_access_token_lifetime: Duration::from_secs(90),
        ..SandboxConfig::default()
    })
    .await;
    let location = h
        .authorize_and_decide(&h.authorize_params("s", "n"), "approve")
        .await;
    let code = query_value(&location, "code").unwrap();
    let first = h.pkce_exchange(&code, VERIFIER).await.json();
    assert_eq!(first["expires_in"], 90);
    let r1 = first["refresh_token"].as_str().unwrap();

    // Widening is refused and does not burn the token.
    let a = refresh_public(&h, r1, Some("openid banking.ais.read")).await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (400, "invalid_scope".into())
    );

    let second = refresh_public(&h, r1, Some("openid")).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let second = second.json();
    assert_eq!(second["scope"], "openid");
    assert!(second.get("id_token").is_none());
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let a = refresh_public(&h, r1, None).await;
    assert_eq!(
        (a.status, a.json()["error"].clone()),
        (400, "invalid_grant".into())
    );

    // The new refresh token keeps the original grant.
    let r2 = second["refresh_token"].as_str().unwrap();
    let third = refresh_public(&h, r2, None).await.json();
    assert_eq!(third["scope"], "openid profile offline_access");

    // Revocation over the control API.
    let resp = h
        .http
        .post(h.url("/_sandbox/oauth/revoke-refresh-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(parse(&resp.text().await.unwrap())["revoked"], 1);
    let a = refresh_public(&h, third["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(a.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn userinfo_needs_a_user_token() {
    let h = start().await;
    let a = h.get("/oidc/userinfo").await;
    assert_eq!(a.status, 401);
    assert!(
        a.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let cc = h
        .form_token(
            "/oidc/token",
            Some(&h.client_basic()),
            &[("grant_type", "client_credentials")],
        )
        .await
        .json();
    let resp = h
        .http
        .get(h.url("/oidc/userinfo"))
        .bearer_auth(cc["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
}

#[tokio::test]
async fn faults_on_discovery_authorize_and_decision() {
    let h = start().await;
    h.sandbox
        .inject_fault(Endpoint::Discovery, Fault::ServerError(503));
    h.sandbox
        .inject_fault(Endpoint::Discovery, Fault::MalformedJson);
    assert_eq!(
        h.get("/oidc/.well-known/openid-configuration").await.status,
        503
    );
    let a = h.get("/oidc/.well-known/openid-configuration").await;
    assert_eq!(a.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&a.body).is_err());
    assert_eq!(
        h.get("/oidc/.well-known/openid-configuration").await.json()["issuer"],
        h.sandbox.issuer()
    );
    assert_eq!(h.sandbox.stats().discovery_requests, 3);

    h.sandbox
        .inject_fault(Endpoint::OidcAuthorize, Fault::DropConnection);
    let url = h.url(&format!(
        "/oidc/authorize?{}",
        query_string(&h.authorize_params("s", "n"))
    ));
    assert!(h.http.get(&url).send().await.is_err());
    let page = h.authorize(&h.authorize_params("s", "n")).await;
    let id = request_id_of(&page.body);
    h.sandbox
        .inject_fault(Endpoint::OidcDecision, Fault::ServerError(500));
    let a = h
        .consent_decision("/oidc/authorize/decision", &id, "approve")
        .await;
    assert_eq!(a.status, 500);
    let a = h
        .consent_decision("/oidc/authorize/decision", &id, "approve")
        .await;
    assert_eq!(a.status, 302);
    h.sandbox
        .inject_fault(Endpoint::Userinfo, Fault::ServerError(502));
    assert_eq!(h.get("/oidc/userinfo").await.status, 502);
    h.sandbox
        .inject_fault(Endpoint::Jwks, Fault::Delay(Duration::from_millis(50)));
    assert_eq!(h.get("/oidc/jwks").await.status, 200);
}

/// OIDC Core §11: `offline_access` is honoured only with `prompt=consent`. Without it the scope
/// is dropped from the grant and the code brings no refresh token (as oidc-provider answers);
/// a prompt that includes `consent` among others is enough.
#[tokio::test]
async fn offline_access_is_honoured_only_with_prompt_consent() {
    let h = start().await;
    for (prompt, honoured) in [
        (None, false),
        (Some("login"), false),
        (Some("login consent"), true),
    ] {
        let mut params = h.authorize_params("s", "n");
        params.retain(|(name, _)| *name != "prompt");
        if let Some(p) = prompt {
            params.push(("prompt", p));
        }
        let page = h.authorize(&params).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(
            page.body.contains("data-scope=\"offline_access\""),
            honoured,
            "{prompt:?}: the consent page lists what is granted"
        );
        let location = h.authorize_and_decide(&params, "approve").await;
        let code = query_value(&location, "code").unwrap();
        let a = h.pkce_exchange(&code, VERIFIER).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let v = a.json();
        if honoured {
            assert_eq!(v["scope"], "openid profile offline_access");
            assert!(v["refresh_token"].as_str().is_some_and(|r| !r.is_empty()));
        } else {
            assert_eq!(v["scope"], "openid profile", "{prompt:?}");
            assert!(v.get("refresh_token").is_none(), "{prompt:?}: {v}");
            assert!(v["id_token"].is_string());
        }
    }
}
