//! After the login: calls to session endpoints with the access token, and its sliding expiry.
//! The provider moves the expiry forward on every authenticated call and says so in
//! `X-Access-Token-Expires`; the core must apply it to the session (and every clone of it).

use std::time::Duration;

use obauth::{CodeSource, ErrorCategory, SupervisedTokens};
use obauth_e2e::*;
use obauth_sandbox::{Sandbox, SandboxConfig, UserScript};

async fn logged_in(sandbox: &Sandbox, user: &str) -> SupervisedTokens {
    sandbox.script_user(user, UserScript::ApproveAfter(Duration::from_millis(100)));
    let client = client(sandbox);
    let (login, recorder) = begin(&client, params(user));
    let tokens = outcome(&login).await.expect("authenticated");
    assert_happy_path(&recorder.finish_states().await, CodeSource::Poll);
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_calls_slide_the_expiry() {
    let sandbox = sandbox().await;
    let tokens = logged_in(&sandbox, "session-user-01").await;
    let client = client(&sandbox);
    let before = tokens.session.expires();
    let observer = tokens.session.clone();

    // Let the clock move so the slid expiry is measurably later.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let accounts = client
        .session_get(&tokens.session, "/v1/accounts")
        .await
        .expect("accounts");
    let after = tokens.session.expires();

    let list = accounts["accounts"].as_array().expect("an accounts array");
    assert_eq!(list.len(), 1, "{accounts}");
    assert_eq!(list[0]["currency"], "DKK");
    assert!(after > before, "expiry did not move: {before} -> {after}");
    assert!(
        before.until(after) >= Duration::from_millis(100),
        "{before} -> {after}"
    );
    assert_near(
        "slid expiry",
        after,
        obauth::timestamp::now().plus(Duration::from_secs(15 * 60)),
        Duration::from_secs(60),
    );
    assert_eq!(observer.expires(), after, "clones share the expiry");
    assert_eq!(sandbox.stats().accounts_requests, 1);

    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add_tokens(&tokens);
    secrets.assert_debug_clean("session", &tokens.session);
    secrets.assert_absent("accounts", &accounts.to_string());
}

/// When the access token has expired at the provider, the session call fails; the error must
/// send the app back to the sign-in (`Reauthenticate`), not tell the developer that the client
/// credentials are wrong — they are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_session_token_asks_to_reauthenticate() {
    let sandbox = sandbox_with(SandboxConfig {
        access_token_lifetime: Duration::from_millis(300),
        ..SandboxConfig::default()
    })
    .await;
    let tokens = logged_in(&sandbox, "session-user-02").await;
    let client = client(&sandbox);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(tokens.session.is_expired(obauth::timestamp::now()));
    let error = client
        .session_get(&tokens.session, "/v1/accounts")
        .await
        .expect_err("the token expired");

    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add_tokens(&tokens);
    secrets.assert_debug_clean("error", &error);
    assert_eq!(
        error.category(),
        ErrorCategory::Reauthenticate,
        "an expired session token must lead to a new sign-in, got {error:?} ({error})"
    );
}

/// The session call carries the partner secret and the session bearer: a path that would leave
/// the API root (absolute URL, `//host`, `\\host`, `..`) is refused before any request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_paths_never_leave_the_api_root() {
    let sandbox = sandbox().await;
    let tokens = logged_in(&sandbox, "session-user-03").await;
    let client = client(&sandbox);
    let before = sandbox.stats().accounts_requests;
    for path in [
        "https://evil.example/v1/accounts",
        "//evil.example/v1/accounts",
        "\\\\evil.example\\v1\\accounts",
        "/v1/../../v1/accounts",
    ] {
        let error = client
            .session_get(&tokens.session, path)
            .await
            .expect_err(path);
        assert_eq!(
            error.category(),
            ErrorCategory::InvalidInput,
            "{path}: {error}"
        );
    }
    assert_eq!(
        sandbox.stats().accounts_requests,
        before,
        "no request was sent"
    );
}
