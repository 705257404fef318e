//! The Aiia Data connect flow (`aiia-data-connect-flow.md`) end to end: the authorize URL, the
//! provider's `302` to its consent page, the decision, the redirect back with `code` (base64 with
//! `+`, `/`, `=`, percent-encoded), `state` and `consentId`, and the one Basic-authenticated JSON
//! exchange; forged, missing and duplicate redirects; wildcard redirect patterns; the user
//! cancelling; the WebView navigation policy.

use std::collections::HashMap;
use std::time::Duration;

use obauth::{
    AuthorizationState, CancelOrigin, Error, ErrorCategory, IgnoredReason, Navigation,
    RedirectOutcome,
};
use obauth_e2e::oauth_browser::*;
use obauth_e2e::{Secrets, client, query, sandbox};
use obauth_sandbox::{ClientAuthMethod, Endpoint, Fault};
use url::Url;

use crate::err;

fn query_map(url: &str) -> HashMap<String, String> {
    Url::parse(url)
        .expect("a URL")
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_code_with_base64_specials_is_exchanged_once() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let flow = client
        .connect_flow(
            connect_params(CONNECT_REDIRECT),
            Some("Household".into()),
            Some("group-42".into()),
        )
        .expect("valid parameters");
    let states = FlowStates::attach(&flow);
    assert_eq!(flow.state(), AuthorizationState::Created);
    flow.start();

    // The authorize URL: the connect endpoint with every documented parameter.
    let authorize = authorize_url(&flow);
    let q = query_map(&authorize);
    assert!(
        authorize.starts_with(&format!("{}/v1/oauth/connect?", sandbox.base_url())),
        "{authorize}"
    );
    assert_eq!(q["client_id"], sandbox.client_id());
    assert_eq!(q["redirect_uri"], CONNECT_REDIRECT);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "accounts offline_access");
    assert_eq!(q["accountsGroupName"], "Household");
    assert_eq!(q["accountsGroupId"], "group-42");
    assert_eq!(q["state"].len(), 43, "256 random bits, base64url");
    // Issue 10 #12: S256 PKCE by default for the connect flow too (RFC 9700).
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43, "an S256 challenge");

    // The browser: connect answers 302 to the consent page, which shows this request.
    let browser = OAuthBrowser::new();
    let page = browser.open(&authorize).await;
    assert_eq!(page.hops.len(), 1, "{:?}", page.hops);
    assert_eq!(page.hops[0].0, 302);
    assert!(
        page.hops[0].1.starts_with(&format!(
            "{}/v1/oauth/connect/consent?request=",
            sandbox.base_url()
        )),
        "{:?}",
        page.hops
    );
    assert_eq!(page.client().as_deref(), Some(sandbox.client_id()));
    assert_eq!(page.scopes(), ["accounts", "offline_access"]);
    assert!(page.html.contains("Household"));
    let answer = browser.decide(&page, "approve").await;
    assert_eq!(answer.status, 302, "{answer:?}");
    let location = answer.location.expect("a Location");
    assert!(
        location.starts_with(&format!("{CONNECT_REDIRECT}?")),
        "{location}"
    );

    // The code is standard base64 with all three URL-unsafe characters, percent-encoded.
    let raw_code = query::raw_value(&location, "code").expect("a code");
    let code = query::value(&location, "code").expect("a code");
    assert!(
        code.contains('+') && code.contains('/') && code.ends_with('='),
        "{code}"
    );
    assert!(
        raw_code.contains("%2B") && raw_code.contains("%2F") && raw_code.contains("%3D"),
        "{raw_code}"
    );
    assert_eq!(
        query::value(&location, "state").as_deref(),
        Some(&*q["state"])
    );
    let consent_id = query::value(&location, "consentId").expect("a consentId");
    assert!(sandbox.token_requests().is_empty(), "nothing sent yet");

    let outcome = flow.handle_redirect(&location);
    assert_eq!(outcome, RedirectOutcome::CodeAccepted);
    let tokens = finished(&flow).await.expect("authenticated");
    assert!(!tokens.access_token.is_empty());
    assert!(tokens.refresh_token.as_ref().is_some_and(|t| !t.is_empty()));
    assert!(tokens.token_type.eq_ignore_ascii_case("bearer"));
    assert_eq!(
        tokens.authorization().expose(),
        format!("Bearer {}", tokens.access_token.expose())
    );
    assert_eq!(tokens.consent_id.as_deref(), Some(consent_id.as_str()));
    let expires_in = tokens
        .expires_in(obauth::timestamp::now())
        .expect("an expiry");
    assert!((3590..=3600).contains(&expires_in), "{expires_in}");

    let seen = states.finish().await;
    assert_eq!(
        state_names(&seen),
        [
            "created",
            "awaiting_user",
            "code_received",
            "exchanging",
            "authenticated"
        ]
    );
    assert_eq!(
        seen[1],
        AuthorizationState::AwaitingUser {
            authorize_url: authorize.clone()
        }
    );
    assert!(
        matches!(&seen[4], AuthorizationState::Authenticated { consent_id: Some(c), refreshable: true, .. } if *c == consent_id),
        "{:?}",
        seen[4]
    );

    // The provider's side: one page load each, one exchange, Basic client authentication.
    let stats = sandbox.stats();
    assert_eq!(stats.oauth_connect_requests, 1, "{stats:?}");
    assert_eq!(stats.oauth_consent_page_views, 1, "{stats:?}");
    assert_eq!(stats.oauth_decision_requests, 1, "{stats:?}");
    assert_eq!(stats.oauth_token_requests, 1, "{stats:?}");
    assert_eq!(stats.oauth_code_exchanges, 1, "the exact code was redeemed");
    assert_eq!(stats.client_secret_basic_requests, 1, "{stats:?}");
    let log = sandbox.token_requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].path, "/v1/oauth/token");
    assert_eq!(log[0].grant_type.as_deref(), Some("authorization_code"));
    assert_eq!(log[0].auth_method, ClientAuthMethod::ClientSecretBasic);
    assert_eq!(log[0].client_id.as_deref(), Some(sandbox.client_id()));
    assert_eq!((log[0].status, log[0].error.as_deref()), (200, None));
    assert!(sandbox.is_access_token_active(tokens.access_token.expose()));

    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add("code", &code);
    add_token_set(&mut secrets, "connect", &tokens);
    secrets.assert_debug_clean("token set", &tokens);
    secrets.assert_all_clean("state", &seen);
    secrets.assert_debug_clean("redirect outcome", &outcome);
    secrets.assert_debug_clean("client", &client);
    secrets.assert_absent("flow", &flow.with_flow(|m| format!("{m:?} {m:#?}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webview_navigation_intercepts_only_the_redirect() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let flow = client
        .connect_flow(connect_params(CONNECT_REDIRECT), None, None)
        .unwrap();
    flow.start();
    let authorize = authorize_url(&flow);
    assert_eq!(flow.decide_navigation(&authorize), Navigation::Allow);
    let browser = OAuthBrowser::new();
    let page = browser.open(&authorize).await;
    assert_eq!(flow.decide_navigation(page.url.as_str()), Navigation::Allow);
    let location = browser
        .decide(&page, "approve")
        .await
        .location
        .expect("a redirect");
    assert_eq!(
        flow.decide_navigation("https://app.example.com/aiia/other"),
        Navigation::Allow
    );
    assert_eq!(
        flow.decide_navigation("javascript:alert(1)"),
        Navigation::Block
    );
    assert_eq!(
        flow.decide_navigation("http://bank.example.com/login"),
        Navigation::Block
    );
    assert_eq!(
        flow.decide_navigation("bankid:///?autostarttoken=1"),
        Navigation::OpenExternally
    );
    assert_eq!(sandbox.stats().oauth_token_requests, 0);

    assert_eq!(
        flow.decide_navigation(&location),
        Navigation::Intercept(RedirectOutcome::CodeAccepted)
    );
    let tokens = finished(&flow).await.expect("authenticated");
    assert_eq!(
        tokens.consent_id,
        query::value(&location, "consentId"),
        "consent id from the redirect"
    );
    assert_eq!(
        flow.decide_navigation(&location),
        Navigation::Intercept(RedirectOutcome::Ignored(IgnoredReason::FlowFinished))
    );
    let stats = sandbox.stats();
    assert_eq!(stats.oauth_token_requests, 1, "{stats:?}");
    assert_eq!(stats.oauth_code_exchanges, 1, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_or_missing_state_is_rejected_and_never_exchanged() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let flow = client
        .connect_flow(connect_params(CONNECT_REDIRECT), None, None)
        .unwrap();
    let states = FlowStates::attach(&flow);
    flow.start();
    let location = OAuthBrowser::new().approve(&authorize_url(&flow)).await;
    let state = query::raw_value(&location, "state").expect("a state");

    // Another flow's genuine state is just as foreign to this flow as a forged one.
    let other = client
        .connect_flow(connect_params(CONNECT_REDIRECT), None, None)
        .unwrap();
    other.start();
    let other_state = query_map(&authorize_url(&other))["state"].clone();
    let forged_redirects = [
        (
            "forged",
            replace_query_value(&location, "state", &altered(&state)),
        ),
        ("missing", remove_query_param(&location, "state")),
        ("empty", replace_query_value(&location, "state", "")),
        (
            "another flow's",
            replace_query_value(&location, "state", &other_state),
        ),
        (
            "forged cancel",
            format!(
                "{CONNECT_REDIRECT}?error=access_denied&state={}",
                altered(&state)
            ),
        ),
    ];
    for (what, url) in &forged_redirects {
        assert_eq!(
            flow.handle_redirect(url),
            RedirectOutcome::Rejected(Error::StateMismatch),
            "{what} state"
        );
    }
    assert!(
        matches!(flow.state(), AuthorizationState::AwaitingUser { .. }),
        "the flow keeps waiting"
    );
    assert!(flow.outcome().is_none());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(sandbox.token_requests().is_empty(), "no token request");
    assert_eq!(sandbox.stats().oauth_token_requests, 0);

    // The genuine redirect still completes the flow.
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let tokens = finished(&flow).await.expect("authenticated");
    assert_eq!(
        state_names(&states.finish().await),
        [
            "created",
            "awaiting_user",
            "code_received",
            "exchanging",
            "authenticated"
        ],
        "rejections change no state"
    );
    // Anything arriving after the end is answered, never exchanged.
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::Ignored(IgnoredReason::FlowFinished)
    );
    assert_eq!(
        flow.handle_redirect(&forged_redirects[0].1),
        RedirectOutcome::Ignored(IgnoredReason::FlowFinished)
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stats = sandbox.stats();
    assert_eq!(stats.oauth_token_requests, 1, "{stats:?}");
    assert_eq!(stats.oauth_code_exchanges, 1, "{stats:?}");
    assert!(matches!(
        flow.state(),
        AuthorizationState::Authenticated { .. }
    ));
    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    add_token_set(&mut secrets, "connect", &tokens);
    secrets.assert_debug_clean("tokens", &tokens);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_redirect_while_exchanging_is_ignored() {
    let sandbox = sandbox().await;
    // Hold the exchange so the duplicate surely meets `Exchanging`.
    sandbox.inject_fault(
        Endpoint::OAuthToken,
        Fault::Delay(Duration::from_millis(300)),
    );
    let client = client(&sandbox);
    let (flow, location) = approved_connect_flow(&client).await;
    let code = query::value(&location, "code").unwrap();
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    assert_eq!(flow.state(), AuthorizationState::Exchanging);
    // The machine holds the code while exchanging; its Debug output must not show it.
    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add("code", &code);
    secrets.assert_absent("exchanging flow", &flow.with_flow(|m| format!("{m:?}")));
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::Ignored(IgnoredReason::CodeAlreadyReceived)
    );
    finished(&flow).await.expect("authenticated");
    let log = sandbox.token_requests();
    assert_eq!(log.len(), 1, "one exchange: {log:?}");
    assert_eq!(sandbox.stats().oauth_code_exchanges, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_redirect_pattern_works_end_to_end() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let tenant = "https://app.example.com/aiia-callback/tenant-7";
    let mut params = connect_params(tenant);
    params.redirect_pattern = Some("https://app.example.com/aiia-callback/*".into());
    let flow = client.connect_flow(params, None, None).unwrap();
    flow.start();
    let authorize = authorize_url(&flow);
    assert_eq!(query_map(&authorize)["redirect_uri"], tenant);
    assert_eq!(
        flow.redirect_url().as_str(),
        "https://app.example.com/aiia-callback/"
    );
    let location = OAuthBrowser::new().approve(&authorize).await;
    assert!(location.starts_with(&format!("{tenant}?")), "{location}");
    // A URL outside the pattern is not this flow's business.
    assert_eq!(
        flow.handle_redirect(&location.replacen("/aiia-callback/tenant-7", "/aiia/callback", 1)),
        RedirectOutcome::NotForThisFlow
    );
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let tokens = finished(&flow).await.expect("authenticated");
    assert!(tokens.consent_id.is_some());
    // The sandbox requires the token request's redirect_uri to equal the authorize request's
    // byte for byte: the core sent the concrete URI, not the pattern.
    let log = sandbox.token_requests();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].status, log[0].error.as_deref()), (200, None));
    assert_eq!(sandbox.stats().oauth_code_exchanges, 1);

    // A redirect URI outside its own pattern is refused before anything is sent.
    let mut bad = connect_params(tenant);
    bad.redirect_pattern = Some("https://app.example.com/other/*".into());
    let e = err(client.connect_flow(bad, None, None));
    assert!(
        matches!(
            e,
            Error::InvalidInput {
                field: "redirectUri",
                ..
            }
        ),
        "{e:?}"
    );
    let mut bad = connect_params(tenant);
    bad.redirect_pattern = Some("https://*.example.com/aiia-callback/*".into());
    assert_eq!(
        err(client.connect_flow(bad, None, None)).category(),
        ErrorCategory::InvalidInput
    );
    assert_eq!(sandbox.stats().oauth_connect_requests, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_cancel_at_the_consent_page_and_app_cancel() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let flow = client
        .connect_flow(connect_params(CONNECT_REDIRECT), None, None)
        .unwrap();
    let states = FlowStates::attach(&flow);
    flow.start();
    let location = OAuthBrowser::new()
        .choose(&authorize_url(&flow), "cancel")
        .await;
    assert_eq!(
        query::value(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert!(query::value(&location, "code").is_none());
    let by_user = CancelOrigin::User;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::ProviderError(Error::Cancelled { by: by_user })
    );
    assert_eq!(flow.state(), AuthorizationState::Cancelled { by: by_user });
    let e = finished(&flow).await.unwrap_err();
    assert_eq!(e, Error::Cancelled { by: by_user });
    assert_eq!(e.category(), ErrorCategory::UserAction);
    assert_eq!(
        state_names(&states.finish().await),
        ["created", "awaiting_user", "cancelled"]
    );
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::Ignored(IgnoredReason::FlowFinished)
    );

    // The app cancels while the user is at the bank; the user's approval arrives too late.
    let flow = client
        .connect_flow(connect_params(CONNECT_REDIRECT), None, None)
        .unwrap();
    flow.start();
    let authorize = authorize_url(&flow);
    flow.cancel();
    assert_eq!(
        flow.state(),
        AuthorizationState::Cancelled {
            by: CancelOrigin::Host
        }
    );
    let location = OAuthBrowser::new().approve(&authorize).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::Ignored(IgnoredReason::FlowFinished)
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stats = sandbox.stats();
    assert_eq!(stats.oauth_decision_requests, 2, "{stats:?}");
    assert_eq!(
        stats.oauth_token_requests, 0,
        "nothing exchanged: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_of_one_redirect_exchange_once() {
    let sandbox = sandbox().await;
    sandbox.inject_fault(
        Endpoint::OAuthToken,
        Fault::Delay(Duration::from_millis(200)),
    );
    let client = client(&sandbox);
    let (flow, location) = approved_connect_flow(&client).await;
    // The WebView, the Universal Link handler and a retrying scene delegate all deliver the
    // same redirect at once, from their own threads.
    let barrier = std::sync::Barrier::new(8);
    let outcomes: Vec<RedirectOutcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    flow.handle_redirect(&location)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let accepted = outcomes
        .iter()
        .filter(|o| **o == RedirectOutcome::CodeAccepted)
        .count();
    assert_eq!(accepted, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            RedirectOutcome::CodeAccepted
                | RedirectOutcome::Ignored(IgnoredReason::CodeAlreadyReceived)
        )),
        "{outcomes:?}"
    );
    finished(&flow).await.expect("authenticated");
    let stats = sandbox.stats();
    assert_eq!(stats.oauth_token_requests, 1, "{stats:?}");
    assert_eq!(stats.oauth_code_exchanges, 1, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_exchange_failure_is_retried_while_the_code_lives() {
    let sandbox = sandbox().await;
    sandbox.inject_fault(Endpoint::OAuthToken, Fault::ServerError(503));
    let client = client(&sandbox);
    let flow = client
        .connect_flow(connect_params(CONNECT_REDIRECT), None, None)
        .unwrap();
    let states = FlowStates::attach(&flow);
    flow.start();
    let location = OAuthBrowser::new().approve(&authorize_url(&flow)).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    finished(&flow)
        .await
        .expect("authenticated after one retry");
    assert_eq!(
        state_names(&states.finish().await),
        [
            "created",
            "awaiting_user",
            "code_received",
            "exchanging",
            "authenticated"
        ],
        "a retry is not a state change"
    );
    let stats = sandbox.stats();
    assert_eq!(
        stats.oauth_token_requests, 2,
        "the 503 and the retry: {stats:?}"
    );
    assert_eq!(stats.oauth_code_exchanges, 1, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_exchanges_end_the_flow() {
    // An expired code: the provider says invalid_grant; sign in again.
    let sandbox = obauth_e2e::sandbox_with(obauth_sandbox::SandboxConfig {
        code_lifetime: Duration::from_millis(200),
        ..Default::default()
    })
    .await;
    let client = client(&sandbox);
    let (flow, location) = approved_connect_flow(&client).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let e = finished(&flow).await.unwrap_err();
    assert!(
        matches!(e, Error::InvalidGrant | Error::CodeRejected { .. }),
        "{e:?}"
    );
    assert_eq!(e.category(), ErrorCategory::Reauthenticate);
    let log = sandbox.token_requests();
    assert_eq!(log.len(), 1, "not retried: {log:?}");
    assert_eq!(
        (log[0].status, log[0].error.as_deref()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(sandbox.stats().oauth_code_exchanges, 0);

    // A wrong client secret: 401 at the exchange, not retried, never printed.
    let wrong = "definitely-not-the-secret";
    let client = obauth_e2e::client_with(&sandbox, wrong);
    let (flow, location) = approved_connect_flow(&client).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let e = finished(&flow).await.unwrap_err();
    assert_eq!(e, Error::BadClientCredentials);
    assert_eq!(e.category(), ErrorCategory::Fatal);
    let log = sandbox.token_requests();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        (log[1].status, log[1].error.as_deref()),
        (401, Some("invalid_client"))
    );
    assert_eq!(log[1].auth_method, ClientAuthMethod::ClientSecretBasic);
    let secrets = Secrets::with_client_secret(wrong);
    secrets.assert_debug_clean("error", &e);
    secrets.assert_debug_clean("state", &flow.state());
    secrets.assert_debug_clean("client", &client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_passes_while_the_user_is_at_the_bank() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let mut params = connect_params(CONNECT_REDIRECT);
    params.timeout = Duration::from_millis(300);
    let flow = client.connect_flow(params, None, None).unwrap();
    let states = FlowStates::attach(&flow);
    flow.start();
    let authorize = authorize_url(&flow);
    let e = finished(&flow).await.unwrap_err();
    assert_eq!(e, Error::TimedOut(Duration::from_millis(300)));
    assert_eq!(e.category(), ErrorCategory::RetryLater);
    assert_eq!(
        state_names(&states.finish().await),
        ["created", "awaiting_user", "timed_out"]
    );
    // The user finishes anyway; the late redirect is answered, never exchanged.
    let location = OAuthBrowser::new().approve(&authorize).await;
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::Ignored(IgnoredReason::FlowFinished)
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sandbox.stats().oauth_token_requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_consent_sends_the_webview_straight_back() {
    let sandbox = sandbox().await;
    sandbox.script_consent(obauth_sandbox::ConsentScript::Approve);
    let client = client(&sandbox);
    let flow = client
        .connect_flow(connect_params(CONNECT_REDIRECT), None, None)
        .unwrap();
    flow.start();
    // A WebView follows every redirect it is allowed to and hands the last one to the flow.
    let browser = OAuthBrowser::new();
    let mut url = authorize_url(&flow);
    let mut hops = 0;
    let outcome = loop {
        match flow.decide_navigation(&url) {
            Navigation::Allow => {
                let answer = browser.get(&url).await;
                assert_eq!(answer.status, 302, "{answer:?}");
                url = answer.location.expect("a Location");
                hops += 1;
                assert!(hops <= 3, "too many hops");
            }
            Navigation::Intercept(outcome) => break outcome,
            other => panic!("{url}: {other:?}"),
        }
    };
    assert_eq!(outcome, RedirectOutcome::CodeAccepted);
    assert_eq!(hops, 2, "connect → consent page (approves at once) → app");
    finished(&flow).await.expect("authenticated");
    let stats = sandbox.stats();
    assert_eq!(stats.oauth_consent_page_views, 1, "{stats:?}");
    assert_eq!(
        stats.oauth_decision_requests, 0,
        "no form posted: {stats:?}"
    );
    assert_eq!(stats.oauth_code_exchanges, 1, "{stats:?}");
}

/// Aiia Data: the user cancels or the bank fails, and the provider sends the WebView back to the
/// `redirect_uri` with `state` only (no `code`, no `consentId`). The flow ends at once — not at
/// its deadline — with the typed "start again" outcome, exchanging nothing. The same redirect
/// with a forged or missing state is refused as forged and the flow keeps waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_without_code_ends_the_flow_with_start_again() {
    let sandbox = sandbox().await;
    sandbox.script_consent(obauth_sandbox::ConsentScript::ReturnWithoutCode);
    let client = client(&sandbox);
    let flow = client
        .connect_flow(connect_params(CONNECT_REDIRECT), None, None)
        .unwrap();
    let states = FlowStates::attach(&flow);
    flow.start();
    let browser = OAuthBrowser::new();
    let mut url = authorize_url(&flow);
    let location = loop {
        let answer = browser.get(&url).await;
        assert_eq!(answer.status, 302, "{answer:?}");
        url = answer.location.expect("a Location");
        if url.starts_with(CONNECT_REDIRECT) {
            break url;
        }
    };
    let state = query::value(&location, "state").expect("the state comes back");
    assert!(query::value(&location, "code").is_none(), "{location}");
    assert!(query::value(&location, "consentId").is_none(), "{location}");

    // Forged or missing state first: refused as forged, the flow goes on.
    for forged in [
        format!("{CONNECT_REDIRECT}?state=x{state}"),
        CONNECT_REDIRECT.to_owned(),
    ] {
        assert_eq!(
            flow.handle_redirect(&forged),
            RedirectOutcome::Rejected(Error::StateMismatch),
            "{forged}"
        );
    }
    assert!(matches!(
        flow.state(),
        AuthorizationState::AwaitingUser { .. }
    ));

    let started = std::time::Instant::now();
    assert_eq!(
        flow.handle_redirect(&location),
        RedirectOutcome::ProviderError(Error::StartAgain)
    );
    let e = finished(&flow).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "ended at once");
    assert_eq!(e, Error::StartAgain);
    assert_eq!(
        (e.category(), e.code()),
        (ErrorCategory::UserAction, "start_again")
    );
    assert_eq!(
        flow.state(),
        AuthorizationState::Failed {
            error: Error::StartAgain.into()
        }
    );
    assert_eq!(
        state_names(&states.finish().await),
        ["created", "awaiting_user", "failed"]
    );
    assert_eq!(sandbox.stats().oauth_token_requests, 0, "nothing exchanged");
}
