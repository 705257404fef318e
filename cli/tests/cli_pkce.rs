//! The `obauth pkce` and `obauth refresh` contracts and the parser's conventions (`--help` on
//! every command, `--version`, usage errors showing the command's usage, `--qr`), checked by
//! running the real binary against the sandbox over HTTP: the `auth_url:` line, the loopback
//! listener and stdin redirects, the stdout JSON objects and their keys, the exit codes (forged
//! state 8, denied 3, invalid input 2, `invalid_grant` 9, `invalid_client` 6), and what the
//! provider saw.

use std::process::Stdio;

use obauth_sandbox::{ClientAuthMethod, Sandbox};
use tokio::process::Command;

mod common;

use common::{
    Running, forge_state, http, loopback_redirect, obauth_command, run, sandbox, sorted_keys,
    submit_decision,
};

const STDIN_REDIRECT: &str = "https://app.example.com/oidc/callback";
/// What the QR code is drawn with; none of it appears in any other output.
const QR_BLOCKS: &[char] = &['█', '▀', '▄'];

fn obauth(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut cmd = obauth_command(args);
    cmd.env("OBAUTH_CLIENT_SECRET", sandbox.client_secret());
    cmd
}

fn pkce_command(sandbox: &Sandbox, redirect: &str, extra: &[&str]) -> Command {
    let issuer = sandbox.issuer();
    let mut cmd = obauth(
        sandbox,
        &[
            "pkce",
            "--issuer",
            &issuer,
            "--client-id",
            sandbox.public_client_id(),
            "--redirect-uri",
            redirect,
            "--timeout",
            "60",
        ],
    );
    cmd.args(extra);
    cmd
}

/// Plays the user on the provider's sign-in page: loads the authorize URL, posts the decision
/// and returns the `Location` back to the app.
async fn decide(sandbox: &Sandbox, auth_url: &str, decision: &str) -> String {
    let page = http().get(auth_url).send().await.unwrap();
    assert_eq!(page.status(), 200, "the sign-in page");
    let page = page.text().await.unwrap();
    let decision_url = format!("{}/authorize/decision", sandbox.issuer());
    submit_decision(&page, &decision_url, decision).await
}

