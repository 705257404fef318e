//! The `obauth login` contract, checked by running the real binary against the sandbox over HTTP:
//! exit codes, the `auth_url:` line, the single stdout JSON object, the `error:` line, and that
//! the client secret never appears in any output.

use std::time::{Duration, Instant};

use obauth_sandbox::{Endpoint, Fault, Sandbox, UserScript};
use tokio::process::Command;

mod common;

use common::{APP_LINK, Running, SECRET, http, loopback_redirect, obauth_command, run, sandbox};

fn login_command(sandbox: &Sandbox, user_hash: &str, redirect: &str, extra: &[&str]) -> Command {
    let base_url = sandbox.base_url();
    let mut cmd = obauth_command(&["login", "--api-url", &base_url, "--user-hash", user_hash]);
    cmd.args(["--redirect-url", redirect])
        .args(extra)
        .env("OBAUTH_CLIENT_ID", sandbox.client_id())
        .env("OBAUTH_CLIENT_SECRET", sandbox.client_secret());
    cmd
}

#[tokio::test]
async fn poll_success_prints_tokens_json() {
    let sb = sandbox().await;
    sb.script_user(
        "cli-user-poll",
        UserScript::ApproveAfter(Duration::from_millis(300)),
    );
    let r = run(login_command(
        &sb,
        "cli-user-poll",
        APP_LINK,
        &["--poll-timeout", "2"],
    ))
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let auth_url = r
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("auth_url: "))
        .expect("auth_url line");
    assert!(auth_url.starts_with(&format!(
        "{}/v1/authentication/start?startToken=",
        sb.base_url()
    )));
    let json = r.json();
    for key in [
        "access_token",
        "access_token_expires",
        "login_token",
        "login_token_expires",
        "provider_id",
    ] {
        assert!(
            json[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} in {json}"
        );
    }
    assert_eq!(json["completed_via"], "poll");
    assert_eq!(json["provider_id"], "DemoBank");
    assert_eq!(json["supports_unattended"], true);
    assert_eq!(json.as_object().unwrap().len(), 7);
    assert_eq!(sb.stats().successful_exchanges, 1);
    r.assert_no_secret(&[]);
}

#[tokio::test]
async fn loopback_redirect_races_the_poll_with_exactly_one_exchange() {
    let sb = sandbox().await;
    let redirect = loopback_redirect();
    let mut running = Running::spawn(login_command(
        &sb,
        "cli-user-redirect",
        &redirect,
        &["--client-secret", SECRET],
    ));
    let auth_url = running.auth_url().await;
    // Play the browser: load the bank page, click Approve, follow the redirect to the listener.
    let http = http();
    let page = http
        .get(&auth_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"approve\""));
    let token = url::Url::parse(&auth_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "startToken")
        .unwrap()
        .1
        .into_owned();
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("startToken", &token)
        .append_pair("decision", "approve")
        .finish();
    let decision = http
        .post(format!(
            "{}/v1/authentication/start/decision",
            sb.base_url()
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let location = decision.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&redirect), "{location}");
    let landing = http.get(&location).send().await.unwrap();
    assert_eq!(landing.status(), 200);
    assert!(landing.text().await.unwrap().contains("close this window"));

    let r = running.finish().await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let via = r.json()["completed_via"].as_str().unwrap().to_owned();
    assert!(via == "redirect" || via == "poll", "{via}");
    assert_eq!(sb.stats().successful_exchanges, 1, "exactly one exchange");
    assert_eq!(sb.sessions()[0].exchanges, 1);
    assert_eq!(
        sb.stats().token_requests,
        1,
        "the losing path never even tried"
    );
    r.assert_no_secret(&[]);
}

#[tokio::test]
async fn cancelled_and_failed_at_the_bank() {
    let sb = sandbox().await;
    sb.script_user(
        "cli-user-cancel",
        UserScript::CancelAfter(Duration::from_millis(200)),
    );
    sb.script_user(
        "cli-user-fail",
        UserScript::FailAfter(Duration::from_millis(200)),
    );
    let r = run(login_command(&sb, "cli-user-cancel", APP_LINK, &[])).await;
    assert_eq!(r.code, 3);
    assert_eq!(r.error_line(), "error: cancelled by the user");
    assert!(r.stdout.is_empty());
    let r = run(login_command(&sb, "cli-user-fail", APP_LINK, &[])).await;
    assert_eq!(r.code, 4);
    assert!(
        r.error_line().starts_with("error: failed"),
        "{}",
        r.error_line()
    );
    assert_eq!(sb.stats().token_requests, 0);
}

