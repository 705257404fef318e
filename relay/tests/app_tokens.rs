//! App-token verification over real HTTP: missing, malformed, expired, wrongly signed, wrong
//! audience or issuer → `401 InvalidAppToken` with the challenge; RS256 with a PEM public key
//! (committed test key pair), ES256 with a PEM key generated here, and a JWKS served on loopback
//! with key rotation.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use obauth_relay::{AppTokenKey, ServeOptions, derive_user_hash, serve};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};

fn device_with<'a>(h: &'a Harness, token: Option<String>) -> Device<'a> {
    Device {
        http: &h.http,
        base: &h.relay.base,
        token,
    }
}

async fn init_with(h: &Harness, token: Option<String>) -> Answer {
    device_with(h, token).initialize(REDIRECT).await
}

async fn init_with_header(h: &Harness, value: &str) -> Answer {
    let resp = h
        .http
        .post(h.relay.url("/v1/authentication/initialize"))
        .header("authorization", value)
        .header("content-type", "application/json")
        .body(json!({ "redirectUrl": REDIRECT }).to_string())
        .send()
        .await
        .unwrap();
    Answer::of(resp).await
}

#[tokio::test]
async fn missing_malformed_expired_and_wrongly_signed_tokens_get_401() {
    let h = start().await;
    init_with(&h, None).await.assert_invalid_app_token();
    for header in [
        "Bearer",
        "Bearer ",
        "Bearer not.a.jwt",
        "Bearer abc",
        "Basic dXNlcjpwYXNz",
        &format!("Token {}", token("alice")),
    ] {
        init_with_header(&h, header)
            .await
            .assert_invalid_app_token();
    }
    let expired = hs256(&json!({ "sub": "alice", "exp": now() - 600 }), APP_SECRET);
    init_with(&h, Some(expired))
        .await
        .assert_invalid_app_token();
    let not_yet = hs256(
        &json!({ "sub": "alice", "exp": now() + 600, "nbf": now() + 300 }),
        APP_SECRET,
    );
    init_with(&h, Some(not_yet))
        .await
        .assert_invalid_app_token();
    let wrong_key = hs256(
        &json!({ "sub": "alice", "exp": now() + 600 }),
        "another-secret-another-secret-another-secret",
    );
    init_with(&h, Some(wrong_key))
        .await
        .assert_invalid_app_token();
    // A valid token with its signature swapped for another token's.
    let good = token("alice");
    let other = token("mallory");
    let spliced = format!(
        "{}.{}",
        good.rsplit_once('.').unwrap().0,
        other.rsplit_once('.').unwrap().1
    );
    init_with(&h, Some(spliced))
        .await
        .assert_invalid_app_token();
    // Required claims.
    let no_sub = hs256(&json!({ "exp": now() + 600 }), APP_SECRET);
    init_with(&h, Some(no_sub)).await.assert_invalid_app_token();
    let empty_sub = hs256(&json!({ "sub": "", "exp": now() + 600 }), APP_SECRET);
    init_with(&h, Some(empty_sub))
        .await
        .assert_invalid_app_token();
    let no_exp = hs256(&json!({ "sub": "alice" }), APP_SECRET);
    init_with(&h, Some(no_exp)).await.assert_invalid_app_token();
    // alg "none".
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(json!({ "sub": "alice", "exp": now() + 600 }).to_string());
    init_with(&h, Some(format!("{header}.{claims}.")))
        .await
        .assert_invalid_app_token();
    // Every other route needs the token as well.
    for (method, path) in [
        ("GET", "/v1/authentication/x/status"),
        ("POST", "/v1/authentication/tokens"),
        ("POST", "/v1/authentication/unattended"),
        ("POST", "/v1/oauth/token"),
    ] {
        let req = h.http.request(method.parse().unwrap(), h.relay.url(path));
        Answer::of(req.body("{}").send().await.unwrap())
            .await
            .assert_invalid_app_token();
    }
    assert_eq!(h.sandbox.stats().initialize_requests, 0);
    // And the good token works.
    assert_eq!(init_with(&h, Some(good)).await.status, 200);
}

