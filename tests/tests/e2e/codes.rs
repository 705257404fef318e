//! Codes are standard base64 with `+`, `/` and `=`; every sandbox code contains all three. A
//! client that form-decodes the redirect (`+` → space), decodes twice, or trims padding sends a
//! wrong code and gets `400 InvalidCode`. The sandbox accepts a code once, so "the first and
//! only exchange attempt succeeded" proves the exact code went over the wire, by each route:
//! percent-encoded redirect, raw redirect (the seed's own example), and the status JSON.

use std::time::Duration;

use obauth::{CodeSource, Error, ErrorCategory, LoginState, RedirectOutcome};
use obauth_e2e::*;
use obauth_sandbox::{Endpoint, Fault, Sandbox, SandboxConfig, UserScript};

/// Holds the first long poll so the redirect is surely first.
const POLL_HELD: Duration = Duration::from_millis(1500);

fn assert_awkward(code: &str) {
    assert!(
        code.contains('+') && code.contains('/') && code.ends_with('='),
        "the sandbox should issue codes with + / and =: {code}"
    );
}

fn assert_one_clean_exchange(sandbox: &Sandbox, session_id: &str) {
    let stats = sandbox.stats();
    assert_eq!(stats.token_requests, 1, "a single attempt: {stats:?}");
    assert_eq!(stats.successful_exchanges, 1, "and it succeeded: {stats:?}");
    assert_eq!(sandbox.session(session_id).unwrap().exchanges, 1);
}

/// Runs a redirect login to `redirect_url`; `shape` turns the bank's `Location` into the URL
/// handed to the core.
async fn redirect_login(user: &str, redirect_url: &str, shape: impl Fn(&str) -> String) {
    let sandbox = sandbox().await;
    sandbox.inject_fault(Endpoint::Status, Fault::Delay(POLL_HELD));
    let client = client(&sandbox);
    let mut p = params(user);
    p.redirect_url = redirect_url.to_owned();
    let (login, recorder) = begin(&client, p);
    let (auth_url, session_id) = recorder.awaiting_user().await;
    let location = Browser::new().choose(&auth_url, "approve").await;

    let raw = query::raw_value(&location, "code").expect("a code parameter");
    for escape in ["%2B", "%2F", "%3D"] {
        assert!(raw.contains(escape), "{escape} missing from {raw}");
    }
    let code = query::percent_decode(&raw);
    assert_awkward(&code);

    let handed = shape(&location);
    assert_eq!(
        login.handle_redirect(&handed),
        RedirectOutcome::CodeAccepted
    );
    let tokens = outcome(&login).await.expect("the exact code was exchanged");
    assert_eq!(tokens.completed_via, CodeSource::Redirect);
    let states = recorder.finish_states().await;
    assert_happy_path(&states, CodeSource::Redirect);
    assert_one_clean_exchange(&sandbox, &session_id);

    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add("code", &code);
    secrets.add_tokens(&tokens);
    secrets.assert_all_clean("state", &states);
    secrets.assert_debug_clean("tokens", &tokens);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percent_encoded_code_in_redirect_arrives_intact() {
    redirect_login("codes-user-0001", REDIRECT_URL, str::to_owned).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_code_in_redirect_arrives_intact() {
    // The seed's example redirect carries the code unencoded: `?code=qgAA…/t0g…+…=`.
    redirect_login("codes-user-0002", REDIRECT_URL, |location| {
        let code = query::value(location, "code").unwrap();
        format!("{REDIRECT_URL}?code={code}")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_after_the_redirect_urls_own_query_arrives_intact() {
    // The bank appends `&code=…` to a registered redirect that already has a query.
    let registered = format!("{REDIRECT_URL}?tenant=7");
    redirect_login("codes-user-0004", &registered, |location| {
        assert_eq!(query::value(location, "tenant").as_deref(), Some("7"));
        location.to_owned()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_from_status_json_arrives_intact() {
    let sandbox = sandbox().await;
    let user = "codes-user-0003";
    sandbox.script_user(user, UserScript::ApproveAfter(Duration::from_millis(100)));
    let client = client(&sandbox);
    let (login, recorder) = begin(&client, params(user));
    let tokens = outcome(&login).await.expect("the exact code was exchanged");
    assert_eq!(tokens.completed_via, CodeSource::Poll);
    let states = recorder.finish_states().await;
    assert_happy_path(&states, CodeSource::Poll);
    let session_id = session_id_of(&states);
    assert_one_clean_exchange(&sandbox, &session_id);

    let code = peek_code(&sandbox, &session_id).await.expect("a code");
    assert_awkward(&code);
    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add("code", &code);
    secrets.add_tokens(&tokens);
    secrets.assert_all_clean("state", &states);
    secrets.assert_debug_clean("tokens", &tokens);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_expired_at_the_bank_asks_to_reauthenticate() {
    // A bank whose codes are dead on arrival: the exchange gets `400 InvalidCode`, which is
    // definitive (no retry) and means "sign in again".
    let sandbox = sandbox_with(SandboxConfig {
        code_lifetime: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await;
    let user = "codes-user-0005";
    sandbox.script_user(user, UserScript::ApproveAfter(Duration::from_millis(100)));
    let client = client(&sandbox);
    let (login, recorder) = begin(&client, params(user));
    let error = outcome(&login).await.expect_err("the code was refused");
    let states = recorder.finish_states().await;

    assert_eq!(
        error,
        Error::CodeRejected {
            status: 400,
            code: Some("InvalidCode".into())
        }
    );
    assert_eq!(error.category(), ErrorCategory::Reauthenticate);
    assert_eq!(
        names(&states),
        [
            "created",
            "initializing",
            "awaiting_user",
            "code_received",
            "exchanging",
            "failed"
        ]
    );
    assert_eq!(
        states.last(),
        Some(&LoginState::Failed {
            error: error.clone().into()
        })
    );
    let stats = sandbox.stats();
    assert_eq!(
        stats.token_requests, 1,
        "a refused code is not retried: {stats:?}"
    );
    assert_eq!(stats.successful_exchanges, 0);

    let code = peek_code(&sandbox, &session_id_of(&states)).await.unwrap();
    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add("code", &code);
    secrets.assert_debug_clean("error", &error);
    secrets.assert_absent("error message", &error.to_string());
    secrets.assert_all_clean("state", &states);
}
