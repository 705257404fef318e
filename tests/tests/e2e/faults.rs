//! Transient trouble on every endpoint is ridden out; persistent trouble ends in an error that
//! says "retry later". The sandbox's fault queues pop one fault per request, in order, so the
//! request counters say exactly how many attempts the core made.

use std::time::{Duration, Instant};

use obauth::{CodeSource, Error, ErrorCategory, LoginState};
use obauth_e2e::*;
use obauth_sandbox::{Endpoint, Fault, UserScript};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_faults_are_retried_to_success() {
    let sandbox = sandbox().await;
    let user = "faults-user-001";
    sandbox.script_user(user, UserScript::ApproveAfter(Duration::from_millis(100)));
    sandbox.inject_faults(Endpoint::Initialize, Fault::ServerError(503), 2);
    sandbox.inject_fault(
        Endpoint::Status,
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    sandbox.inject_fault(Endpoint::Status, Fault::DropConnection);
    sandbox.inject_fault(Endpoint::Status, Fault::MalformedJson);
    sandbox.inject_fault(Endpoint::Tokens, Fault::ServerError(503));
    let client = client(&sandbox);

    let started = Instant::now();
    let (login, recorder) = begin(&client, params(user));
    // Watch the status counter to time the gap the 429 imposed.
    let mut first_status = None;
    let mut second_status = None;
    while !login.state().is_terminal() {
        let n = sandbox.stats().status_requests;
        if n >= 1 && first_status.is_none() {
            first_status = Some(Instant::now());
        }
        if n >= 2 && second_status.is_none() {
            second_status = Some(Instant::now());
        }
        assert!(started.elapsed() < Duration::from_secs(15), "stuck");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let tokens = outcome(&login)
        .await
        .expect("authenticated despite the faults");
    let elapsed = started.elapsed();
    let states = recorder.finish_states().await;

    // The faults are invisible to the host: the usual sequence, the poll brought the code.
    assert_happy_path(&states, CodeSource::Poll);
    let stats = sandbox.stats();
    assert_eq!(
        stats.initialize_requests, 3,
        "2 × 503, then success: {stats:?}"
    );
    assert_eq!(
        stats.status_requests, 4,
        "429, dropped connection, malformed JSON, then success: {stats:?}"
    );
    assert_eq!(stats.token_requests, 2, "503, then success: {stats:?}");
    assert_eq!(stats.successful_exchanges, 1, "{stats:?}");

    // Retry-After: 1 was honoured. Every other retry here waits at most 100 ms (fast policy),
    // so the whole login could not take a second unless the 429 made it wait.
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    let gap = second_status.expect("a retry") - first_status.expect("a poll");
    assert!(
        gap >= Duration::from_millis(800),
        "the retry after the 429 came {gap:?} later (Retry-After: 1)"
    );

    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.add_tokens(&tokens);
    secrets.add(
        "code",
        &peek_code(&sandbox, &session_id_of(&states)).await.unwrap(),
    );
    secrets.assert_all_clean("state", &states);
    secrets.assert_debug_clean("tokens", &tokens);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_503_on_initialize_gives_up_with_retry_later() {
    let sandbox = sandbox().await;
    sandbox.inject_faults(Endpoint::Initialize, Fault::ServerError(503), 50);
    let client = client(&sandbox);
    let (login, recorder) = begin(&client, params("faults-user-002"));
    let error = outcome(&login).await.expect_err("gave up");
    let states = recorder.finish_states().await;

    assert_eq!(
        error,
        Error::ServerError {
            endpoint: "initialize",
            status: 503
        }
    );
    assert_eq!(error.category(), ErrorCategory::RetryLater);
    assert!(error.is_transient());
    assert_eq!(names(&states), ["created", "initializing", "failed"]);
    assert_eq!(
        states.last(),
        Some(&LoginState::Failed {
            error: error.clone().into()
        })
    );
    let stats = sandbox.stats();
    // A bounded number of attempts (the core: 1 + 4 retries), then nothing more.
    assert_eq!(stats.initialize_requests, 5, "{stats:?}");
    assert_eq!(stats.status_requests + stats.token_requests, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sandbox.stats().initialize_requests,
        5,
        "no retry after giving up"
    );

    let secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.assert_debug_clean("error", &error);
    secrets.assert_all_clean("state", &states);
}