#[tokio::test]
async fn issuer_and_audience_are_required_and_checked_when_configured() {
    const ISS: &str = "https://login.example.com";
    const AUD: &str = "obauth-app";
    let h = start_with(|c| {
        c.app_token.issuer = Some(ISS.into());
        c.app_token.audience = Some(AUD.into());
    })
    .await;
    let claims = |extra: Value| {
        let mut c = json!({ "sub": "alice", "exp": now() + 600 });
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        hs256(&c, APP_SECRET)
    };
    for bad in [
        json!({ "iss": ISS, "aud": "another-app" }),
        json!({ "iss": ISS, "aud": ["x", "y"] }),
        json!({ "iss": ISS }),
        json!({ "iss": "https://evil.example", "aud": AUD }),
        json!({ "aud": AUD }),
    ] {
        init_with(&h, Some(claims(bad.clone())))
            .await
            .assert_invalid_app_token();
    }
    assert_eq!(h.sandbox.stats().initialize_requests, 0);
    for good in [
        json!({ "iss": ISS, "aud": AUD }),
        json!({ "iss": ISS, "aud": ["x", AUD] }),
    ] {
        let a = init_with(&h, Some(claims(good))).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    // The issuer is part of the user hash.
    let expected = derive_user_hash(RELAY_KEY.as_bytes(), ISS, "alice");
    assert!(h.sandbox.sessions().iter().all(|s| s.user_hash == expected));
    assert_ne!(
        expected,
        derive_user_hash(RELAY_KEY.as_bytes(), "", "alice")
    );
}

#[tokio::test]
async fn rs256_with_a_pem_public_key() {
    let sandbox = sandbox().await;
    let relay = start_relay(config_with_key(
        &sandbox,
        AppTokenKey::PublicKeyPem(fixture("rsa-public.pem")),
    ))
    .await;
    let h = Harness {
        sandbox,
        relay,
        http: client(),
    };
    let private = EncodingKey::from_rsa_pem(&fixture("rsa-private.pem")).unwrap();
    let claims = json!({ "sub": "rsa-user", "exp": now() + 600 });
    let rs256 = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &private).unwrap();
    let a = init_with(&h, Some(rs256)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(h.sandbox.sessions()[0].user_hash, h.user_hash("rsa-user"));
    // An HS256 token "signed" with the public key as the secret (algorithm confusion) fails,
    // and so does an HS256 token with the usual secret.
    let confused = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&fixture("rsa-public.pem")),
    )
    .unwrap();
    init_with(&h, Some(confused))
        .await
        .assert_invalid_app_token();
    init_with(&h, Some(token("rsa-user")))
        .await
        .assert_invalid_app_token();
    // An expired RS256 token fails too.
    let expired = jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &json!({ "sub": "rsa-user", "exp": now() - 600 }),
        &private,
    )
    .unwrap();
    init_with(&h, Some(expired))
        .await
        .assert_invalid_app_token();
}

/// A P-256 key pair made here: the signing key and the public point (`04 ‖ x ‖ y`).
struct EcKey {
    signing: EncodingKey,
    point: Vec<u8>,
}

impl EcKey {
    fn generate() -> EcKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        EcKey {
            signing: EncodingKey::from_ec_der(pkcs8.as_ref()),
            point: pair.public_key().as_ref().to_vec(),
        }
    }

    /// The SubjectPublicKeyInfo PEM (the fixed P-256 prefix, then the point).
    fn public_pem(&self) -> Vec<u8> {
        let mut der = vec![
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        der.extend_from_slice(&self.point);
        let b64 = STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
        .into_bytes()
    }

    fn jwk(&self, kid: &str) -> Value {
        json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&self.point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&self.point[33..65]),
        })
    }

    fn token(&self, kid: Option<&str>, sub: &str) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(
            &header,
            &json!({ "sub": sub, "exp": now() + 600 }),
            &self.signing,
        )
        .unwrap()
    }
}

