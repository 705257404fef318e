//! The `obauth relay` contract, checked by running the real binary against the sandbox over
//! HTTP: the printed base URL, `/healthz`, `401 InvalidAppToken` without a token, a login
//! initialized with an app token, SIGTERM ending it cleanly, usage errors (exit 2), and that no
//! secret is ever printed.

use std::time::Duration;

use jsonwebtoken::{EncodingKey, Header};
use obauth_sandbox::Sandbox;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

mod common;

use common::{APP_LINK, Running, SECRET, follow_to_app, obauth_command, run, sandbox, sorted_keys};

const RELAY_KEY: &str = "cli-test-relay-key-0123456789abcdef-0123456789";
const APP_SECRET: &str = "cli-test-app-secret-0123456789abcdef-012345";
const APP_SECRET_VAR: &str = "OBAUTH_TEST_APP_JWT_SECRET";

fn relay_command(sandbox: &Sandbox, extra: &[&str]) -> Command {
    relay_command_to(
        &sandbox.base_url(),
        sandbox.client_id(),
        sandbox.client_secret(),
        extra,
    )
}

/// `obauth relay` on a free loopback port in front of `upstream`, with the partner credentials,
/// the relay key and the app tokens' HS256 secret in its environment.
fn relay_command_to(upstream: &str, client_id: &str, secret: &str, extra: &[&str]) -> Command {
    let mut cmd = obauth_command(&["relay", "--listen", "127.0.0.1:0", "--upstream", upstream]);
    cmd.args(extra)
        .env("OBAUTH_CLIENT_ID", client_id)
        .env("OBAUTH_CLIENT_SECRET", secret)
        .env("OBAUTH_RELAY_KEY", RELAY_KEY)
        .env(APP_SECRET_VAR, APP_SECRET)
        .env_remove("OBAUTH_LOG");
    cmd
}

const HS256_ARGS: &[&str] = &[
    "--jwt-hs256-secret-env",
    APP_SECRET_VAR,
    "--allow-redirect",
    APP_LINK,
    "--allow-redirect",
    "https://app.example.com/aiia-callback/*",
];

/// A running `obauth relay`: its base URL and its outputs, read to the end on [`Self::stop`].
struct RunningRelay {
    child: Child,
    base: String,
    stdout: tokio::task::JoinHandle<String>,
    stderr: tokio::task::JoinHandle<String>,
}

impl RunningRelay {
    async fn start(mut cmd: Command) -> RunningRelay {
        let mut child = cmd.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut stderr = child.stderr.take().unwrap();
        let stderr = tokio::spawn(async move {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s).await;
            s
        });
        let mut first = String::new();
        tokio::time::timeout(Duration::from_secs(30), stdout.read_line(&mut first))
            .await
            .expect("the relay printed its URL")
            .unwrap();
        let stdout = tokio::spawn(async move {
            let mut rest = String::new();
            let _ = stdout.read_to_string(&mut rest).await;
            rest
        });
        RunningRelay {
            child,
            base: first.trim().to_owned(),
            stdout,
            stderr,
        }
    }

    /// SIGTERM, then the exit code and both outputs (the URL line included).
    async fn stop(mut self) -> (i32, String, String) {
        let pid = self.child.id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("the relay stopped after SIGTERM")
            .unwrap();
        let stdout = format!("{}\n{}", self.base, self.stdout.await.unwrap());
        (
            status.code().unwrap_or(-1),
            stdout,
            self.stderr.await.unwrap(),
        )
    }
}

fn app_token(sub: &str) -> String {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    jsonwebtoken::encode(
        &Header::default(),
        &json!({ "sub": sub, "exp": exp }),
        &EncodingKey::from_secret(APP_SECRET.as_bytes()),
    )
    .unwrap()
}

