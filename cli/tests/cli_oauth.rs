//! The `obauth connect` and `obauth token` contracts, checked by running the real binary against
//! the sandbox over HTTP: the `auth_url:` line, the redirect taken on a loopback listener or as a
//! line on stdin, the single stdout JSON object and its keys, exit codes, the one `error:` line,
//! what the provider saw (token requests, client-authentication methods), and that neither the
//! client secret nor any other secret we passed in is ever printed to stderr.

use std::process::Stdio;
use std::time::Duration;

use obauth_sandbox::{ClientAuthMethod, Sandbox};
use tokio::process::Command;

mod common;

use common::{
    APP_LINK, Running, SECRET, follow_to_app, forge_state, http, loopback_redirect, obauth_command,
    run, sandbox, sorted_keys, submit_decision,
};
const ARITMA_SCOPE: &str = "banking.channel.psd2 banking.ais.read";

fn obauth(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut cmd = obauth_command(args);
    cmd.env("OBAUTH_CLIENT_ID", sandbox.client_id())
        .env("OBAUTH_CLIENT_SECRET", sandbox.client_secret());
    cmd
}

fn connect_command(sandbox: &Sandbox, redirect: &str) -> Command {
    let base = sandbox.base_url();
    obauth(
        sandbox,
        &[
            "connect",
            "--api-url",
            &base,
            "--redirect-uri",
            redirect,
            "--timeout",
            "60",
        ],
    )
}

/// `obauth connect` to the app link, started: the redirect is pasted on its stdin.
fn connect_pasting(sandbox: &Sandbox) -> Running {
    let mut cmd = connect_command(sandbox, APP_LINK);
    cmd.stdin(Stdio::piped());
    Running::spawn(cmd)
}

/// Plays the user on the Aiia consent flow: loads the authorize URL, follows the provider's 302
/// to the consent page, posts the decision and returns the `Location` back to the app.
async fn consent(sandbox: &Sandbox, auth_url: &str, decision: &str) -> String {
    let http = http();
    let connect = http.get(auth_url).send().await.unwrap();
    assert_eq!(connect.status(), 302, "connect answers with a redirect");
    let page_url = connect.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        page_url.starts_with(&format!("{}/v1/oauth/connect/consent", sandbox.base_url())),
        "{page_url}"
    );
    let page = http
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"approve\""), "{page}");
    let decision_url = format!("{}/v1/oauth/connect/decision", sandbox.base_url());
    submit_decision(&page, &decision_url, decision).await
}

/// The decoded value of a query parameter (percent-decoded once; `+` stays `+`).
fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let raw = query
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))?;
    Some(percent_encoding_decode(raw))
}