#[tokio::test]
async fn es256_with_a_pem_public_key_generated_here() {
    let key = EcKey::generate();
    let sandbox = sandbox().await;
    let relay = start_relay(config_with_key(
        &sandbox,
        AppTokenKey::PublicKeyPem(key.public_pem()),
    ))
    .await;
    let h = Harness {
        sandbox,
        relay,
        http: client(),
    };
    let a = init_with(&h, Some(key.token(None, "ec-user"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let stranger = EcKey::generate();
    init_with(&h, Some(stranger.token(None, "ec-user")))
        .await
        .assert_invalid_app_token();
}

/// A JWKS document served on loopback; counts fetches.
struct JwksServer {
    url: String,
    doc: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn jwks_server(doc: Value) -> JwksServer {
    let doc = Arc::new(Mutex::new(doc));
    let fetches = Arc::new(AtomicUsize::new(0));
    let router = {
        let (doc, fetches) = (doc.clone(), fetches.clone());
        Router::new().route(
            "/.well-known/jwks.json",
            get(move || {
                fetches.fetch_add(1, Ordering::SeqCst);
                let body = doc.lock().unwrap().to_string();
                async move { body }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, router, ServeOptions::default(), async {
        let _ = stopped.await;
    }));
    JwksServer {
        url,
        doc,
        fetches,
        _stop: stop,
    }
}

#[tokio::test]
async fn jwks_keys_are_cached_and_refetched_on_an_unknown_kid() {
    let (k1, k2) = (EcKey::generate(), EcKey::generate());
    let rsa: Value = serde_json::from_slice(&fixture("rsa-jwks.json")).unwrap();
    let rsa_jwk = rsa["keys"][0].clone();
    let jwks = jwks_server(json!({ "keys": [k1.jwk("k1"), rsa_jwk.clone()] })).await;
    let sandbox = sandbox().await;
    let mut cfg = config_with_key(&sandbox, AppTokenKey::JwksUrl(jwks.url.parse().unwrap()));
    cfg.limits.jwks_min_refresh_interval = Duration::ZERO;
    let relay = start_relay(cfg).await;
    relay.relay.warm_up().await;
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), 1);
    let h = Harness {
        sandbox,
        relay,
        http: client(),
    };
    // Known kid: served from the cache.
    for _ in 0..3 {
        let a = init_with(&h, Some(k1.token(Some("k1"), "jwks-user"))).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    // No kid: every key of the token's algorithm is tried.
    assert_eq!(
        init_with(&h, Some(k1.token(None, "jwks-user")))
            .await
            .status,
        200
    );
    // RS256 from the same set.
    let private = EncodingKey::from_rsa_pem(&fixture("rsa-private.pem")).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-1".into());
    let rs = jsonwebtoken::encode(
        &header,
        &json!({ "sub": "jwks-user", "exp": now() + 600 }),
        &private,
    )
    .unwrap();
    assert_eq!(init_with(&h, Some(rs)).await.status, 200);
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), 1);
    // A token signed by k1 but naming a kid of another algorithm is refused.
    init_with(&h, Some(k1.token(Some("rsa-1"), "jwks-user")))
        .await
        .assert_invalid_app_token();

    // Rotation: the issuer now publishes k2 only.
    *jwks.doc.lock().unwrap() = json!({ "keys": [k2.jwk("k2")] });
    let fetches = jwks.fetches.load(Ordering::SeqCst);
    let a = init_with(&h, Some(k2.token(Some("k2"), "jwks-user"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), fetches + 1);
    // k1 was withdrawn: a token naming it is refused (after one more look at the JWKS).
    init_with(&h, Some(k1.token(Some("k1"), "jwks-user")))
        .await
        .assert_invalid_app_token();
    // A token signed by k1 that claims to be k2 fails on the signature.
    init_with(&h, Some(k1.token(Some("k2"), "jwks-user")))
        .await
        .assert_invalid_app_token();
}

#[tokio::test]
async fn unknown_kids_do_not_hammer_the_jwks() {
    let k1 = EcKey::generate();
    let jwks = jwks_server(json!({ "keys": [k1.jwk("k1")] })).await;
    let sandbox = sandbox().await;
    let mut cfg = config_with_key(&sandbox, AppTokenKey::JwksUrl(jwks.url.parse().unwrap()));
    cfg.limits.jwks_min_refresh_interval = Duration::from_secs(60);
    let relay = start_relay(cfg).await;
    let h = Harness {
        sandbox,
        relay,
        http: client(),
    };
    assert_eq!(
        init_with(&h, Some(k1.token(Some("k1"), "u1"))).await.status,
        200
    );
    for i in 0..10 {
        init_with(&h, Some(k1.token(Some(&format!("unknown-{i}")), "u1")))
            .await
            .assert_invalid_app_token();
    }
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unreachable_jwks_means_401_not_a_crash() {
    let k1 = EcKey::generate();
    let sandbox = sandbox().await;
    // A port nothing listens on.
    let free = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", free.local_addr().unwrap());
    drop(free);
    let relay = start_relay(config_with_key(
        &sandbox,
        AppTokenKey::JwksUrl(url.parse().unwrap()),
    ))
    .await;
    let h = Harness {
        sandbox,
        relay,
        http: client(),
    };
    init_with(&h, Some(k1.token(Some("k1"), "u1")))
        .await
        .assert_invalid_app_token();
    assert!(logs().iter().any(|l| l.contains("JWKS fetch from")));
}

#[tokio::test]
async fn configuration_errors_are_reported_without_secrets() {
    let sandbox = sandbox().await;
    let cases: Vec<(obauth_relay::RelayConfig, &str)> = vec![
        (
            obauth_relay::RelayConfig {
                relay_key: obauth_relay::Secret::from("short-key"),
                ..config(&sandbox)
            },
            "relay key",
        ),
        (
            config_with_key(
                &sandbox,
                AppTokenKey::Hs256(obauth_relay::Secret::from("short-hs-secret")),
            ),
            "HS256",
        ),
        (
            config_with_key(&sandbox, AppTokenKey::PublicKeyPem(b"not a pem".to_vec())),
            "PEM",
        ),
        (
            config_with_key(
                &sandbox,
                AppTokenKey::PublicKeyPem(fixture("rsa-private.pem")),
            ),
            "private key",
        ),
        (
            config_with_key(
                &sandbox,
                AppTokenKey::JwksUrl("http://idp.example/jwks".parse().unwrap()),
            ),
            "JWKS",
        ),
        (
            obauth_relay::RelayConfig {
                upstream: "http://provider.example".parse().unwrap(),
                ..config(&sandbox)
            },
            "--upstream",
        ),
        (
            obauth_relay::RelayConfig {
                allow_redirects: vec!["https://*.example.com/cb".into()],
                ..config(&sandbox)
            },
            "--allow-redirect",
        ),
    ];
    for (cfg, expect) in cases {
        let err = obauth_relay::Relay::new(cfg).unwrap_err().to_string();
        assert!(err.contains(expect), "{err}");
        for secret in ["short-key", "short-hs-secret", PARTNER_SECRET, RELAY_KEY] {
            assert!(!err.contains(secret), "{err}");
        }
    }
}