/// A well-formed app token signed with the wrong secret: the relay refuses it.
fn forged_app_token() -> String {
    jsonwebtoken::encode(
        &Header::default(),
        &json!({ "sub": "x", "exp": 4_000_000_000u64 }),
        &EncodingKey::from_secret(b"not-the-app-secret-0123456789abcdef-01234"),
    )
    .unwrap()
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn assert_no_secrets(text: &str, extra: &[&str]) {
    for secret in [SECRET, RELAY_KEY, APP_SECRET].iter().chain(extra) {
        assert!(!text.contains(secret), "a secret was printed:\n{text}");
    }
}

#[tokio::test]
async fn relay_serves_healthz_refuses_no_token_and_stops_on_sigterm_without_printing_secrets() {
    let sb = sandbox().await;
    let relay = RunningRelay::start(relay_command(&sb, HS256_ARGS)).await;
    assert!(
        relay.base.starts_with("http://127.0.0.1:"),
        "{}",
        relay.base
    );
    let http = http();

    let health = http
        .get(format!("{}/healthz", relay.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);

    let body = json!({ "redirectUrl": APP_LINK }).to_string();
    let no_token = http
        .post(format!("{}/v1/authentication/initialize", relay.base))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status().as_u16(), 401);
    assert_eq!(
        no_token.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    assert_eq!(
        no_token.text().await.unwrap(),
        r#"{"error":"InvalidAppToken"}"#
    );

    let token = app_token("cli-user");
    let ok = http
        .post(format!("{}/v1/authentication/initialize", relay.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let answer: serde_json::Value = serde_json::from_str(&ok.text().await.unwrap()).unwrap();
    let handle = answer["sessionId"].as_str().unwrap().to_owned();
    let sessions = sb.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].user_hash.len(), 64);
    let status = http
        .get(format!(
            "{}/v1/authentication/{handle}/status?pollTimeout=0",
            relay.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(status.status().as_u16(), 200);
    let foreign = http
        .get(format!("{}/v1/authentication/{handle}/status", relay.base))
        .bearer_auth(app_token("someone-else"))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status().as_u16(), 403);

    let (code, stdout, stderr) = relay.stop().await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim().lines().count(), 1, "{stdout}");
    assert!(
        stderr.contains("listening on http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("POST /v1/authentication/initialize 401"),
        "{stderr}"
    );
    assert!(
        stderr.contains("POST /v1/authentication/initialize 200"),
        "{stderr}"
    );
    assert!(
        stderr.contains("GET /v1/authentication/{handle}/status 403"),
        "{stderr}"
    );
    assert!(stderr.contains("stopped"), "{stderr}");
    assert_no_secrets(&stdout, &[&token, &handle]);
    assert_no_secrets(&stderr, &[&token, &handle, &sessions[0].session_id]);
}

#[tokio::test]
async fn wrong_partner_credentials_are_a_502_and_an_error_line() {
    let sb = sandbox().await;
    let mut cmd = relay_command(&sb, HS256_ARGS);
    cmd.env("OBAUTH_CLIENT_SECRET", "wrong-partner-secret-value");
    let relay = RunningRelay::start(cmd).await;
    let resp = http()
        .post(format!("{}/v1/authentication/initialize", relay.base))
        .bearer_auth(app_token("u"))
        .header("content-type", "application/json")
        .body(json!({ "redirectUrl": APP_LINK }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"error":"UpstreamUnauthorized"}"#
    );
    let (code, stdout, stderr) = relay.stop().await;
    assert_eq!(code, 0);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("ERROR") && l.contains("partner credentials")),
        "{stderr}"
    );
    assert_no_secrets(
        &format!("{stdout}{stderr}"),
        &["wrong-partner-secret-value"],
    );
}

#[tokio::test]
async fn usage_errors_exit_2_with_one_error_line_and_no_secret() {
    let sb = sandbox().await;
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../relay/tests/fixtures");
    let cert = format!("{fixtures}/tls-cert.pem");
    /// Extra arguments, environment overrides, and what the error line must say.
    type Case<'a> = (Vec<String>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (vec![], vec![], "one of --jwt-hs256-secret-env"),
        (
            vec![
                "--jwt-hs256-secret-env".into(),
                APP_SECRET_VAR.into(),
                "--jwks-url".into(),
                "https://idp.example/jwks".into(),
            ],
            vec![],
            "only one of",
        ),
        (
            vec![
                "--jwt-hs256-secret-env".into(),
                APP_SECRET_VAR.into(),
                "--tls-cert".into(),
                cert.clone(),
            ],
            vec![],
            "--tls-cert and --tls-key go together",
        ),
        (
            vec![
                "--jwt-hs256-secret-env".into(),
                "OBAUTH_TEST_UNSET_VARIABLE".into(),
            ],
            vec![],
            "OBAUTH_TEST_UNSET_VARIABLE is not set",
        ),
        (
            vec!["--jwt-hs256-secret-env".into(), APP_SECRET_VAR.into()],
            vec![("OBAUTH_RELAY_KEY", "")],
            "OBAUTH_RELAY_KEY",
        ),
        (
            vec!["--jwt-hs256-secret-env".into(), APP_SECRET_VAR.into()],
            vec![("OBAUTH_RELAY_KEY", "too-short")],
            "at least 32 bytes",
        ),
        (
            vec!["--jwt-hs256-secret-env".into(), APP_SECRET_VAR.into()],
            vec![(APP_SECRET_VAR, "short-app-secret")],
            "HS256",
        ),
        (
            vec!["--jwt-public-key".into(), format!("{fixtures}/tls-key.pem")],
            vec![],
            "holds a private key",
        ),
        (
            vec!["--jwt-public-key".into(), format!("{fixtures}/README.md")],
            vec![],
            "not a PEM RSA or EC public key",
        ),
        (
            vec!["--jwt-public-key".into(), format!("{fixtures}/missing.pem")],
            vec![],
            "--jwt-public-key",
        ),
        (
            vec![
                "--jwt-hs256-secret-env".into(),
                APP_SECRET_VAR.into(),
                "--allow-redirect".into(),
                "https://*.example.com/*".into(),
            ],
            vec![],
            "--allow-redirect",
        ),
        (
            vec!["--bogus".into(), "1".into()],
            vec![],
            "unknown option --bogus",
        ),
    ];
    for (args, env, expect) in cases {
        let mut cmd = relay_command(&sb, &[]);
        cmd.args(&args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let r = run(cmd).await;
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.error_line().contains(expect), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{}", r.stdout);
        assert_no_secrets(
            &format!("{}{}", r.stdout, r.stderr),
            &["too-short", "short-app-secret"],
        );
    }
    // A plain-http upstream that is not loopback is refused (the secret would travel in clear).
    let cmd = relay_command_to(
        "http://provider.example",
        "id",
        SECRET,
        &["--jwt-hs256-secret-env", APP_SECRET_VAR],
    );
    let r = run(cmd).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.error_line().contains("--upstream must be https"));
    assert_no_secrets(&r.stderr, &[]);
    assert_eq!(sb.stats().initialize_requests, 0);
}