fn percent_encoding_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn assert_connect_json(json: &serde_json::Value, location: &str) {
    assert_eq!(
        sorted_keys(json),
        [
            "access_token",
            "consent_id",
            "expires_in",
            "refresh_token",
            "token_type"
        ]
    );
    assert!(json["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(
        json["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        json["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
    );
    let expires_in = json["expires_in"].as_u64().expect("a number");
    assert!((3590..=3600).contains(&expires_in), "{expires_in}");
    assert_eq!(
        json["consent_id"].as_str(),
        query_value(location, "consentId").as_deref()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_a_loopback_redirect_prints_tokens_json() {
    let sb = sandbox().await;
    let redirect = loopback_redirect();
    let mut running = Running::spawn(connect_command(&sb, &redirect));
    let auth_url = running.auth_url().await;
    assert!(
        auth_url.starts_with(&format!("{}/v1/oauth/connect?", sb.base_url())),
        "{auth_url}"
    );
    let location = consent(&sb, &auth_url, "approve").await;
    assert!(location.starts_with(&format!("{redirect}?")), "{location}");
    // The browser follows the redirect to the CLI's loopback listener.
    let landing = http().get(&location).send().await.unwrap();
    assert_eq!(landing.status(), 200);
    assert!(landing.text().await.unwrap().contains("Signed in"));

    let r = running.finish().await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    assert_connect_json(&json, &location);
    let code = query_value(&location, "code").unwrap();
    r.assert_no_secret(&[
        &code,
        json["access_token"].as_str().unwrap(),
        json["refresh_token"].as_str().unwrap(),
    ]);
    let stats = sb.stats();
    assert_eq!(stats.oauth_token_requests, 1, "{stats:?}");
    assert_eq!(stats.oauth_code_exchanges, 1, "{stats:?}");
    let log = sb.token_requests();
    assert_eq!(log[0].auth_method, ClientAuthMethod::ClientSecretBasic);
    assert_eq!(log[0].grant_type.as_deref(), Some("authorization_code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_an_https_redirect_reads_it_from_stdin() {
    let sb = sandbox().await;
    let mut running = connect_pasting(&sb);
    let auth_url = running.auth_url().await;
    let location = consent(&sb, &auth_url, "approve").await;
    assert!(location.starts_with(&format!("{APP_LINK}?")), "{location}");
    running.type_line(&location).await;
    let r = running.finish().await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("paste the URL"), "{}", r.stderr);
    let json = r.json();
    assert_connect_json(&json, &location);
    r.assert_no_secret(&[
        json["access_token"].as_str().unwrap(),
        json["refresh_token"].as_str().unwrap(),
    ]);
    assert_eq!(sb.stats().oauth_code_exchanges, 1);
    assert_eq!(sb.token_requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_a_forged_state_exits_8_without_an_exchange() {
    let sb = sandbox().await;
    let mut running = connect_pasting(&sb);
    let auth_url = running.auth_url().await;
    let location = consent(&sb, &auth_url, "approve").await;
    let state = query_value(&location, "state").unwrap();
    let forged = forge_state(&location, &state);
    assert_ne!(forged, location);
    running.type_line(&forged).await;
    let r = running.finish().await;
    assert_eq!(r.code, 8, "{}", r.stderr);
    let line = r.error_line();
    assert!(line.contains("state"), "{line}");
    assert!(r.stdout.trim().is_empty(), "no tokens: {}", r.stdout);
    let code = query_value(&location, "code").unwrap();
    r.assert_no_secret(&[&code]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stats = sb.stats();
    assert_eq!(
        stats.oauth_token_requests, 0,
        "nothing exchanged: {stats:?}"
    );
    assert!(sb.token_requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_with_post_at_the_token_url() {
    let sb = sandbox().await;
    let token_url = format!("{}/connect/token", sb.base_url());
    let r = run(obauth(
        &sb,
        &[
            "token",
            "--token-url",
            &token_url,
            "--client-auth",
            "post",
            "--scope",
            ARITMA_SCOPE,
        ],
    ))
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    assert_eq!(
        sorted_keys(&json),
        ["access_token", "expires_in", "scope", "token_type"]
    );
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["scope"], ARITMA_SCOPE);
    let expires_in = json["expires_in"].as_u64().unwrap();
    assert!((3590..=3600).contains(&expires_in), "{expires_in}");
    let token = json["access_token"].as_str().unwrap();
    assert!(sb.is_access_token_active(token));
    r.assert_no_secret(&[token]);
    let log = sb.token_requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].path, "/connect/token");
    assert_eq!(log[0].auth_method, ClientAuthMethod::ClientSecretPost);
    assert_eq!(log[0].grant_type.as_deref(), Some("client_credentials"));
    assert_eq!(sb.stats().discovery_requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_with_basic_via_the_issuer() {
    let sb = sandbox().await;
    let issuer = sb.issuer();
    let r = run(obauth(
        &sb,
        &["token", "--issuer", &issuer, "--client-auth", "basic"],
    ))
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    assert_eq!(json.as_object().unwrap().len(), 4, "{json}");
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["scope"], ARITMA_SCOPE, "no scope asked: all granted");
    assert!(json["expires_in"].as_u64().is_some());
    r.assert_no_secret(&[json["access_token"].as_str().unwrap()]);
    let stats = sb.stats();
    assert_eq!(stats.discovery_requests, 1, "{stats:?}");
    assert_eq!(stats.client_secret_basic_requests, 1, "{stats:?}");
    let log = sb.token_requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].path, "/oidc/token", "the discovered endpoint");
    assert_eq!(log[0].auth_method, ClientAuthMethod::ClientSecretBasic);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_with_a_wrong_secret_exits_6() {
    let sb = sandbox().await;
    let wrong = "wrong-secret-value-456";
    let token_url = format!("{}/connect/token", sb.base_url());
    for auth in ["post", "basic"] {
        let mut cmd = obauth(
            &sb,
            &["token", "--token-url", &token_url, "--client-auth", auth],
        );
        cmd.env("OBAUTH_CLIENT_SECRET", wrong);
        let r = run(cmd).await;
        assert_eq!(r.code, 6, "{auth}: {}", r.stderr);
        assert!(
            r.error_line().starts_with("error: unauthorized"),
            "{}",
            r.error_line()
        );
        assert!(r.stdout.trim().is_empty());
        assert!(!r.stderr.contains(wrong) && !r.stdout.contains(wrong));
    }
    let log = sb.token_requests();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log.iter().all(|r| r.status == 401));
    assert_eq!(sb.stats().client_credentials_grants, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_with_both_token_url_and_issuer_exits_2_before_any_request() {
    let sb = sandbox().await;
    let token_url = format!("{}/connect/token", sb.base_url());
    let issuer = sb.issuer();
    let cases: Vec<Vec<&str>> = vec![
        vec!["token", "--token-url", &token_url, "--issuer", &issuer],
        vec!["token"],
        vec!["token", "--token-url", &token_url, "--client-auth", "jwt"],
        vec![
            "token",
            "--token-url",
            "http://id.dev.aritma.io/connect/token",
        ],
    ];
    for args in cases {
        let mut cmd = obauth(&sb, &args);
        cmd.arg("--client-secret").arg(SECRET);
        let r = run(cmd).await;
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.error_line().starts_with("error: "), "{args:?}");
        assert!(r.stdout.trim().is_empty());
        r.assert_no_secret(&[]);
    }
    let stats = sb.stats();
    assert_eq!(
        (stats.oidc_token_requests, stats.discovery_requests),
        (0, 0),
        "nothing was sent: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_cancelled_or_foreign_url_on_stdin() {
    let sb = sandbox().await;
    // The user cancels at the consent page and pastes the resulting redirect.
    let mut running = connect_pasting(&sb);
    let auth_url = running.auth_url().await;
    let location = consent(&sb, &auth_url, "cancel").await;
    assert_eq!(
        query_value(&location, "error").as_deref(),
        Some("access_denied")
    );
    running.type_line(&location).await;
    let r = running.finish().await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.error_line(), "error: cancelled by the user");
    assert!(r.stdout.trim().is_empty());

    // A URL that is not the redirect at all.
    let mut running = connect_pasting(&sb);
    running.auth_url().await;
    running
        .type_line("https://elsewhere.example.com/callback?code=abc&state=def")
        .await;
    let r = running.finish().await;
    assert_eq!(r.code, 8, "{}", r.stderr);
    assert!(
        r.error_line().contains("not this flow's redirect"),
        "{}",
        r.stderr
    );
    r.assert_no_secret(&[]);
    assert_eq!(sb.stats().oauth_token_requests, 0);
}

/// Aiia Data: the user cancels (or the bank fails) and the provider comes back with `state`
/// only. `obauth connect` ends at once with exit 3 and "start again", exchanging nothing; the
/// same redirect with a forged state is still the forged-state error (exit 8).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_redirect_without_code_exits_3_and_a_forged_one_exits_8() {
    let sb = sandbox().await;
    sb.script_consent(obauth_sandbox::ConsentScript::ReturnWithoutCode);
    let redirect = loopback_redirect();
    let mut running = Running::spawn(connect_command(&sb, &redirect));
    let auth_url = running.auth_url().await;
    let location = follow_to_app(&sb, &auth_url, &redirect).await;
    assert!(query_value(&location, "state").is_some(), "{location}");
    assert!(query_value(&location, "code").is_none(), "{location}");
    assert!(query_value(&location, "consentId").is_none(), "{location}");
    let _ = http().get(&location).send().await;
    let started = std::time::Instant::now();
    let r = running.finish().await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(started.elapsed() < Duration::from_secs(10), "ended at once");
    assert!(r.error_line().contains("start again"), "{}", r.stderr);
    assert!(r.stdout.trim().is_empty());

    // The same redirect with a forged state (pasted on stdin): the forged-state error.
    let mut running = connect_pasting(&sb);
    let auth_url = running.auth_url().await;
    let location = follow_to_app(&sb, &auth_url, APP_LINK).await;
    let state = query_value(&location, "state").unwrap();
    running
        .type_line(&format!("{APP_LINK}?state=x{state}"))
        .await;
    let r = running.finish().await;
    assert_eq!(r.code, 8, "{}", r.stderr);
    assert!(r.error_line().contains("state"), "{}", r.stderr);
    assert_eq!(sb.stats().oauth_token_requests, 0);
}
