//! Unattended login, the one "session or unattended or supervised" call, provider error bodies
//! and correlation ids: the real core against the real sandbox.

use std::time::Duration;

use obauth::{
    AccessSession, CodeSource, Error, ErrorCategory, LoginState, MemoryStorage, SecureStorage,
    SessionAccess, SupervisedLoginReason, SupervisedTokens, Timestamp,
};
use obauth_e2e::*;
use obauth_sandbox::{Endpoint, Fault, Sandbox, UserScript};

const USER: &str = "unattended-user-01";
const MARGIN: Duration = Duration::from_secs(30);

/// A supervised login by poll for `user`; its tokens.
async fn signed_in(sandbox: &Sandbox, user: &str) -> SupervisedTokens {
    sandbox.script_user(user, UserScript::ApproveAfter(Duration::from_millis(50)));
    let (login, _) = begin(&client(sandbox), params(user));
    outcome(&login).await.expect("authenticated")
}

/// The same tokens with a session that expired long ago.
fn with_expired_session(tokens: &SupervisedTokens) -> SupervisedTokens {
    SupervisedTokens {
        session: AccessSession::new(
            tokens.session.token().clone(),
            Timestamp::from_unix_millis(0),
        ),
        ..tokens.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unattended_login_gives_a_new_session_and_replaces_the_login_token() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let first = signed_in(&sandbox, USER).await;
    let second = client
        .unattended_login(USER, &first.login.token)
        .await
        .expect("unattended");
    assert_eq!(second.completed_via, CodeSource::Unattended);
    assert_ne!(second.login.token.expose(), first.login.token.expose());
    assert!(second.login.supports_unattended);
    assert_eq!(second.provider_id, "DemoBank");
    // The new session works on the session API.
    let accounts = client
        .session_get(&second.session, "v1/accounts")
        .await
        .unwrap();
    assert!(accounts["accounts"].is_array());
    // The old login token is spent.
    let e = client
        .unattended_login(USER, &first.login.token)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "login_token_rejected");
    assert_eq!(e.category(), ErrorCategory::Reauthenticate);
    assert_eq!(
        SupervisedLoginReason::of(&e),
        Some(SupervisedLoginReason::LoginTokenRejected)
    );
    assert!(!e.to_string().contains(first.login.token.expose()));
    // Invalid input is refused before anything is sent.
    let before = sandbox.stats().unattended_requests;
    let e = client
        .unattended_login("no", &second.login.token)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidInput {
                field: "userHash",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(sandbox.stats().unattended_requests, before);
    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add_tokens(&first);
    secrets.add_tokens(&second);
    secrets.assert_debug_clean("tokens", &second);
    secrets.assert_debug_clean("error", &e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_session_uses_the_session_then_unattended_then_says_why_not() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let tokens = signed_in(&sandbox, USER).await;

    // A valid session: used as it is, nothing sent.
    match client.resume_session(USER, &tokens, MARGIN).await.unwrap() {
        SessionAccess::Current(t) => assert_eq!(t.session.token(), tokens.session.token()),
        other => panic!("{other:?}"),
    }
    assert_eq!(sandbox.stats().unattended_requests, 0);

    // Expired: an unattended login, stored in place of the old tokens.
    let storage = MemoryStorage::default();
    storage
        .save(
            "login",
            &serde_json::to_string(&with_expired_session(&tokens)).unwrap(),
        )
        .unwrap();
    let renewed = match client
        .resume_stored_session(&storage, "login", USER, MARGIN)
        .await
        .unwrap()
    {
        SessionAccess::Renewed(t) => t,
        other => panic!("{other:?}"),
    };
    let stored: SupervisedTokens =
        serde_json::from_str(&storage.load("login").unwrap().unwrap()).unwrap();
    assert_eq!(stored.login.token, renewed.login.token);
    assert_ne!(stored.login.token, tokens.login.token);
    assert_eq!(sandbox.stats().unattended_logins, 1);

    // The provider says the login token expired: a supervised login is needed.
    sandbox.expire_login_tokens();
    let access = client
        .resume_session(USER, &with_expired_session(&renewed), MARGIN)
        .await
        .unwrap();
    assert!(
        matches!(
            access,
            SessionAccess::SupervisedLoginRequired(SupervisedLoginReason::LoginTokenExpired)
        ),
        "{access:?}"
    );
    // Nothing stored yet.
    let access = client
        .resume_stored_session(&storage, "nothing-here", USER, MARGIN)
        .await
        .unwrap();
    assert!(matches!(
        access,
        SessionAccess::SupervisedLoginRequired(SupervisedLoginReason::NoStoredLogin)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_without_unattended_logins_needs_a_supervised_login() {
    let sandbox = sandbox().await;
    let user = "no-unattended-01";
    sandbox.set_unattended_support(user, false);
    let client = client(&sandbox);
    let tokens = signed_in(&sandbox, user).await;
    assert!(!tokens.login.supports_unattended);
    // Decided from the login token alone: nothing is sent.
    let access = client
        .resume_session(user, &with_expired_session(&tokens), MARGIN)
        .await
        .unwrap();
    assert!(matches!(
        access,
        SessionAccess::SupervisedLoginRequired(SupervisedLoginReason::UnattendedNotSupported)
    ));
    assert_eq!(sandbox.stats().unattended_requests, 0);
    // Sent anyway, the provider refuses it the same way.
    let e = client
        .unattended_login(user, &tokens.login.token)
        .await
        .unwrap_err();
    assert_eq!(
        SupervisedLoginReason::of(&e),
        Some(SupervisedLoginReason::UnattendedNotSupported)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unattended_retries_5xx_but_not_a_lost_answer() {
    let sandbox = sandbox().await;
    let client = client(&sandbox);
    let tokens = signed_in(&sandbox, USER).await;
    sandbox.inject_faults(Endpoint::Unattended, Fault::ServerError(503), 2);
    let renewed = client
        .unattended_login(USER, &tokens.login.token)
        .await
        .expect("after two 503s");
    assert_eq!(sandbox.stats().unattended_requests, 3);
    // A dropped connection is reported, not retried (the token may be spent).
    sandbox.inject_fault(Endpoint::Unattended, Fault::DropConnection);
    let e = client
        .unattended_login(USER, &renewed.login.token)
        .await
        .unwrap_err();
    assert_eq!(e.category(), ErrorCategory::RetryLater, "{e}");
    assert_eq!(sandbox.stats().unattended_requests, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_field_errors_keep_the_code_and_the_field_but_not_the_text() {
    let sandbox = sandbox().await;
    sandbox.inject_fault(
        Endpoint::Initialize,
        Fault::InvalidInput {
            field: "RedirectUrl".into(),
        },
    );
    let (login, _) = begin(&client(&sandbox), params(USER));
    let e = outcome(&login).await.unwrap_err();
    match &e {
        Error::ProviderInvalidInput {
            code,
            fields,
            status,
            ..
        } => {
            assert_eq!((code.as_str(), *status), ("InvalidInput", 400));
            assert_eq!(fields, &["RedirectUrl"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.category(), ErrorCategory::InvalidInput);
    assert!(!e.to_string().contains("echo"), "{e}");
    assert!(matches!(login.state(), LoginState::Failed { .. }));
}

/// A login that fails at the bank: its `Failed` state's error quotes the flow's correlation id,
/// the very id the provider saw on every request of that login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_login_quotes_its_correlation_id() {
    let sandbox = sandbox().await;
    let user = "corr-failed-001";
    sandbox.script_user(user, UserScript::FailAfter(Duration::from_millis(150)));
    let (login, recorder) = begin(&client(&sandbox), params(user));
    let error = outcome(&login).await.expect_err("failed at the bank");
    assert_eq!(error, Error::LoginFailed { detail: None });
    let id = login.correlation_id().expect("an id once started");
    let states = recorder.finish_states().await;
    let Some(LoginState::Failed { error: info }) = states.last() else {
        panic!("did not end Failed: {states:?}");
    };
    assert_eq!(info.code, "login_failed");
    assert_eq!(
        info.correlation_id.as_deref(),
        Some(id.as_str()),
        "{info:?}"
    );

    let kinds = endpoints_carrying(&sandbox, &id);
    assert!(
        kinds.contains(&"initialize") && kinds.contains(&"status"),
        "{kinds:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_of_a_login_carries_one_correlation_id() {
    let sandbox = sandbox().await;
    sandbox.script_user(USER, UserScript::ApproveAfter(Duration::from_millis(1500)));
    // A 503 on the first status poll adds a retried request to the flow.
    sandbox.inject_fault(Endpoint::Status, Fault::ServerError(503));
    let (login, _) = begin(&client(&sandbox), params(USER));
    outcome(&login).await.expect("authenticated");
    let id = login.correlation_id().expect("an id once started");
    assert!(
        obauth::correlation::CorrelationId::parse(&id).is_ok(),
        "{id}"
    );

    let kinds = endpoints_carrying(&sandbox, &id);
    assert!(
        kinds.contains(&"initialize") && kinds.contains(&"tokens"),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().filter(|k| **k == "status").count() >= 2,
        "{kinds:?}"
    );
    // Another login gets another id.
    let other_user = "corr-other-0001";
    sandbox.script_user(
        other_user,
        UserScript::ApproveAfter(Duration::from_millis(50)),
    );
    let (other, _) = begin(&client(&sandbox), params(other_user));
    outcome(&other).await.expect("authenticated");
    assert_ne!(other.correlation_id(), Some(id));
}

/// The endpoints the sandbox's correlation log recorded, once every one of those requests is
/// checked to have carried the flow's `id`.
fn endpoints_carrying(sandbox: &Sandbox, id: &str) -> Vec<&'static str> {
    let log = sandbox.correlation_log();
    for record in &log {
        assert_eq!(record.correlation_id.as_deref(), Some(id), "{record:?}");
    }
    log.iter().map(|r| r.endpoint).collect()
}
