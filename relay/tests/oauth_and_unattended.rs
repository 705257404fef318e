//! `/v1/oauth/token` (Aiia Data) through the relay against the sandbox, `/v1/authentication/
//! unattended` against a recording stand-in provider (the sandbox has no unattended endpoint
//! yet), and TLS termination with the committed test certificate.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use common::*;
use obauth_relay::{ServeOptions, TlsConfig, serve};
use obauth_sandbox::{ClientAuthMethod, ConsentScript, SandboxConfig};
use reqwest::header::LOCATION;
use serde_json::{Value, json};

/// Runs the Aiia connect flow on the sandbox (consent approved at once); returns the code.
async fn connect_code(h: &Harness, redirect: &str) -> String {
    let mut url = url::Url::parse(&(h.sandbox.base_url() + "/v1/oauth/connect")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", h.sandbox.client_id())
        .append_pair("redirect_uri", redirect)
        .append_pair("scope", "accounts offline_access")
        .append_pair("response_type", "code")
        .append_pair("state", "st");
    let mut next = url.to_string();
    for _ in 0..4 {
        let resp = h.http.get(&next).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 302, "{next}");
        next = resp.headers()[LOCATION].to_str().unwrap().to_owned();
        if next.starts_with(redirect) {
            let url = url::Url::parse(&next).unwrap();
            return url
                .query_pairs()
                .find(|(k, _)| k == "code")
                .unwrap()
                .1
                .into_owned();
        }
        if next.starts_with('/') {
            next = h.sandbox.base_url() + &next;
        }
    }
    panic!("no redirect with a code");
}

