//! The client-credentials grant end to end (`aritma-psd2-client-credentials.md`,
//! `apiture-client-credentials.md`): Aritma's `client_secret_post` at a known token URL, Apiture's
//! `client_secret_basic` at the endpoint discovered from the issuer (discovery cached per
//! client), the scope echoed, a wrong secret, asking again shortly before expiry (there is no
//! refresh token), and configurations refused before any request.

use std::time::Duration;

use obauth::{
    ClientAuth, ClientCredentialsConfig, DEFAULT_REFRESH_SKEW, Error, ErrorCategory, OidcClient,
    Secret,
};
use obauth_e2e::{Secrets, sandbox, sandbox_with};
use obauth_sandbox::{ClientAuthMethod, Endpoint, Sandbox, SandboxConfig};

use crate::err;

const ARITMA_SCOPE: &str = "banking.channel.psd2 banking.ais.read";

fn config(sandbox: &Sandbox, client_auth: ClientAuth) -> ClientCredentialsConfig {
    ClientCredentialsConfig {
        token_url: None,
        issuer: None,
        client_id: sandbox.client_id().to_owned(),
        client_secret: Secret::new(sandbox.client_secret()),
        scope: None,
        client_auth,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aritma_client_secret_post_at_the_token_url() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    let mut cfg = config(&sandbox, ClientAuth::Post);
    cfg.token_url = Some(format!("{}/connect/token", sandbox.base_url()));
    cfg.scope = Some(format!("  {}  ", ARITMA_SCOPE.replace(' ', "   ")));
    let manager = oidc
        .client_credentials(cfg, DEFAULT_REFRESH_SKEW)
        .await
        .unwrap();
    assert_eq!(
        sandbox.stats().oidc_token_requests,
        0,
        "the first token is requested lazily"
    );
    let tokens = manager.fresh_token().await.expect("a token");
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.scope.as_deref(), Some(ARITMA_SCOPE), "scope echoed");
    assert_eq!(
        tokens.refresh_token, None,
        "no refresh token for this grant"
    );
    assert_eq!(tokens.id_token, None);
    let expires_in = tokens.expires_in(obauth::timestamp::now()).unwrap();
    assert!((3590..=3600).contains(&expires_in), "{expires_in}");
    assert!(sandbox.is_access_token_active(tokens.access_token.expose()));

    let log = sandbox.token_requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].endpoint, Endpoint::OidcToken);
    assert_eq!(log[0].path, "/connect/token");
    assert_eq!(log[0].grant_type.as_deref(), Some("client_credentials"));
    assert_eq!(log[0].auth_method, ClientAuthMethod::ClientSecretPost);
    assert_eq!(log[0].auth_method.as_str(), "client_secret_post");
    assert_eq!(log[0].client_id.as_deref(), Some(sandbox.client_id()));
    assert_eq!(log[0].status, 200);
    let stats = sandbox.stats();
    assert_eq!(stats.client_secret_post_requests, 1, "{stats:?}");
    assert_eq!(stats.client_secret_basic_requests, 0, "{stats:?}");
    assert_eq!(stats.client_credentials_grants, 1, "{stats:?}");
    assert_eq!(
        stats.discovery_requests, 0,
        "a token URL needs no discovery"
    );

    // Reused until shortly before expiry.
    let again = manager.fresh_token().await.unwrap();
    assert_eq!(again.access_token, tokens.access_token);
    assert_eq!(manager.renewals(), 1);
    assert_eq!(sandbox.stats().client_credentials_grants, 1);

    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add("access token", tokens.access_token.expose());
    secrets.assert_debug_clean("tokens", &tokens);
    secrets.assert_debug_clean("token manager", &manager);
    secrets.assert_debug_clean("oidc client", &oidc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apiture_client_secret_basic_via_discovery_is_cached() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    let mut cfg = config(&sandbox, ClientAuth::Basic);
    cfg.issuer = Some(sandbox.issuer());
    let first = oidc
        .client_credentials(cfg.clone(), DEFAULT_REFRESH_SKEW)
        .await
        .unwrap();
    assert_eq!(sandbox.stats().discovery_requests, 1);
    let t1 = first.fresh_token().await.expect("a token");
    assert_eq!(t1.token_type, "Bearer");
    assert_eq!(
        t1.scope.as_deref(),
        Some(ARITMA_SCOPE),
        "no scope asked: all granted"
    );

    // A second manager on the same client reuses the discovery document.
    cfg.scope = Some("banking.ais.read".into());
    let second = oidc
        .client_credentials(cfg, DEFAULT_REFRESH_SKEW)
        .await
        .unwrap();
    let t2 = second.fresh_token().await.expect("a token");
    assert_eq!(t2.scope.as_deref(), Some("banking.ais.read"));
    assert_ne!(t2.access_token, t1.access_token);
    let metadata = oidc.discover(&sandbox.issuer()).await.unwrap();
    assert_eq!(
        metadata.token_endpoint,
        format!("{}/token", sandbox.issuer())
    );
    assert!(
        metadata
            .token_endpoint_auth_methods_supported
            .iter()
            .any(|m| m == "client_secret_basic")
    );

    let stats = sandbox.stats();
    assert_eq!(stats.discovery_requests, 1, "cached: {stats:?}");
    assert_eq!(stats.client_secret_basic_requests, 2, "{stats:?}");
    assert_eq!(stats.client_secret_post_requests, 0, "{stats:?}");
    assert_eq!(stats.client_credentials_grants, 2, "{stats:?}");
    let log = sandbox.token_requests();
    assert_eq!(log.len(), 2, "{log:?}");
    for record in &log {
        assert_eq!(record.path, "/oidc/token", "the discovered endpoint");
        assert_eq!(record.grant_type.as_deref(), Some("client_credentials"));
        assert_eq!(record.auth_method, ClientAuthMethod::ClientSecretBasic);
        assert_eq!(record.client_id.as_deref(), Some(sandbox.client_id()));
        assert_eq!(record.status, 200);
    }
    // A fresh client fetches discovery itself.
    let other = OidcClient::new().unwrap();
    other.discover(&sandbox.issuer()).await.unwrap();
    assert_eq!(sandbox.stats().discovery_requests, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_is_bad_client_credentials() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    let wrong = "not-the-sandbox-secret-123";
    for auth in [ClientAuth::Post, ClientAuth::Basic] {
        let mut cfg = config(&sandbox, auth);
        cfg.token_url = Some(format!("{}/connect/token", sandbox.base_url()));
        cfg.client_secret = Secret::new(wrong);
        let manager = oidc
            .client_credentials(cfg, DEFAULT_REFRESH_SKEW)
            .await
            .unwrap();
        let e = manager.fresh_token().await.unwrap_err();
        assert_eq!(e, Error::BadClientCredentials, "{auth:?}");
        assert_eq!(e.category(), ErrorCategory::Fatal);
        assert!(!e.to_string().contains(wrong) && !format!("{e:?}").contains(wrong));
        assert!(!format!("{manager:?}").contains(wrong));
    }
    let log = sandbox.token_requests();
    assert_eq!(log.len(), 2, "a 401 is not retried: {log:?}");
    assert_eq!(log[0].auth_method, ClientAuthMethod::ClientSecretPost);
    assert_eq!(log[1].auth_method, ClientAuthMethod::ClientSecretBasic);
    for record in &log {
        assert_eq!(
            (record.status, record.error.as_deref()),
            (401, Some("invalid_client"))
        );
    }
    let stats = sandbox.stats();
    assert_eq!(stats.client_credentials_grants, 0, "{stats:?}");
    assert_eq!(
        (
            stats.client_secret_basic_requests,
            stats.client_secret_post_requests
        ),
        (0, 0),
        "neither authenticated: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_token_is_requested_shortly_before_expiry() {
    let sandbox = sandbox_with(SandboxConfig {
        client_credentials_token_lifetime: Duration::from_secs(2),
        ..SandboxConfig::default()
    })
    .await;
    let oidc = OidcClient::new().unwrap();
    let mut cfg = config(&sandbox, ClientAuth::Post);
    cfg.token_url = Some(format!("{}/connect/token", sandbox.base_url()));
    let skew = Duration::from_secs(1);
    let manager = oidc.client_credentials(cfg, skew).await.unwrap();
    let t1 = manager.fresh_token().await.unwrap();
    let left = t1.expires_in(obauth::timestamp::now());
    assert!(matches!(left, Some(1 | 2)), "2 s, minus a bit: {left:?}");
    // Still valid for more than the skew: reused.
    let again = manager.fresh_token().await.unwrap();
    assert_eq!(again.access_token, t1.access_token);
    assert_eq!(sandbox.stats().client_credentials_grants, 1);

    // Once within the skew of its expiry, the next call asks for a new one.
    let expires = t1.expires_at.unwrap();
    let wait =
        obauth::timestamp::now().until(expires).saturating_sub(skew) + Duration::from_millis(50);
    tokio::time::sleep(wait).await;
    let t2 = manager.fresh_token().await.unwrap();
    assert_ne!(t2.access_token, t1.access_token);
    assert!(
        sandbox.is_access_token_active(t1.access_token.expose()),
        "renewed before the old token expired"
    );
    assert_eq!(manager.renewals(), 2);
    let stats = sandbox.stats();
    assert_eq!(stats.client_credentials_grants, 2, "{stats:?}");
    assert_eq!(stats.client_secret_post_requests, 2, "{stats:?}");
    assert_eq!(manager.current().unwrap().access_token, t2.access_token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_configuration_is_refused_before_any_request() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    let token_url = format!("{}/connect/token", sandbox.base_url());
    let base = || {
        let mut c = config(&sandbox, ClientAuth::Post);
        c.token_url = Some(token_url.clone());
        c
    };
    let cases: Vec<(&str, ClientCredentialsConfig, &str)> = vec![
        (
            "both token URL and issuer",
            ClientCredentialsConfig {
                issuer: Some(sandbox.issuer()),
                ..base()
            },
            "tokenUrl",
        ),
        (
            "neither token URL nor issuer",
            ClientCredentialsConfig {
                token_url: None,
                ..base()
            },
            "tokenUrl",
        ),
        (
            "empty secret",
            ClientCredentialsConfig {
                client_secret: Secret::new(""),
                ..base()
            },
            "clientSecret",
        ),
        (
            "empty client id",
            ClientCredentialsConfig {
                client_id: "  ".into(),
                ..base()
            },
            "clientId",
        ),
        (
            "plain http token URL",
            ClientCredentialsConfig {
                token_url: Some("http://id.dev.aritma.io/connect/token".into()),
                ..base()
            },
            "tokenUrl",
        ),
        (
            "plain http issuer",
            ClientCredentialsConfig {
                token_url: None,
                issuer: Some("http://auth.apiture.com/oidc".into()),
                ..base()
            },
            "issuer",
        ),
        (
            "no client authentication",
            ClientCredentialsConfig {
                client_auth: ClientAuth::None,
                ..base()
            },
            "clientAuth",
        ),
        (
            "':' in the client id with Basic",
            ClientCredentialsConfig {
                client_id: "a:b".into(),
                client_auth: ClientAuth::Basic,
                ..base()
            },
            "clientId",
        ),
        (
            "a quote in the scope",
            ClientCredentialsConfig {
                scope: Some("banking.ais.read \"x".into()),
                ..base()
            },
            "scope",
        ),
    ];
    for (what, cfg, expected_field) in cases {
        let e = err(oidc.client_credentials(cfg, DEFAULT_REFRESH_SKEW).await);
        match &e {
            Error::InvalidInput { field, .. } => assert_eq!(*field, expected_field, "{what}"),
            other => panic!("{what}: {other:?}"),
        }
        assert_eq!(e.category(), ErrorCategory::InvalidInput, "{what}");
        assert!(
            !e.to_string().contains(sandbox.client_secret()),
            "{what}: {e}"
        );
    }
    let stats = sandbox.stats();
    assert_eq!(
        (stats.oidc_token_requests, stats.discovery_requests),
        (0, 0),
        "nothing was sent: {stats:?}"
    );
    assert!(sandbox.token_requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_calls_share_one_grant_and_issuer_spellings_share_discovery() {
    let sandbox = sandbox().await;
    let oidc = OidcClient::new().unwrap();
    // Apiture writes its authority with a trailing slash; it is the same issuer.
    let mut cfg = config(&sandbox, ClientAuth::Basic);
    cfg.issuer = Some(format!("{}/", sandbox.issuer()));
    let manager = oidc
        .client_credentials(cfg, DEFAULT_REFRESH_SKEW)
        .await
        .expect("discovery accepts the issuer without the slash");
    oidc.discover(&sandbox.issuer()).await.unwrap();
    assert_eq!(sandbox.stats().discovery_requests, 1, "one cache entry");

    let callers: Vec<_> = (0..10)
        .map(|_| {
            let manager = manager.clone();
            tokio::spawn(async move { manager.fresh_token().await })
        })
        .collect();
    let mut tokens = Vec::new();
    for caller in callers {
        tokens.push(caller.await.unwrap().expect("a token"));
    }
    assert!(
        tokens
            .iter()
            .all(|t| t.access_token == tokens[0].access_token),
        "everyone got the same token"
    );
    assert_eq!(manager.renewals(), 1);
    let stats = sandbox.stats();
    assert_eq!(stats.client_credentials_grants, 1, "{stats:?}");
    assert_eq!(stats.oidc_token_requests, 1, "{stats:?}");
}
