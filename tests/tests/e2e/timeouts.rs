//! The user never finishes: the login must end at its deadline, and while it waits it must poll
//! at most once per `pollTimeout` window — whether the provider holds each request for the whole
//! window or (misbehaving) answers `InProgress` at once.

use std::time::{Duration, Instant};

use obauth::{Error, ErrorCategory, LoginState};
use obauth_e2e::*;
use obauth_sandbox::{SandboxConfig, UserScript};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overall_deadline_times_out_with_one_poll_per_window() {
    let sandbox = sandbox().await;
    let user = "timeout-user-01";
    sandbox.script_user(user, UserScript::NeverFinish);
    let client = client(&sandbox);
    let mut p = params(user);
    p.timeout = Duration::from_secs(2);
    p.poll_timeout = Duration::from_secs(1);
    let started = Instant::now();
    let (login, recorder) = begin(&client, p);
    let error = outcome(&login).await.expect_err("timed out");
    let elapsed = started.elapsed();
    let states = recorder.finish_states().await;

    assert_eq!(error, Error::TimedOut(Duration::from_secs(2)));
    assert_eq!(error.category(), ErrorCategory::RetryLater);
    assert!(error.to_string().starts_with("timed out"), "{error}");
    assert_ended_while_awaiting(&states, &LoginState::TimedOut);
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");

    // Two seconds of one-second windows: two polls, three at the very most.
    let polls = sandbox.stats().status_requests;
    assert!((1..=3).contains(&polls), "{polls} status requests");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let stats = sandbox.stats();
    assert_eq!(stats.status_requests, polls, "a poll after the deadline");
    assert_eq!(stats.token_requests, 0);

    let secrets = Secrets::with_client_secret(sandbox.client_secret());
    secrets.assert_debug_clean("error", &error);
    secrets.assert_all_clean("state", &states);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_answering_early_is_still_polled_once_per_window() {
    // A provider that ignores pollTimeout and answers InProgress at once.
    let sandbox = sandbox_with(SandboxConfig {
        max_poll_timeout: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await;
    let user = "timeout-user-02";
    sandbox.script_user(user, UserScript::NeverFinish);
    let client = client(&sandbox);
    let mut p = params(user);
    p.timeout = Duration::from_millis(2500);
    p.poll_timeout = Duration::from_secs(1);
    let (login, recorder) = begin(&client, p);
    let error = outcome(&login).await.expect_err("timed out");
    let states = recorder.finish_states().await;
    assert_eq!(error, Error::TimedOut(Duration::from_millis(2500)));
    assert_ended_while_awaiting(&states, &LoginState::TimedOut);

    // Windows start at about 0 s, 1 s and 2 s; a client that re-polled on every early answer
    // would have sent hundreds.
    let polls = sandbox.stats().status_requests;
    assert!((2..=4).contains(&polls), "{polls} status requests in 2.5 s");
}