#[tokio::test]
async fn wrong_secret_is_unauthorized_and_never_printed() {
    let sb = sandbox().await;
    let wrong = "wrong-secret-value-123";
    let mut cmd = login_command(&sb, "cli-user-wrong", APP_LINK, &[]);
    cmd.env("OBAUTH_CLIENT_SECRET", wrong);
    let r = run(cmd).await;
    assert_eq!(r.code, 6);
    assert!(
        r.error_line().starts_with("error: unauthorized"),
        "{}",
        r.error_line()
    );
    assert!(!r.stderr.contains(wrong) && !r.stdout.contains(wrong));
    assert_eq!(sb.stats().initialize_requests, 1, "a 401 is not retried");
}

#[tokio::test]
async fn transient_503s_are_retried() {
    let sb = sandbox().await;
    sb.inject_faults(Endpoint::Initialize, Fault::ServerError(503), 2);
    sb.inject_faults(Endpoint::Status, Fault::ServerError(503), 2);
    sb.inject_fault(Endpoint::Tokens, Fault::ServerError(503));
    sb.script_user(
        "cli-user-flaky",
        UserScript::ApproveAfter(Duration::from_millis(200)),
    );
    let r = run(login_command(
        &sb,
        "cli-user-flaky",
        APP_LINK,
        &["--poll-timeout", "2"],
    ))
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["completed_via"], "poll");
    let stats = sb.stats();
    assert_eq!(stats.initialize_requests, 3);
    assert_eq!(stats.token_requests, 2);
    assert_eq!(stats.successful_exchanges, 1);
}

#[tokio::test]
async fn overall_timeout_bounds_the_run() {
    let sb = sandbox().await;
    sb.script_user("cli-user-never", UserScript::NeverFinish);
    let started = Instant::now();
    let r = run(login_command(
        &sb,
        "cli-user-never",
        APP_LINK,
        &["--timeout", "2", "--poll-timeout", "1"],
    ))
    .await;
    assert_eq!(r.code, 5);
    assert!(
        r.error_line().starts_with("error: timed out"),
        "{}",
        r.error_line()
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        sb.stats().status_requests <= 3,
        "at most one poll per window"
    );
}

#[tokio::test]
async fn invalid_input_exits_2_before_any_request() {
    let sb = sandbox().await;
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--user-hash".into(), "bad hash!".into()],
            "error: invalid userHash",
        ),
        (
            vec!["--user-hash".into(), "short".into()],
            "error: invalid userHash",
        ),
        (
            vec!["--redirect-url".into(), "http://app.example.com/cb".into()],
            "error: invalid redirectUrl",
        ),
        (
            vec!["--api-url".into(), "http://api.example.com".into()],
            "error: invalid apiUrl",
        ),
        (
            vec!["--poll-timeout".into(), "soon".into()],
            "error: --poll-timeout",
        ),
        (
            vec!["--bogus".into(), "1".into()],
            "error: unknown option --bogus",
        ),
    ];
    for (overrides, expected) in cases {
        let mut args = vec![
            "login".to_string(),
            "--api-url".into(),
            sb.base_url(),
            "--user-hash".into(),
            "valid-user-hash".into(),
            "--redirect-url".into(),
            APP_LINK.into(),
        ];
        for pair in overrides.chunks(2) {
            match args.iter().position(|a| *a == pair[0]) {
                Some(i) => args[i + 1] = pair[1].clone(),
                None => args.extend(pair.iter().cloned()),
            }
        }
        let mut cmd = obauth_command(&[]);
        cmd.args(&args)
            .env("OBAUTH_CLIENT_ID", sb.client_id())
            .env("OBAUTH_CLIENT_SECRET", SECRET);
        let r = run(cmd).await;
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.error_line().starts_with(expected),
            "{args:?}: {}",
            r.error_line()
        );
        r.assert_no_secret(&[]);
    }
    // A missing argument.
    let r = run(obauth_command(&["login", "--api-url", &sb.base_url()])).await;
    assert_eq!(r.code, 2);
    assert!(r.error_line().starts_with("error: missing --client-id"));
    let stats = sb.stats();
    assert_eq!(
        (
            stats.initialize_requests,
            stats.status_requests,
            stats.token_requests
        ),
        (0, 0, 0),
        "nothing was sent"
    );
}

#[tokio::test]
async fn demo_runs_every_scenario() {
    let r = run(obauth_command(&["demo"])).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("every scenario ended as expected"));
    assert!(r.stderr.contains("via redirect") && r.stderr.contains("via poll"));
    // Relay mode by default: the app's clients go through an obauth relay with app tokens.
    assert!(
        r.stderr
            .contains("obauth relay (holds the partner credentials) at http://127.0.0.1:"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("one fresh token, then authenticated"));
    assert!(!r.stderr.contains(SECRET) && !r.stdout.contains(SECRET));
}