#[tokio::test]
async fn oauth_code_and_refresh_grants_get_basic_auth_and_the_allowlist_check() {
    let h = start().await;
    h.sandbox.script_consent(ConsentScript::Approve);
    let device = Device::new(&h.http, &h.relay, "oauth-user");

    // A redirect_uri off the allowlist: refused before the provider hears of it.
    let code = connect_code(&h, REDIRECT).await;
    let a = device
        .post(
            "/v1/oauth/token",
            &json!({ "grant_type": "authorization_code", "code": code,
                     "redirect_uri": "https://evil.example/cb" }),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body, r#"{"error":"RedirectUrlNotAllowed"}"#);
    let a = device
        .post(
            "/v1/oauth/token",
            &json!({ "grant_type": "authorization_code", "code": code }),
        )
        .await;
    a.assert_error(400, "InvalidRequest");
    let a = device
        .post(
            "/v1/oauth/token",
            &json!({ "grant_type": "client_credentials" }),
        )
        .await;
    a.assert_error(400, "unsupported_grant_type");
    assert!(h.sandbox.token_requests().is_empty());

    // The code grant, with a device-sent client_secret that the relay drops.
    let a = device
        .post(
            "/v1/oauth/token",
            &json!({ "grant_type": "authorization_code", "code": code,
                     "redirect_uri": REDIRECT, "client_secret": "device-guess" }),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let tokens = a.json();
    assert_eq!(tokens["token_type"], "bearer");
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let log = h.sandbox.token_requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].auth_method, ClientAuthMethod::ClientSecretBasic);
    assert_eq!(log[0].client_id.as_deref(), Some(h.sandbox.client_id()));

    // The refresh grant.
    let a = device
        .post(
            "/v1/oauth/token",
            &json!({ "grant_type": "refresh_token", "refresh_token": refresh }),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_ne!(a.json()["refresh_token"], refresh.as_str());
    // The rotated-out token: the provider's 400 passes through.
    let a = device
        .post(
            "/v1/oauth/token",
            &json!({ "grant_type": "refresh_token", "refresh_token": refresh }),
        )
        .await;
    a.assert_error(400, "invalid_grant");
    assert_eq!(h.sandbox.stats().refresh_grants, 1);
}

#[tokio::test]
async fn oauth_token_with_wrong_partner_credentials_is_502() {
    let sandbox = obauth_sandbox::Sandbox::start(SandboxConfig {
        consent_script: ConsentScript::Approve,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let mut cfg = config(&sandbox);
    cfg.credentials.client_secret = obauth_relay::Secret::from("not-the-secret");
    let relay = start_relay(cfg).await;
    let h = Harness {
        sandbox,
        relay,
        http: client(),
    };
    let code = connect_code(&h, REDIRECT).await;
    let a = Device::new(&h.http, &h.relay, "u")
        .post(
            "/v1/oauth/token",
            &json!({ "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT }),
        )
        .await;
    assert_eq!(a.status, 502);
    assert_eq!(a.body, r#"{"error":"UpstreamUnauthorized"}"#);
    assert!(a.header("www-authenticate").is_none());
}

/// What the stand-in provider saw.
#[derive(Default)]
struct Seen {
    headers: Vec<HeaderMap>,
    bodies: Vec<Value>,
}

#[tokio::test]
async fn unattended_sends_the_derived_user_hash_and_passes_the_answer_through() {
    // The sandbox has no unattended endpoint yet: a stand-in provider records the request.
    let seen = Arc::new(Mutex::new(Seen::default()));
    let router = {
        let seen = seen.clone();
        Router::new().route(
            "/v1/authentication/unattended",
            post(move |headers: HeaderMap, body: Bytes| {
                let mut s = seen.lock().unwrap();
                s.headers.push(headers);
                s.bodies.push(serde_json::from_slice(&body).unwrap());
                async {
                    (
                        [("content-type", "application/json")],
                        r#"{"success":true,"session":{"accessToken":"at"},"providerId":"DemoBank"}"#,
                    )
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, router, ServeOptions::default(), async {
        let _ = stopped.await;
    }));

    let sandbox = sandbox().await;
    let mut cfg = config(&sandbox);
    cfg.upstream = base.parse().unwrap();
    let relay = start_relay(cfg).await;
    let http = client();
    let device = Device::new(&http, &relay, "unattended-user");
    let missing = device
        .post("/v1/authentication/unattended", &json!({}))
        .await;
    missing.assert_error(400, "InvalidRequest");
    let a = device
        .post(
            "/v1/authentication/unattended",
            &json!({ "loginToken": "-ELT2-abc", "userHash": "attacker-picked" }),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body,
        r#"{"success":true,"session":{"accessToken":"at"},"providerId":"DemoBank"}"#
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.bodies.len(), 1);
    assert_eq!(
        seen.bodies[0],
        json!({ "loginToken": "-ELT2-abc", "userHash": relay.relay.user_hash("", "unattended-user") })
    );
    let headers = &seen.headers[0];
    assert_eq!(headers["x-client-id"], sandbox.client_id());
    assert_eq!(headers["x-client-secret"], sandbox.client_secret());
    assert!(
        headers.get("authorization").is_none(),
        "the app token is not forwarded"
    );
}

#[tokio::test]
async fn unattended_against_the_sandbox_passes_its_answer_through() {
    // The relay passes the provider's answer through, not an answer of its own: the same status
    // and body as the sandbox gives the partner for the derived userHash (an unknown login token
    // here).
    let h = start().await;
    let a = Device::new(&h.http, &h.relay, "u")
        .post(
            "/v1/authentication/unattended",
            &json!({ "loginToken": "-ELT2-abc" }),
        )
        .await;
    let direct = Answer::of(
        h.http
            .post(h.sandbox.base_url() + "/v1/authentication/unattended")
            .header("x-client-id", h.sandbox.client_id())
            .header("x-client-secret", h.sandbox.client_secret())
            .header("content-type", "application/json")
            .body(json!({ "loginToken": "-ELT2-abc", "userHash": h.user_hash("u") }).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(a.status >= 400, "{}", a.body);
    assert_eq!((a.status, &a.body), (direct.status, &direct.body));
}

#[tokio::test]
async fn tls_termination_with_a_pem_certificate_and_key() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let tls = TlsConfig::from_pem_files(
        format!("{dir}/tls-cert.pem").as_ref(),
        format!("{dir}/tls-key.pem").as_ref(),
    )
    .unwrap();
    let sandbox = sandbox().await;
    let relay = start_relay_with(
        config(&sandbox),
        ServeOptions {
            tls: Some(tls),
            ..ServeOptions::default()
        },
    )
    .await;
    assert!(relay.base.starts_with("https://127.0.0.1:"));

    // A client that trusts only the test certificate.
    let mut roots = rustls::RootCertStore::empty();
    let cert = rustls::pki_types::pem::PemObject::from_pem_slice(&fixture("tls-cert.pem")).unwrap();
    roots.add(cert).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls_client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let https = reqwest::Client::builder()
        .tls_backend_preconfigured(tls_client)
        .no_proxy()
        .build()
        .unwrap();
    let a = Answer::of(https.get(relay.url("/healthz")).send().await.unwrap()).await;
    assert_eq!(a.status, 200);
    let device = Device::new(&https, &relay, "tls-user");
    assert_eq!(device.initialize(REDIRECT).await.status, 200);
    device
        .post(
            "/v1/authentication/initialize",
            &json!({ "redirectUrl": "https://evil.example/" }),
        )
        .await
        .assert_error(400, "RedirectUrlNotAllowed");
    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = client()
        .get(relay.url("/healthz").replace("https://", "http://"))
        .send()
        .await;
    assert!(plain.is_err() || plain.unwrap().status().as_u16() != 200);
    // Files that do not exist, or a key that is not one, are configuration errors.
    let err = TlsConfig::from_pem_files(
        format!("{dir}/missing.pem").as_ref(),
        format!("{dir}/tls-key.pem").as_ref(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("--tls-cert"), "{err}");
    let err = TlsConfig::from_pem_files(
        format!("{dir}/tls-cert.pem").as_ref(),
        format!("{dir}/tls-cert.pem").as_ref(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("--tls-key"), "{err}");
}
