//! The token lifecycle against the sandbox's token endpoints: a connect-flow access token
//! refreshed as it nears expiry (with refresh-token rotation and secure-storage persistence),
//! `invalid_grant` after the user withdrew consent (re-authenticate, and fail fast from then
//! on), single-flight renewal under 20 concurrent callers, and expiries that slide with
//! `X-Access-Token-Expires` (connect tokens and supervised-login sessions).

use std::sync::Arc;
use std::time::Duration;

use obauth::{
    DEFAULT_REFRESH_SKEW, Error, ErrorCategory, MemoryStorage, SecureStorage, Timestamp, TokenSet,
};
use obauth_e2e::oauth_browser::{add_token_set, connect_tokens};
use obauth_e2e::{Secrets, begin, client, outcome, params, sandbox, sandbox_with};
use obauth_sandbox::{ClientAuthMethod, Endpoint, Fault, SandboxConfig, UserScript};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_near_expiry_rotates_the_refresh_token() {
    let sandbox = sandbox_with(SandboxConfig {
        oauth_access_token_lifetime: Duration::from_secs(2),
        ..SandboxConfig::default()
    })
    .await;
    let client = client(&sandbox);
    let (tokens, _) = connect_tokens(&client).await;
    let left = tokens.expires_in(obauth::timestamp::now());
    assert!(matches!(left, Some(1 | 2)), "{left:?}");
    let skew = Duration::from_secs(1);
    let manager = client.connect_tokens(tokens.clone(), skew);
    let storage = Arc::new(MemoryStorage::default());
    manager.persist_to(storage.clone(), "tokens").unwrap();
    assert_eq!(
        TokenSet::from_json(&storage.load("tokens").unwrap().unwrap()).unwrap(),
        tokens
    );

    // More than the skew left: handed out as is.
    let same = manager.fresh_token().await.unwrap();
    assert_eq!(same, tokens);
    assert_eq!(manager.renewals(), 0);
    assert_eq!(sandbox.stats().refresh_grants, 0);

    // Within the skew of its expiry: refreshed first.
    let wait = obauth::timestamp::now()
        .until(tokens.expires_at.unwrap())
        .saturating_sub(skew)
        + Duration::from_millis(50);
    tokio::time::sleep(wait).await;
    let renewed = manager.fresh_token().await.expect("refreshed");
    assert_ne!(renewed.access_token, tokens.access_token);
    assert!(renewed.refresh_token.is_some());
    assert_ne!(renewed.refresh_token, tokens.refresh_token, "rotated");
    assert_eq!(renewed.consent_id, tokens.consent_id, "kept");
    assert_eq!(manager.renewals(), 1);
    assert_eq!(
        TokenSet::from_json(&storage.load("tokens").unwrap().unwrap()).unwrap(),
        renewed,
        "the renewed set is saved"
    );
    let stats = sandbox.stats();
    assert_eq!(stats.refresh_grants, 1, "{stats:?}");
    let log = sandbox.token_requests();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[1].path, "/v1/oauth/token");
    assert_eq!(log[1].grant_type.as_deref(), Some("refresh_token"));
    assert_eq!(log[1].auth_method, ClientAuthMethod::ClientSecretBasic);
    assert_eq!(log[1].status, 200);
    assert!(sandbox.is_access_token_active(renewed.access_token.expose()));

    // The renewed token is good for another ~2 s: no second refresh right away.
    assert_eq!(
        manager.fresh_token().await.unwrap().access_token,
        renewed.access_token
    );
    assert_eq!(manager.renewals(), 1);

    // Rotation is real: the old refresh token is dead at the provider.
    let stale = client.connect_tokens(tokens.clone(), skew);
    assert_eq!(
        stale.force_renewal().await.unwrap_err(),
        Error::InvalidGrant
    );
    let log = sandbox.token_requests();
    assert_eq!(
        (log[2].status, log[2].error.as_deref()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(sandbox.stats().refresh_grants, 1);

    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    add_token_set(&mut secrets, "first", &tokens);
    add_token_set(&mut secrets, "renewed", &renewed);
    secrets.assert_debug_clean("token manager", &manager);
    secrets.assert_debug_clean("renewed tokens", &renewed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_consent_means_reauthenticate_and_fails_fast() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let (tokens, _) = connect_tokens(&client).await;
    let manager = client.connect_tokens(tokens.clone(), DEFAULT_REFRESH_SKEW);
    let storage = Arc::new(MemoryStorage::default());
    manager.persist_to(storage.clone(), "tokens").unwrap();
    assert!(sandbox.revoke_refresh_tokens() >= 1);

    let e = manager.force_renewal().await.unwrap_err();
    assert_eq!(e, Error::InvalidGrant);
    assert_eq!(e.category(), ErrorCategory::Reauthenticate);
    assert_eq!(manager.renewals(), 1);
    assert_eq!(
        storage.load("tokens").unwrap(),
        None,
        "stale tokens are removed from storage"
    );
    assert_eq!(manager.current(), None);
    let requests = sandbox.token_requests();
    assert_eq!(requests.len(), 2, "exchange + one refresh: {requests:?}");
    assert_eq!(
        (requests[1].status, requests[1].error.as_deref()),
        (400, Some("invalid_grant"))
    );

    // From now on every call fails at once, without asking the provider again.
    for _ in 0..3 {
        assert_eq!(
            manager.fresh_token().await.unwrap_err(),
            Error::InvalidGrant
        );
        assert_eq!(
            manager.force_renewal().await.unwrap_err(),
            Error::InvalidGrant
        );
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(sandbox.token_requests().len(), 2, "no further request");
    assert_eq!(sandbox.stats().oauth_token_requests, 2);
    assert_eq!(manager.renewals(), 1);
    assert_eq!(sandbox.stats().refresh_grants, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_callers_share_one_refresh() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let (tokens, _) = connect_tokens(&client).await;
    // An access token that is, as far as the app knows, about to expire.
    let mut stale = tokens.clone();
    stale.expires_at = Some(obauth::timestamp::now());
    let manager = client.connect_tokens(stale, DEFAULT_REFRESH_SKEW);
    // Hold the refresh at the provider so every caller arrives while it is in flight.
    sandbox.inject_fault(
        Endpoint::OAuthToken,
        Fault::Delay(Duration::from_millis(300)),
    );

    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let callers: Vec<_> = (0..20)
        .map(|_| {
            let manager = manager.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                manager.fresh_token().await
            })
        })
        .collect();
    let mut results = Vec::new();
    for caller in callers {
        let result = tokio::time::timeout(Duration::from_secs(10), caller)
            .await
            .expect("every caller is answered")
            .expect("no caller panicked");
        results.push(result.expect("every caller gets a token"));
    }
    let first = results[0].access_token.clone();
    assert_ne!(first, tokens.access_token);
    for r in &results {
        assert_eq!(r.access_token, first, "all callers get the same new token");
        assert_ne!(
            r.access_token, tokens.access_token,
            "nobody gets the old one"
        );
        assert_ne!(r.refresh_token, tokens.refresh_token);
    }
    assert_eq!(manager.renewals(), 1);
    let stats = sandbox.stats();
    assert_eq!(stats.refresh_grants, 1, "{stats:?}");
    let refreshes: Vec<_> = sandbox
        .token_requests()
        .into_iter()
        .filter(|r| r.grant_type.as_deref() == Some("refresh_token"))
        .collect();
    assert_eq!(refreshes.len(), 1, "one refresh request: {refreshes:?}");
    assert_eq!(refreshes[0].status, 200);
    assert_eq!(stats.oauth_token_requests, 2, "exchange + one refresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_headers_slide_connect_tokens_and_sessions() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);

    // Connect tokens: a header that brings the expiry within the skew triggers a refresh.
    let (tokens, _) = connect_tokens(&client).await;
    let skew = Duration::from_secs(60);
    let manager = client.connect_tokens(tokens.clone(), skew);
    let soon = obauth::timestamp::now().plus(Duration::from_secs(10));
    let at = manager.apply_expiry_header(&soon.to_rfc3339()).unwrap();
    assert_eq!(manager.current().unwrap().expires_at, Some(at));
    assert!(matches!(
        manager.apply_expiry_header("next tuesday"),
        Err(Error::MalformedResponse { .. })
    ));
    assert_eq!(manager.current().unwrap().expires_at, Some(at), "unchanged");
    let renewed = manager.fresh_token().await.unwrap();
    assert_ne!(renewed.access_token, tokens.access_token);
    assert_eq!(sandbox.stats().refresh_grants, 1);

    // A supervised-login session never renews; its expiry only slides.
    sandbox.script_user(
        "lifecycle-user-01",
        UserScript::ApproveAfter(Duration::from_millis(50)),
    );
    let (login, _recorder) = begin(&client, params("lifecycle-user-01"));
    let session = outcome(&login).await.expect("signed in");
    let manager = client.session_tokens(&session, Duration::from_secs(5));
    let t = manager.fresh_token().await.unwrap();
    assert_eq!(&t.access_token, session.session.token());
    let later = obauth::timestamp::now().plus(Duration::from_secs(3600));
    manager.apply_expiry_header(&later.to_rfc3339()).unwrap();
    assert_eq!(
        session.session.expires().unix_millis() / 1000,
        later.unix_millis() / 1000,
        "the session's own clock moved"
    );
    // Within the skew but not expired: still handed out (nothing can renew it).
    let in_skew = obauth::timestamp::now().plus(Duration::from_secs(2));
    manager.apply_expiry_header(&in_skew.to_rfc3339()).unwrap();
    assert_eq!(
        &manager.fresh_token().await.unwrap().access_token,
        session.session.token()
    );
    // Expired: sign in again.
    let past = Timestamp::from_unix_millis(obauth::timestamp::now().unix_millis() - 1000);
    manager.apply_expiry_header(&past.to_rfc3339()).unwrap();
    let e = manager.fresh_token().await.unwrap_err();
    assert_eq!(e, Error::SessionExpired);
    assert_eq!(e.category(), ErrorCategory::Reauthenticate);
    assert_eq!(manager.renewals(), 0);
    let stats = sandbox.stats();
    assert_eq!(
        stats.token_requests, 1,
        "one supervised exchange: {stats:?}"
    );
    assert_eq!(stats.refresh_grants, 1, "{stats:?}");

    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    add_token_set(&mut secrets, "connect", &tokens);
    secrets.add_tokens(&session);
    secrets.assert_debug_clean("session token manager", &manager);
    secrets.assert_debug_clean("session tokens", &t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_refresh_failures_keep_a_token_that_has_not_expired() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let (tokens, _) = connect_tokens(&client).await;

    // Within the skew but still valid: three 503s, then the current token is handed out.
    let manager = client.connect_tokens(tokens.clone(), DEFAULT_REFRESH_SKEW);
    let soon = obauth::timestamp::now().plus(Duration::from_secs(30));
    manager.apply_expiry_header(&soon.to_rfc3339()).unwrap();
    sandbox.inject_faults(Endpoint::OAuthToken, Fault::ServerError(503), 3);
    let kept = manager.fresh_token().await.expect("the current token");
    assert_eq!(kept.access_token, tokens.access_token);
    assert_eq!(manager.renewals(), 3, "three attempts");
    assert_eq!(sandbox.stats().oauth_token_requests, 1 + 3);
    assert_eq!(sandbox.stats().refresh_grants, 0);
    // The provider is back: the next call refreshes.
    let renewed = manager.fresh_token().await.expect("refreshed");
    assert_ne!(renewed.access_token, tokens.access_token);
    assert_eq!(sandbox.stats().refresh_grants, 1);

    // Already expired: the failure is reported, typed as transient.
    let mut expired = renewed.clone();
    expired.expires_at = Some(Timestamp::from_unix_millis(
        obauth::timestamp::now().unix_millis() - 1000,
    ));
    let manager = client.connect_tokens(expired, DEFAULT_REFRESH_SKEW);
    sandbox.inject_faults(Endpoint::OAuthToken, Fault::ServerError(503), 3);
    let e = manager.fresh_token().await.unwrap_err();
    assert!(matches!(e, Error::ServerError { status: 503, .. }), "{e:?}");
    assert_eq!(e.category(), ErrorCategory::RetryLater);
    assert_eq!(
        manager.current().unwrap().access_token,
        renewed.access_token
    );
    assert_eq!(sandbox.stats().refresh_grants, 1);
}

/// With refresh-token rotation the provider invalidates the old refresh token as it answers.
/// A caller that gives up while the refresh is in flight (a cancelled coroutine, a dropped
/// Swift `Task`, a time-out) must not take the renewal with it: the renewal completes on its
/// own, the rotated tokens are stored and persisted, and the next call uses them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_caller_does_not_lose_the_rotated_refresh_token() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let (tokens, _) = connect_tokens(&client).await;
    let manager = client.connect_tokens(tokens.clone(), DEFAULT_REFRESH_SKEW);
    let storage = Arc::new(MemoryStorage::default());
    manager.persist_to(storage.clone(), "tokens").unwrap();

    // The provider takes its time; the caller gives up after 100 ms.
    sandbox.inject_fault(
        Endpoint::OAuthToken,
        Fault::Delay(Duration::from_millis(400)),
    );
    let gave_up = tokio::time::timeout(Duration::from_millis(100), manager.force_renewal()).await;
    assert!(gave_up.is_err(), "the caller should have timed out first");

    // The renewal goes on without it and stores what the provider answered.
    let mut renewed = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        match manager.current() {
            Some(t) if t.access_token != tokens.access_token => {
                renewed = Some(t);
                break;
            }
            _ => {}
        }
    }
    let renewed = renewed.expect("the abandoned renewal completed and stored its tokens");
    assert_ne!(renewed.refresh_token, tokens.refresh_token, "rotated");
    assert_eq!(
        TokenSet::from_json(&storage.load("tokens").unwrap().unwrap()).unwrap(),
        renewed,
        "and persisted"
    );
    assert_eq!(sandbox.stats().refresh_grants, 1);

    // The manager goes on with the rotated refresh token (the old one is dead).
    let next = manager
        .force_renewal()
        .await
        .expect("the rotated token still works");
    assert_ne!(next.access_token, renewed.access_token);
    assert_eq!(sandbox.stats().refresh_grants, 2);
}

/// Every caller whose request the API refused asks for a renewal at once; the provider sees
/// one, and a caller that reports a token already replaced gets the new one without a request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_forced_renewals_of_one_refused_token_coalesce() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let (tokens, _) = connect_tokens(&client).await;
    let manager = client.connect_tokens(tokens.clone(), DEFAULT_REFRESH_SKEW);
    sandbox.inject_fault(
        Endpoint::OAuthToken,
        Fault::Delay(Duration::from_millis(200)),
    );
    let refused = tokens.access_token.expose().to_owned();
    let callers: Vec<_> = (0..10)
        .map(|_| {
            let (manager, refused) = (manager.clone(), refused.clone());
            tokio::spawn(async move { manager.renew_if_current(&refused).await })
        })
        .collect();
    let mut seen = Vec::new();
    for caller in callers {
        seen.push(caller.await.unwrap().expect("renewed").access_token);
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "one new token for all"
    );
    assert_ne!(seen[0], tokens.access_token);
    assert_eq!(sandbox.stats().refresh_grants, 1, "one renewal");

    // A late caller still holding the old token: already replaced, no request.
    let late = manager.renew_if_current(&refused).await.unwrap();
    assert_eq!(late.access_token, seen[0]);
    assert_eq!(sandbox.stats().refresh_grants, 1);
}