#[tokio::test]
async fn tls_flags_serve_https() {
    let sb = sandbox().await;
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../relay/tests/fixtures");
    let cert = format!("{fixtures}/tls-cert.pem");
    let key = format!("{fixtures}/tls-key.pem");
    let mut args: Vec<&str> = HS256_ARGS.to_vec();
    args.extend(["--tls-cert", &cert, "--tls-key", &key]);
    let relay = RunningRelay::start(relay_command(&sb, &args)).await;
    assert!(
        relay.base.starts_with("https://127.0.0.1:"),
        "{}",
        relay.base
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&cert).unwrap();
    let der = rustls::pki_types::pem::PemObject::from_pem_slice(&pem).unwrap();
    roots.add(der).unwrap();
    let tls = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let https = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .no_proxy()
        .build()
        .unwrap();
    let resp = https
        .get(format!("{}/healthz", relay.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (code, _, stderr) = relay.stop().await;
    assert_eq!(code, 0, "{stderr}");
}

fn relay_login(relay: &RunningRelay, token: &str, extra: &[&str]) -> Command {
    let mut cmd = obauth_command(&["login", "--relay-url", &relay.base, "--app-token", token]);
    cmd.args(["--redirect-url", APP_LINK]).args(extra);
    cmd
}

#[tokio::test]
async fn login_through_the_relay_prints_tokens_json_like_login() {
    let sb = sandbox().await;
    let user = obauth_relay::derive_user_hash(RELAY_KEY.as_bytes(), "", "cli-relay-user");
    sb.script_user(
        &user,
        obauth_sandbox::UserScript::ApproveAfter(Duration::from_millis(300)),
    );
    let relay = RunningRelay::start(relay_command(&sb, HS256_ARGS)).await;
    let token = app_token("cli-relay-user");
    let out = run(relay_login(&relay, &token, &["--poll-timeout", "5"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["completed_via"], "poll");
    assert!(json["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(out.stderr.contains("auth_url: "), "{}", out.stderr);
    assert_eq!(sb.stats().successful_exchanges, 1);
    assert_eq!(sb.sessions()[0].user_hash, user);
    out.assert_no_secret(&[&token, RELAY_KEY, APP_SECRET]);
    let (code, stdout, stderr) = relay.stop().await;
    assert_eq!(code, 0);
    assert_no_secrets(&format!("{stdout}{stderr}"), &[&token]);
}

#[tokio::test]
async fn login_with_a_refused_app_token_exits_6() {
    let sb = sandbox().await;
    let relay = RunningRelay::start(relay_command(&sb, HS256_ARGS)).await;
    let forged = forged_app_token();
    let out = run(relay_login(&relay, &forged, &[])).await;
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(out.error_line().contains("app token"), "{}", out.stderr);
    assert!(out.stdout.trim().is_empty());
    assert_eq!(sb.stats().initialize_requests, 0);
    out.assert_no_secret(&[&forged]);
    relay.stop().await;
}

#[tokio::test]
async fn login_relay_mode_usage_errors_exit_2() {
    let relay_args = ["--relay-url", "http://127.0.0.1:9", "--app-token", "t"];
    for extra in [
        &["--client-secret", "s"][..],
        &["--user-hash", "test-user-id"][..],
        &["--api-url", "http://127.0.0.1:9"][..],
    ] {
        let mut cmd = obauth_command(&["login"]);
        cmd.args(relay_args)
            .args(["--redirect-url", APP_LINK])
            .args(extra);
        let out = run(cmd).await;
        assert_eq!(out.code, 2, "{extra:?}: {}", out.stderr);
        assert!(out.error_line().contains("--relay-url"), "{}", out.stderr);
    }
    let out = run(obauth_command(&[
        "login",
        "--relay-url",
        "http://127.0.0.1:9",
        "--redirect-url",
        APP_LINK,
    ]))
    .await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.error_line().contains("--app-token"), "{}", out.stderr);
}

/// Runs `obauth connect --relay-url … --app-token TOKEN --api-url SANDBOX --client-id ID
/// --redirect-uri APP_LINK` as a user would: reads `auth_url:` from stderr, plays the browser on
/// the sandbox's consent page (approved), pastes the redirect on stdin. Returns the run and the
/// redirect.
async fn relay_connect(sb: &Sandbox, relay: &RunningRelay, token: &str) -> (common::Run, String) {
    sb.script_consent(obauth_sandbox::ConsentScript::Approve);
    let mut cmd = obauth_command(&["connect", "--relay-url", &relay.base, "--app-token", token]);
    cmd.args(["--api-url", &sb.base_url(), "--client-id", sb.client_id()])
        .args(["--redirect-uri", APP_LINK, "--timeout", "60"])
        .stdin(std::process::Stdio::piped());
    let mut running = Running::spawn(cmd);
    let auth_url = running.auth_url().await;
    // The consent page is the provider's, with the public client id.
    assert!(
        auth_url.starts_with(&format!("{}/v1/oauth/connect?", sb.base_url())),
        "{auth_url}"
    );
    let location = follow_to_app(sb, &auth_url, APP_LINK).await;
    running.type_line(&location).await;
    (running.finish().await, location)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_through_the_relay_prints_tokens_json_like_connect() {
    let sb = sandbox().await;
    let relay = RunningRelay::start(relay_command(&sb, HS256_ARGS)).await;
    let token = app_token("cli-connect-user");
    let (out, location) = relay_connect(&sb, &relay, &token).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = out.json();
    assert_eq!(
        sorted_keys(&json),
        [
            "access_token",
            "consent_id",
            "expires_in",
            "refresh_token",
            "token_type"
        ]
    );
    assert!(
        json["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(location.contains("consentId="), "{location}");
    // The provider saw one code exchange, with the partner's Basic authentication the relay
    // added (the device sent none).
    let log = sb.token_requests();
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].auth_method,
        obauth_sandbox::ClientAuthMethod::ClientSecretBasic
    );
    assert_eq!(log[0].grant_type.as_deref(), Some("authorization_code"));
    assert_eq!(sb.stats().oauth_code_exchanges, 1);
    out.assert_no_secret(&[&token, RELAY_KEY, APP_SECRET]);
    let (code, stdout, stderr) = relay.stop().await;
    assert_eq!(code, 0);
    assert_no_secrets(&format!("{stdout}{stderr}"), &[&token]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_a_refused_app_token_exits_6_without_an_exchange() {
    let sb = sandbox().await;
    let relay = RunningRelay::start(relay_command(&sb, HS256_ARGS)).await;
    let forged = forged_app_token();
    let (out, _) = relay_connect(&sb, &relay, &forged).await;
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(out.error_line().contains("app token"), "{}", out.stderr);
    assert!(out.stdout.trim().is_empty());
    assert!(
        sb.token_requests().is_empty(),
        "nothing reached the provider"
    );
    out.assert_no_secret(&[&forged]);
    relay.stop().await;
}

#[tokio::test]
async fn connect_relay_mode_usage_errors_exit_2() {
    let base = [
        "connect",
        "--relay-url",
        "http://127.0.0.1:9",
        "--app-token",
        "t",
        "--redirect-uri",
        APP_LINK,
    ];
    for (extra, named) in [
        (
            &[
                "--api-url",
                "http://127.0.0.1:9",
                "--client-id",
                "c",
                "--client-secret",
                "s",
            ][..],
            "--client-secret",
        ),
        (&["--api-url", "http://127.0.0.1:9"][..], "--client-id"),
        (&["--client-id", "c"][..], "--api-url"),
    ] {
        let mut cmd = obauth_command(&base);
        cmd.args(extra);
        let out = run(cmd).await;
        assert_eq!(out.code, 2, "{extra:?}: {}", out.stderr);
        assert!(out.error_line().contains(named), "{}", out.stderr);
    }
    // An insecure consent page is refused before anything is sent.
    let mut cmd = obauth_command(&base);
    cmd.args(["--api-url", "http://bank.example", "--client-id", "c"]);
    let out = run(cmd).await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.error_line().contains("apiUrl"), "{}", out.stderr);
}
