//! The `obauth unattended` contract, run as the real binary against the sandbox: stdout the
//! `login` JSON without `completed_via` (with the new login token), exit 9 and "start a
//! supervised login" for a refused login token, exit 2 before any request for bad input, and
//! no secret on stderr.

use obauth_sandbox::{Outcome, Sandbox};
use serde_json::{Value, json};
use tokio::process::Command;

mod common;

use common::{APP_LINK, obauth_command, run, sandbox, sorted_keys};

const USER: &str = "unattended-cli-user";

fn unattended(sandbox: &Sandbox, user_hash: &str, login_token: &str) -> Command {
    unattended_as(sandbox, sandbox.client_secret(), user_hash, login_token)
}

/// `obauth unattended` with the given client secret.
fn unattended_as(sandbox: &Sandbox, secret: &str, user_hash: &str, login_token: &str) -> Command {
    obauth_command(&[
        "unattended",
        "--api-url",
        &sandbox.base_url(),
        "--client-id",
        sandbox.client_id(),
        "--client-secret",
        secret,
        "--user-hash",
        user_hash,
        "--login-token",
        login_token,
    ])
}

/// An answer's body as JSON.
async fn json_body(answer: reqwest::Result<reqwest::Response>) -> Value {
    serde_json::from_str(&answer.unwrap().text().await.unwrap()).unwrap()
}

/// A supervised login for `user` straight over HTTP; its tokens answer.
async fn logged_in(sandbox: &Sandbox, user: &str) -> Value {
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{}{path}", sandbox.base_url()))
            .header("X-Client-Id", sandbox.client_id())
            .header("X-Client-Secret", sandbox.client_secret())
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
    };
    let init = json_body(
        post(
            "/v1/authentication/initialize",
            json!({ "userHash": user, "redirectUrl": APP_LINK }),
        )
        .await,
    )
    .await;
    let session_id = init["sessionId"].as_str().unwrap();
    assert!(sandbox.complete_session(session_id, Outcome::Approve));
    let status = json_body(
        http.get(format!(
            "{}/v1/authentication/{session_id}/status",
            sandbox.base_url()
        ))
        .header("X-Client-Id", sandbox.client_id())
        .header("X-Client-Secret", sandbox.client_secret())
        .send()
        .await,
    )
    .await;
    json_body(
        post(
            "/v1/authentication/tokens",
            json!({ "code": status["code"] }),
        )
        .await,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unattended_prints_the_login_json_without_completed_via() {
    let sb = sandbox().await;
    let tokens = logged_in(&sb, USER).await;
    let old = tokens["login"]["loginToken"].as_str().unwrap();
    let r = run(unattended(&sb, USER, old)).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.json();
    assert_eq!(
        sorted_keys(&out),
        [
            "access_token",
            "access_token_expires",
            "login_token",
            "login_token_expires",
            "provider_id",
            "supports_unattended"
        ]
    );
    let new = out["login_token"].as_str().unwrap();
    assert_ne!(new, old, "the login token is replaced");
    assert_eq!(out["supports_unattended"], true);
    assert_eq!(out["provider_id"], "DemoBank");
    r.assert_no_secret(&[old, new, out["access_token"].as_str().unwrap()]);
    assert_eq!(sb.stats().unattended_logins, 1);
    // Every request of the call carried one correlation id.
    let ids: Vec<Option<String>> = sb
        .correlation_log()
        .into_iter()
        .filter(|c| c.endpoint == "unattended")
        .map(|c| c.correlation_id)
        .collect();
    assert_eq!(ids.len(), 1);
    assert!(
        ids[0]
            .as_deref()
            .is_some_and(|id| id.starts_with("|obauth-"))
    );

    // The replaced token is refused now: exit 9, "start a supervised login".
    let r = run(unattended(&sb, USER, old)).await;
    assert_eq!(r.code, 9, "{}", r.stderr);
    let line = r.error_line();
    assert!(line.contains("start a supervised login"), "{line}");
    assert!(line.contains("InvalidLoginToken"), "{line}");
    assert!(r.stdout.trim().is_empty());
    r.assert_no_secret(&[old]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_and_banks_without_unattended_logins_exit_9() {
    let sb = sandbox().await;
    sb.set_unattended_support("no-unattended-bank", false);
    let tokens = logged_in(&sb, "no-unattended-bank").await;
    let token = tokens["login"]["loginToken"].as_str().unwrap();
    let r = run(unattended(&sb, "no-unattended-bank", token)).await;
    assert_eq!(r.code, 9, "{}", r.stderr);
    assert!(
        r.error_line().contains("UnattendedNotSupported"),
        "{}",
        r.stderr
    );

    let tokens = logged_in(&sb, USER).await;
    sb.expire_login_tokens();
    let token = tokens["login"]["loginToken"].as_str().unwrap();
    let r = run(unattended(&sb, USER, token)).await;
    assert_eq!(r.code, 9, "{}", r.stderr);
    assert!(r.error_line().contains("LoginTokenExpired"), "{}", r.stderr);
    assert!(r.error_line().contains("start a supervised login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_exits_2_before_any_request_and_bad_credentials_exit_6() {
    let sb = sandbox().await;
    let r = run(unattended(&sb, "bad hash!", "some-token")).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.error_line().contains("userHash"), "{}", r.stderr);
    let mut cmd = obauth_command(&[
        "unattended",
        "--api-url",
        &sb.base_url(),
        "--user-hash",
        USER,
    ]);
    cmd.env("OBAUTH_CLIENT_ID", "x")
        .env("OBAUTH_CLIENT_SECRET", "y");
    let r = run(cmd).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.error_line().contains("--login-token"), "{}", r.stderr);
    assert_eq!(sb.stats().unattended_requests, 0, "nothing was sent");

    let mut cmd = unattended(&sb, USER, "some-token");
    cmd.args(["--client-secret", "x"]);
    let r = run(cmd).await;
    assert_eq!(r.code, 2, "--client-secret given twice: {}", r.stderr);

    let r = run(unattended_as(&sb, "wrong-secret", USER, "some-token")).await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(!r.stderr.contains("wrong-secret"));
}
