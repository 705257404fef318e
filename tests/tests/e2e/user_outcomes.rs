//! The user does not approve: cancels or fails on the bank page (the redirect carries
//! `error=…`), or the provider reports `Cancelled` / `Failed` / `NotApplicable` through the poll.
//! Each ends the login with the right state and an error in the `UserAction` category (or
//! `NotApplicable`), and no exchange is ever attempted.

use std::time::Duration;

use obauth::{CancelOrigin, Error, ErrorCategory, LoginState, RedirectOutcome};
use obauth_e2e::*;
use obauth_sandbox::{Endpoint, Fault, SessionState, UserScript};

/// Holds the first long poll so that the redirect, not the poll, reports the decision.
const POLL_HELD: Duration = Duration::from_millis(1500);

/// Runs a page decision that is not `approve`; returns what `handle_redirect` said, the final
/// state and the error.
async fn page_decision(
    user: &str,
    decision: &str,
) -> (String, RedirectOutcome, Vec<LoginState>, Error) {
    let sandbox = sandbox().await;
    sandbox.inject_fault(Endpoint::Status, Fault::Delay(POLL_HELD));
    let client = client(&sandbox);
    let (login, recorder) = begin(&client, params(user));
    let (auth_url, session_id) = recorder.awaiting_user().await;
    let location = Browser::new().choose(&auth_url, decision).await;
    assert!(location.starts_with(REDIRECT_URL), "{location}");
    let redirect = login.handle_redirect(&location);
    let error = outcome(&login).await.expect_err("not authenticated");
    let states = recorder.finish_states().await;
    assert_eq!(states.last(), Some(&login.state()));
    assert_eq!(sandbox.stats().token_requests, 0);
    assert_eq!(sandbox.session(&session_id).unwrap().exchanges, 0);
    let secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.assert_all_clean("state", &states);
    secrets.assert_debug_clean("error", &error);
    secrets.assert_debug_clean("redirect outcome", &redirect);
    (location, redirect, states, error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_cancels_on_the_page() {
    let (location, redirect, states, error) = page_decision("page-cancel-01", "cancel").await;
    assert_eq!(
        query::value(&location, "error").as_deref(),
        Some("cancelled")
    );
    let by_user = Error::Cancelled {
        by: CancelOrigin::User,
    };
    assert_eq!(redirect, RedirectOutcome::ProviderError(by_user.clone()));
    assert_ended_while_awaiting(
        &states,
        &LoginState::Cancelled {
            by: CancelOrigin::User,
        },
    );
    assert_eq!(error, by_user);
    assert_eq!(error.category(), ErrorCategory::UserAction);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_rejects_on_the_page() {
    let (location, redirect, states, error) = page_decision("page-reject-01", "fail").await;
    assert_eq!(query::value(&location, "error").as_deref(), Some("failed"));
    assert!(
        matches!(
            &redirect,
            RedirectOutcome::ProviderError(Error::LoginFailed { .. })
        ),
        "{redirect:?}"
    );
    assert_eq!(names(&states).last(), Some(&"failed"));
    assert!(matches!(&error, Error::LoginFailed { .. }), "{error:?}");
    assert_eq!(error.category(), ErrorCategory::UserAction);
}

/// Runs a login whose scripted user ends it after 150 ms; only the poll can report it.
async fn scripted(
    user: &str,
    script: UserScript,
    expected: SessionState,
) -> (Vec<LoginState>, Error) {
    let sandbox = sandbox().await;
    sandbox.script_user(user, script);
    let client = client(&sandbox);
    let (login, recorder) = begin(&client, params(user));
    let error = outcome(&login).await.expect_err("not authenticated");
    let states = recorder.finish_states().await;
    let session_id = session_id_of(&states);
    let stats = sandbox.stats();
    assert_eq!(stats.initialize_requests, 1, "{stats:?}");
    assert_eq!(
        stats.status_requests, 1,
        "one long poll covers it: {stats:?}"
    );
    assert_eq!(stats.token_requests, 0, "{stats:?}");
    let info = sandbox.session(&session_id).unwrap();
    assert_eq!(info.state, expected);
    assert_eq!(info.exchanges, 0);
    let secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.assert_all_clean("state", &states);
    secrets.assert_debug_clean("error", &error);
    (states, error)
}

const AFTER: Duration = Duration::from_millis(150);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_cancel_is_reported_by_the_poll() {
    let (states, error) = scripted(
        "poll-cancel-01",
        UserScript::CancelAfter(AFTER),
        SessionState::Cancelled,
    )
    .await;
    assert_ended_while_awaiting(
        &states,
        &LoginState::Cancelled {
            by: CancelOrigin::User,
        },
    );
    assert_eq!(
        error,
        Error::Cancelled {
            by: CancelOrigin::User
        }
    );
    assert_eq!(error.category(), ErrorCategory::UserAction);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_failure_is_reported_by_the_poll() {
    let (states, error) = scripted(
        "poll-fail-0001",
        UserScript::FailAfter(AFTER),
        SessionState::Failed,
    )
    .await;
    let failed = LoginState::Failed {
        error: Error::LoginFailed { detail: None }.into(),
    };
    assert_ended_while_awaiting(&states, &failed);
    assert_eq!(error, Error::LoginFailed { detail: None });
    assert_eq!(error.category(), ErrorCategory::UserAction);
    assert!(error.to_string().starts_with("failed"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_not_applicable_is_reported_by_the_poll() {
    let (states, error) = scripted(
        "poll-na-000001",
        UserScript::NotApplicableAfter(AFTER),
        SessionState::NotApplicable,
    )
    .await;
    assert_ended_while_awaiting(&states, &LoginState::NotApplicable);
    assert_eq!(error, Error::NotApplicable);
}