fn query_map(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// `obauth pkce` with a loopback redirect, `offline_access` and extra parameters: the authorize
/// URL asks for consent (OIDC Core §11) and carries the parameters, the browser lands on the
/// listener, stdout is the token object; then `obauth refresh` as the public client rotates the
/// refresh token, and the old one exits 9.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce_on_loopback_then_refresh_as_a_public_client() {
    let sb = sandbox().await;
    let redirect = loopback_redirect();
    let mut running = Running::spawn(pkce_command(
        &sb,
        &redirect,
        &[
            "--scope",
            "openid profile offline_access",
            "--param",
            "login_hint=jane+doe@example.com",
            "--param=ui_locales=da en",
            "--param",
            "audience=https://api.example.com/",
            "--qr",
        ],
    ));
    let auth_url = running.auth_url().await;
    assert!(
        auth_url.starts_with(&format!("{}/authorize?", sb.issuer())),
        "{auth_url}"
    );
    let q = query_map(&auth_url);
    assert_eq!(q["prompt"], "consent");
    assert_eq!(q["login_hint"], "jane+doe@example.com");
    assert_eq!(q["ui_locales"], "da en");
    assert_eq!(q["audience"], "https://api.example.com/");
    assert_eq!(q["redirect_uri"], redirect);
    assert_eq!(q["code_challenge_method"], "S256");
    let location = decide(&sb, &auth_url, "approve").await;
    assert!(location.starts_with(&format!("{redirect}?")), "{location}");
    let landing = http().get(&location).send().await.unwrap();
    assert_eq!(landing.status(), 200);

    let r = running.finish().await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !r.stderr.contains(QR_BLOCKS),
        "--qr draws nothing when stderr is not a terminal: {}",
        r.stderr
    );
    let json = r.json();
    assert_eq!(
        sorted_keys(&json),
        [
            "access_token",
            "expires_in",
            "id_token",
            "refresh_token",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(json["scope"], "openid profile offline_access");
    assert_eq!(json["token_type"], "Bearer");
    assert!(
        json["id_token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
    let expires_in = json["expires_in"].as_u64().expect("a number");
    assert!((3590..=3600).contains(&expires_in), "{expires_in}");
    let first_refresh = json["refresh_token"].as_str().unwrap().to_owned();
    let code = query_map(&location)["code"].clone();
    r.assert_no_secret(&[
        &code,
        json["access_token"].as_str().unwrap(),
        &first_refresh,
    ]);
    let log = sb.token_requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].auth_method, ClientAuthMethod::PublicClient);

    // Refresh as the public client, the endpoint discovered from the issuer.
    let issuer = sb.issuer();
    let refresh = |token: String| {
        obauth(
            &sb,
            &[
                "refresh",
                "--issuer",
                &issuer,
                "--client-id",
                sb.public_client_id(),
                "--client-auth",
                "none",
                "--refresh-token",
                &token,
            ],
        )
    };
    let r = run(refresh(first_refresh.clone())).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json = r.json();
    assert_eq!(
        sorted_keys(&json),
        [
            "access_token",
            "expires_in",
            "refresh_token",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(json["scope"], "openid profile offline_access");
    let rotated = json["refresh_token"].as_str().unwrap();
    assert!(!rotated.is_empty() && rotated != first_refresh, "rotated");
    r.assert_no_secret(&[&first_refresh, rotated]);
    let log = sb.token_requests();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[1].grant_type.as_deref(), Some("refresh_token"));
    assert_eq!(log[1].auth_method, ClientAuthMethod::PublicClient);

    // The spent refresh token: invalid_grant, exit 9.
    let r = run(refresh(first_refresh.clone())).await;
    assert_eq!(r.code, 9, "{}", r.stderr);
    assert!(r.error_line().starts_with("error: "));
    assert!(r.stdout.trim().is_empty());
    r.assert_no_secret(&[&first_refresh]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_with_a_wrong_client_secret_exits_6_and_invalid_input_exits_2() {
    let sb = sandbox().await;
    let token_url = format!("{}/token", sb.issuer());
    let wrong = "not-the-secret+%";
    let r = run(obauth(
        &sb,
        &[
            "refresh",
            "--token-url",
            &token_url,
            "--client-id",
            sb.client_id(),
            "--client-secret",
            wrong,
            "--client-auth",
            "basic",
            "--refresh-token",
            "some-refresh-token",
        ],
    ))
    .await;
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(
        r.error_line().starts_with("error: unauthorized"),
        "{}",
        r.stderr
    );
    r.assert_no_secret(&[wrong, "some-refresh-token"]);
    assert_eq!(sb.token_requests().len(), 1);

    // Usage problems: exit 2 with the command's usage, nothing sent.
    let issuer = sb.issuer();
    let cases: Vec<Vec<&str>> = vec![
        vec!["refresh", "--issuer", &issuer, "--client-id", "c"],
        vec![
            "refresh",
            "--issuer",
            &issuer,
            "--token-url",
            &token_url,
            "--client-id",
            "c",
            "--refresh-token",
            "r",
        ],
        vec![
            "refresh",
            "--issuer",
            &issuer,
            "--client-id",
            "c",
            "--client-auth",
            "jwt",
            "--refresh-token",
            "r",
        ],
        vec![
            "refresh",
            "--issuer",
            &issuer,
            "--client-id",
            "c",
            "--client-auth",
            "none",
            "--client-secret",
            "s",
            "--refresh-token",
            "r",
        ],
        vec![
            "refresh",
            "--issuer",
            "http://id.example.com",
            "--client-id",
            "c",
            "--client-auth",
            "none",
            "--refresh-token",
            "r",
        ],
    ];
    for args in cases {
        let r = run(obauth(&sb, &args)).await;
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.error_line().starts_with("error: "), "{args:?}");
        assert!(r.stdout.is_empty());
    }
    let r = run(obauth(
        &sb,
        &["refresh", "--issuer", &issuer, "--client-id", "c"],
    ))
    .await;
    assert!(
        r.error_line().starts_with("error: missing --refresh-token"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("Usage: obauth refresh (--token-url URL | --issuer URL)"),
        "{}",
        r.stderr
    );
    let stats = sb.stats();
    assert_eq!(
        (stats.discovery_requests, sb.token_requests().len()),
        (0, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce_forged_state_exits_8_and_denial_exits_3() {
    let sb = sandbox().await;
    // A forged state on stdin: nothing is exchanged.
    let mut cmd = pkce_command(&sb, STDIN_REDIRECT, &[]);
    cmd.stdin(Stdio::piped());
    let mut running = Running::spawn(cmd);
    let auth_url = running.auth_url().await;
    assert!(
        !query_map(&auth_url).contains_key("prompt"),
        "no offline_access, no prompt"
    );
    let location = decide(&sb, &auth_url, "approve").await;
    let state = query_map(&location)["state"].clone();
    let forged = forge_state(&location, &state);
    assert_ne!(forged, location);
    running.type_line(&forged).await;
    let r = running.finish().await;
    assert_eq!(r.code, 8, "{}", r.stderr);
    assert!(r.stderr.contains("paste the URL"), "{}", r.stderr);
    assert!(r.stdout.trim().is_empty());
    assert_eq!(sb.stats().oidc_token_requests, 0);

    // The user denies consent: the redirect says access_denied; exit 3.
    let mut cmd = pkce_command(&sb, STDIN_REDIRECT, &[]);
    cmd.stdin(Stdio::piped());
    let mut running = Running::spawn(cmd);
    let auth_url = running.auth_url().await;
    let location = decide(&sb, &auth_url, "cancel").await;
    assert!(location.contains("error="), "{location}");
    running.type_line(&location).await;
    let r = running.finish().await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.error_line().starts_with("error: "));
    assert_eq!(sb.stats().oidc_token_requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce_invalid_input_exits_2_before_any_request() {
    let sb = sandbox().await;
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--param", "state=attacker"],
            "error: invalid authorizeParams",
        ),
        (
            vec!["--param", "code_challenge=x"],
            "error: invalid authorizeParams",
        ),
        (
            vec!["--param", "redirect_uri=https://evil.example"],
            "error: invalid authorizeParams",
        ),
        (
            vec!["--param", "novalue"],
            "error: --param must be NAME=VALUE",
        ),
        (
            vec!["--param", "a=1", "--param", "a=2"],
            "error: --param a given twice",
        ),
        (vec!["--prompt", " "], "error: invalid prompt"),
        (vec!["--bogus", "1"], "error: unknown option --bogus"),
    ];
    for (extra, expected) in cases {
        let r = run(pkce_command(&sb, STDIN_REDIRECT, &extra)).await;
        assert_eq!(r.code, 2, "{extra:?}: {}", r.stderr);
        assert!(
            r.error_line().starts_with(expected),
            "{extra:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("attacker"), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    // The usage shown is the pkce command's.
    let r = run(pkce_command(&sb, STDIN_REDIRECT, &["--bogus", "1"])).await;
    assert!(
        r.stderr.contains("Usage: obauth pkce --issuer URL"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("try 'obauth pkce --help'"),
        "{}",
        r.stderr
    );
    let r = run(obauth(&sb, &["pkce", "--issuer", &sb.issuer()])).await;
    assert_eq!(r.code, 2);
    assert!(
        r.error_line()
            .starts_with("error: missing --client-id (or OBAUTH_CLIENT_ID)")
    );
    assert!(
        r.stderr.contains("Usage: obauth pkce --issuer URL"),
        "{}",
        r.stderr
    );
    let stats = sb.stats();
    assert_eq!(
        (stats.discovery_requests, stats.oidc_authorize_requests),
        (0, 0)
    );
}

#[tokio::test]
async fn help_on_every_command_and_version() {
    let sb = sandbox().await;
    for command in [
        "login", "connect", "pkce", "token", "refresh", "sandbox", "demo", "relay",
    ] {
        let r = run(obauth(&sb, &[command, "--help"])).await;
        assert_eq!(r.code, 0, "{command}: {}", r.stderr);
        assert!(
            r.stdout.contains(&format!("Usage: obauth {command}")),
            "{command}: {}",
            r.stdout
        );
        assert!(r.stderr.is_empty(), "{command}: {}", r.stderr);
    }
    let r = run(obauth(&sb, &["pkce", "--help"])).await;
    for flag in [
        "--issuer",
        "--client-id",
        "--redirect-uri",
        "--scope",
        "--prompt",
        "--param",
        "--timeout",
        "--qr",
    ] {
        assert!(r.stdout.contains(flag), "{flag}: {}", r.stdout);
    }
    for args in [&["--help"][..], &["help"][..]] {
        let r = run(obauth(&sb, args)).await;
        assert_eq!(r.code, 0);
        for command in [
            "login", "connect", "pkce", "token", "refresh", "sandbox", "demo", "relay",
        ] {
            assert!(r.stdout.contains(command), "{command}");
        }
        assert!(r.stdout.contains("Exit codes:"));
    }
    let r = run(obauth(&sb, &["--version"])).await;
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout.trim(),
        format!("obauth {}", env!("CARGO_PKG_VERSION"))
    );
    // No command, or an unknown one: a usage error.
    let r = run(obauth(&sb, &[])).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("Usage: obauth"), "{}", r.stderr);
    let r = run(obauth(&sb, &["frobnicate"])).await;
    assert_eq!(r.code, 2);
    assert!(r.error_line().contains("frobnicate"));
}

/// `--qr` on a terminal: run under a pseudo-terminal (`script`), the auth URL is followed by
/// its QR code; without `--qr`, no QR code. (Ends by the one-second deadline, exit 5.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_code_only_on_a_terminal() {
    let sb = sandbox().await;
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("`script` (util-linux) is needed to give obauth a terminal");
    }
    let on_terminal = |qr: bool| {
        let line = format!(
            "{} pkce --issuer {} --client-id {} --redirect-uri {} --timeout 1{}",
            env!("CARGO_BIN_EXE_obauth"),
            sb.issuer(),
            sb.public_client_id(),
            STDIN_REDIRECT,
            if qr { " --qr" } else { "" }
        );
        let mut cmd = Command::new("script");
        cmd.args(["-qefc", &line, "/dev/null"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    };
    let r = run(on_terminal(true)).await;
    let screen = format!("{}{}", r.stdout, r.stderr);
    let after = screen
        .split("auth_url: ")
        .nth(1)
        .unwrap_or_else(|| panic!("{screen}"));
    let blocks: Vec<&str> = after.lines().filter(|l| l.contains('█')).collect();
    assert!(
        blocks.len() >= 15,
        "a QR code follows the auth URL: {screen}"
    );
    let r = run(on_terminal(false)).await;
    let screen = format!("{}{}", r.stdout, r.stderr);
    assert!(screen.contains("auth_url: "), "{screen}");
    assert!(!screen.contains(QR_BLOCKS), "{screen}");
}
