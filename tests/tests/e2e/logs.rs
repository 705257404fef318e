//! Everything the core logs, at every level, is free of secrets.
//!
//! Apps ship with logging on, and log lines end up in crash reporters and support tickets. The
//! core logs state changes, retries and failures; this test captures every `log` record at
//! `Trace` while logins run through the paths that log the most (retries after a malformed
//! answer and a 503, a redirect, a failure) and searches the lines for the secrets met.
//!
//! The logger is process-wide, so lines from tests running in parallel are captured too; only
//! this test's secrets are searched for, which other tests' lines cannot contain.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use obauth::RedirectOutcome;
use obauth_e2e::oauth_browser::{add_token_set, connect_tokens};
use obauth_e2e::*;
use obauth_sandbox::{Endpoint, Fault, UserScript};

struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}: {}", record.level(), record.target(), record.args());
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }

    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        log::set_logger(capture).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_secrets() {
    let lines = capture();
    let sandbox = sandbox().await;
    let mut secrets = Secrets::with_client_secret(sandbox.client_secret());
    let client = client(&sandbox);

    // By poll, through a malformed status answer and a failed exchange.
    let user = "logs-user-0001";
    sandbox.script_user(user, UserScript::ApproveAfter(Duration::from_millis(100)));
    sandbox.inject_fault(Endpoint::Status, Fault::MalformedJson);
    sandbox.inject_fault(Endpoint::Tokens, Fault::ServerError(503));
    let (login, recorder) = begin(&client, params(user));
    let tokens = outcome(&login).await.expect("authenticated");
    let session_id = session_id_of(&recorder.finish_states().await);
    secrets.add_tokens(&tokens);
    secrets.add(
        "poll code",
        &peek_code(&sandbox, &session_id).await.unwrap(),
    );

    // By redirect (the poll held back so the redirect is first).
    sandbox.inject_fault(Endpoint::Status, Fault::Delay(Duration::from_millis(1500)));
    let (login, recorder) = begin(&client, params("logs-user-0002"));
    let (auth_url, _) = recorder.awaiting_user().await;
    // The bank page's start token lets anyone continue the login: never in a log line.
    secrets.add(
        "start token",
        &query::value(&auth_url, "startToken").expect("a startToken"),
    );
    let location = Browser::new().choose(&auth_url, "approve").await;
    assert_eq!(
        login.handle_redirect(&location),
        RedirectOutcome::CodeAccepted
    );
    let tokens = outcome(&login).await.expect("authenticated");
    secrets.add_tokens(&tokens);
    secrets.add("redirect code", &query::value(&location, "code").unwrap());

    // An Aiia Data connect flow: its state (in the authorize URL and the redirect), its code
    // and its tokens.
    let (connect_set, connect_location) = connect_tokens(&client).await;
    add_token_set(&mut secrets, "connect", &connect_set);
    secrets.add(
        "connect state",
        &query::value(&connect_location, "state").expect("a state"),
    );
    secrets.add(
        "connect code",
        &query::value(&connect_location, "code").expect("a code"),
    );

    // A failure with the wrong secret.
    let wrong = "wrong-secret-for-logs-test";
    secrets.add("wrong client secret", wrong);
    let (login, _) = begin(&client_with(&sandbox, wrong), params("logs-user-0003"));
    outcome(&login).await.expect_err("unauthorized");

    let captured = lines.0.lock().unwrap().clone();
    assert!(
        captured.iter().any(|l| l.contains("flow state")),
        "the core's debug lines were not captured: {} lines",
        captured.len()
    );
    for line in &captured {
        secrets.assert_absent("a log line", line);
    }
}
