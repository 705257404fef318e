//! How the golden snapshots in `tests/fixtures/snapshots/v1/` were made: real flows against a
//! real sandbox, each snapshot taken with `snapshot()` at the moment the flow was in the phase
//! the file is named after. Kept for the record and for making a *new* golden set for a later
//! format version in a new directory; never run it to replace the v1 files (it refuses to
//! overwrite them).
//!
//! ```text
//! OBAUTH_WRITE_GOLDEN=1 cargo test -p obauth-e2e --test oauth \
//!     golden_snapshots::generate -- --ignored --nocapture
//! ```
//!
//! Every capture runs on its own sandbox, whose base URL is replaced by
//! [`super::PLACEHOLDER`] in the snapshot and in its `expected.json` entry. Before anything is
//! written, every snapshot is restored and must show the state the flow had.

use std::time::Duration;

use obauth::{
    AuthorizationFlow, AuthorizationParams, AuthorizationState, CancelOrigin, CodeSource, Error,
    FlowHandle, LoginState, OidcClient, RedirectOutcome, SupervisedLoginParams,
};
use obauth_e2e::oauth_browser::{OAuthBrowser, authorize_url};
use obauth_e2e::{Browser, Recorder, peek_code, query, sandbox_with};
use obauth_sandbox::{Endpoint, Fault, Outcome, Sandbox, SandboxConfig};
use serde_json::{Value, json};

use super::{
    CLIENT_SECRET, CONNECT_REDIRECT_URI, GoldenFlow, PKCE_REDIRECT_URI, SUPERVISED_REDIRECT,
    client_at, finish, fixture_dir, outcome_json, pkce_config, reencode, sandbox_config,
    to_template,
};

/// The overall timeout (and, for `exchanging-code_live`, the code lifetime) of the flows whose
/// snapshots must stay live: a century, so that their deadlines do not pass while this suite
/// matters.
const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);
/// The deadline of the `awaiting_user-deadline_passed` flows: past by the time anyone restores.
const SHORT_DEADLINE: Duration = Duration::from_secs(3);
/// The deadline of the `timed_out` flows.
const TIME_OUT_AFTER: Duration = Duration::from_secs(1);

struct Captured {
    name: String,
    template: String,
    expected: Value,
}

/// Takes the flow's snapshot now, with what the host sees of it, plus `extra` facts.
fn capture<F: GoldenFlow>(
    out: &mut Vec<Captured>,
    name: &str,
    sandbox: &Sandbox,
    flow: &FlowHandle<F>,
    mut extra: Value,
) {
    let snapshot = flow.snapshot().unwrap();
    let base = sandbox.base_url();
    assert!(
        !snapshot.contains(CLIENT_SECRET),
        "{name}: the client secret"
    );
    let template = to_template(&snapshot, &base);
    extra["state"] = F::state_json(&flow.state());
    if let Some(outcome) = flow.outcome() {
        extra["outcome"] = outcome_json::<F>(&outcome);
    }
    let expected: Value = serde_json::from_str(&to_template(&extra.to_string(), &base)).unwrap();
    let kind = name.split_once('-').unwrap().0;
    // Restores, in the state the host saw (re-encoding is checked by the tests).
    reencode(kind, &template, &expected["state"]);
    println!("captured {name}: {}", extra["state"]["name"]);
    out.push(Captured {
        name: name.to_owned(),
        template,
        expected,
    });
}

fn facts(timeout: Duration) -> Value {
    json!({ "timeout_ms": timeout.as_millis() as u64 })
}

// --- Supervised login --------------------------------------------------------------------------

fn login_params(user_hash: &str, timeout: Duration) -> SupervisedLoginParams {
    let mut p = SupervisedLoginParams::new(user_hash, SUPERVISED_REDIRECT);
    p.poll_timeout = Duration::from_secs(1);
    p.timeout = timeout;
    p
}

fn login_facts(params: &SupervisedLoginParams) -> Value {
    let mut v = facts(params.timeout);
    v["user_hash"] = params.user_hash.clone().into();
    v
}

/// A started login (watched from `Created`) on `sandbox`, waiting for the user: the login, its
/// recorder, the auth URL and the session id.
async fn awaiting_login(
    sandbox: &Sandbox,
    secret: &str,
    params: SupervisedLoginParams,
) -> (obauth::SupervisedLogin, Recorder, String, String) {
    let login = client_at(&sandbox.base_url(), secret)
        .supervised_login(params)
        .expect("valid parameters");
    let recorder = Recorder::attach(&login);
    login.start();
    let (auth_url, session_id) = recorder.awaiting_user().await;
    (login, recorder, auth_url, session_id)
}

/// A sandbox whose first status polls are held for seconds, so that a redirect handed over by
/// the test always arrives before the poll can report the same outcome.
async fn redirect_first_sandbox(config: SandboxConfig) -> Sandbox {
    let sandbox = sandbox_with(config).await;
    sandbox.inject_faults(Endpoint::Status, Fault::Delay(Duration::from_secs(5)), 3);
    sandbox
}

async fn supervised(out: &mut Vec<Captured>) {
    const K: &str = "supervised_login";

    // created: built, not started.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        let params = login_params("golden-created-01", CENTURY);
        let facts = login_facts(&params);
        let login = client_at(&sandbox.base_url(), CLIENT_SECRET)
            .supervised_login(params)
            .unwrap();
        capture(out, &format!("{K}-created"), &sandbox, &login, facts);
    }

    // initializing: the initialize request is held by the sandbox.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        sandbox.inject_fault(Endpoint::Initialize, Fault::Delay(Duration::from_secs(5)));
        let params = login_params("golden-initializing-01", CENTURY);
        let facts = login_facts(&params);
        let login = client_at(&sandbox.base_url(), CLIENT_SECRET)
            .supervised_login(params)
            .unwrap();
        login.start();
        assert_eq!(login.state(), LoginState::Initializing);
        capture(out, &format!("{K}-initializing"), &sandbox, &login, facts);
        login.cancel();
    }

    // awaiting_user, with a century-long and with a short deadline.
    for (suffix, user, timeout) in [
        ("awaiting_user", "golden-awaiting-01", CENTURY),
        (
            "awaiting_user-deadline_passed",
            "golden-deadline-01",
            SHORT_DEADLINE,
        ),
    ] {
        let sandbox = sandbox_with(sandbox_config()).await;
        let params = login_params(user, timeout);
        let facts = login_facts(&params);
        let (login, _, _, _) = awaiting_login(&sandbox, CLIENT_SECRET, params).await;
        capture(out, &format!("{K}-{suffix}"), &sandbox, &login, facts);
        login.cancel();
    }

    // exchanging: a code received by redirect (default one-minute code lifetime); the exchange
    // is answered 429 with a long Retry-After, so the code stays unredeemed.
    {
        let sandbox = redirect_first_sandbox(sandbox_config()).await;
        sandbox.inject_fault(
            Endpoint::Tokens,
            Fault::TooManyRequests {
                retry_after_secs: 30,
            },
        );
        let params = login_params("golden-exchanging-01", CENTURY);
        let mut facts = login_facts(&params);
        let (login, _, auth_url, _) = awaiting_login(&sandbox, CLIENT_SECRET, params).await;
        let location = Browser::new().choose(&auth_url, "approve").await;
        assert_eq!(
            login.handle_redirect(&location),
            RedirectOutcome::CodeAccepted
        );
        assert_eq!(
            login.state(),
            LoginState::Exchanging {
                via: CodeSource::Redirect
            }
        );
        facts["code"] = query::value(&location, "code").expect("a code").into();
        capture(out, &format!("{K}-exchanging"), &sandbox, &login, facts);
        login.cancel();
    }

    // exchanging-code_live: a code received by poll, with a century-long code lifetime.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        sandbox.inject_fault(
            Endpoint::Tokens,
            Fault::TooManyRequests {
                retry_after_secs: 30,
            },
        );
        let mut params = login_params("golden-code-live-01", CENTURY);
        params.code_lifetime = CENTURY;
        let mut facts = login_facts(&params);
        let (login, recorder, _, session_id) =
            awaiting_login(&sandbox, CLIENT_SECRET, params).await;
        assert!(sandbox.complete_session(&session_id, Outcome::Approve));
        recorder
            .wait_for("exchanging", |s| matches!(s, LoginState::Exchanging { .. }))
            .await;
        facts["code"] = peek_code(&sandbox, &session_id)
            .await
            .expect("a code")
            .into();
        capture(
            out,
            &format!("{K}-exchanging-code_live"),
            &sandbox,
            &login,
            facts,
        );
        login.cancel();
    }

    // authenticated: the code came by redirect.
    {
        let sandbox = redirect_first_sandbox(sandbox_config()).await;
        let params = login_params("golden-authenticated-01", CENTURY);
        let facts = login_facts(&params);
        let (login, _, auth_url, _) = awaiting_login(&sandbox, CLIENT_SECRET, params).await;
        let location = Browser::new().choose(&auth_url, "approve").await;
        assert_eq!(
            login.handle_redirect(&location),
            RedirectOutcome::CodeAccepted
        );
        let tokens = finish(&login).await.expect("signed in");
        assert_eq!(tokens.completed_via, CodeSource::Redirect);
        capture(out, &format!("{K}-authenticated"), &sandbox, &login, facts);
    }

    // failed-login_failed: the bank reports a failure on the redirect, with a description.
    // cancelled-by_user: the user cancels at the bank.
    for (suffix, decision) in [
        ("failed-login_failed", "fail"),
        ("cancelled-by_user", "cancel"),
    ] {
        let sandbox = redirect_first_sandbox(sandbox_config()).await;
        let params = login_params(&format!("golden-{decision}-01"), CENTURY);
        let facts = login_facts(&params);
        let (login, _, auth_url, _) = awaiting_login(&sandbox, CLIENT_SECRET, params).await;
        let location = Browser::new().choose(&auth_url, decision).await;
        assert!(matches!(
            login.handle_redirect(&location),
            RedirectOutcome::ProviderError(_)
        ));
        let error = finish(&login).await.expect_err("ended");
        if decision == "fail" {
            assert!(
                matches!(error, Error::LoginFailed { detail: Some(_) }),
                "{error:?}"
            );
        } else {
            assert_eq!(
                error,
                Error::Cancelled {
                    by: CancelOrigin::User
                }
            );
        }
        capture(out, &format!("{K}-{suffix}"), &sandbox, &login, facts);
    }

    // failed-bad_client_credentials: initialize answered 401.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        let params = login_params("golden-bad-secret-01", CENTURY);
        let facts = login_facts(&params);
        let login = client_at(&sandbox.base_url(), "not-the-secret")
            .supervised_login(params)
            .unwrap();
        login.start();
        assert_eq!(
            finish(&login).await.expect_err("refused"),
            Error::BadClientCredentials
        );
        capture(
            out,
            &format!("{K}-failed-bad_client_credentials"),
            &sandbox,
            &login,
            facts,
        );
    }

    // failed-code_rejected: the provider's codes expire at once, so it refuses the exchange.
    {
        let sandbox = sandbox_with(SandboxConfig {
            code_lifetime: Duration::ZERO,
            ..sandbox_config()
        })
        .await;
        let params = login_params("golden-rejected-01", CENTURY);
        let facts = login_facts(&params);
        let (login, _, _, session_id) = awaiting_login(&sandbox, CLIENT_SECRET, params).await;
        assert!(sandbox.complete_session(&session_id, Outcome::Approve));
        let error = finish(&login).await.expect_err("refused");
        assert!(
            matches!(error, Error::CodeRejected { status: 400, .. }),
            "{error:?}"
        );
        capture(
            out,
            &format!("{K}-failed-code_rejected"),
            &sandbox,
            &login,
            facts,
        );
    }

    // failed-server_error: initialize answered 503 until the retries ran out.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        sandbox.inject_faults(Endpoint::Initialize, Fault::ServerError(503), 10);
        let params = login_params("golden-server-error-01", CENTURY);
        let facts = login_facts(&params);
        let login = client_at(&sandbox.base_url(), CLIENT_SECRET)
            .supervised_login(params)
            .unwrap();
        login.start();
        let error = finish(&login).await.expect_err("gave up");
        assert!(
            matches!(error, Error::ServerError { status: 503, .. }),
            "{error:?}"
        );
        capture(
            out,
            &format!("{K}-failed-server_error"),
            &sandbox,
            &login,
            facts,
        );
    }

    // cancelled-by_app: the app cancels while the user is at the bank.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        let params = login_params("golden-app-cancel-01", CENTURY);
        let facts = login_facts(&params);
        let (login, _, _, _) = awaiting_login(&sandbox, CLIENT_SECRET, params).await;
        login.cancel();
        capture(
            out,
            &format!("{K}-cancelled-by_app"),
            &sandbox,
            &login,
            facts,
        );
    }

    // not_applicable: the provider says no session is needed.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        let params = login_params("golden-not-applicable-01", CENTURY);
        let facts = login_facts(&params);
        let (login, _, _, session_id) = awaiting_login(&sandbox, CLIENT_SECRET, params).await;
        assert!(sandbox.complete_session(&session_id, Outcome::NotApplicable));
        assert_eq!(
            finish(&login).await.expect_err("ended"),
            Error::NotApplicable
        );
        capture(out, &format!("{K}-not_applicable"), &sandbox, &login, facts);
    }

    // timed_out: the user never finishes.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        let params = login_params("golden-timed-out-01", TIME_OUT_AFTER);
        let facts = login_facts(&params);
        let (login, _, _, _) = awaiting_login(&sandbox, CLIENT_SECRET, params).await;
        assert_eq!(
            finish(&login).await.expect_err("timed out"),
            Error::TimedOut(TIME_OUT_AFTER)
        );
        capture(out, &format!("{K}-timed_out"), &sandbox, &login, facts);
    }
}

// --- Aiia connect and PKCE ---------------------------------------------------------------------

/// A new, unstarted flow of `kind` on `sandbox`; the connect flow with the given client secret
/// and accounts group.
async fn new_flow(
    kind: &str,
    sandbox: &Sandbox,
    params: AuthorizationParams,
    secret: &str,
    group: Option<(&str, &str)>,
) -> AuthorizationFlow {
    let base = sandbox.base_url();
    match kind {
        "aiia_connect" => client_at(&base, secret)
            .connect_flow(
                params,
                group.map(|g| g.0.to_owned()),
                group.map(|g| g.1.to_owned()),
            )
            .expect("valid parameters"),
        _ => OidcClient::new()
            .expect("an OIDC client")
            .pkce_flow(&pkce_config(&base), params)
            .await
            .expect("valid parameters"),
    }
}

fn flow_params(kind: &str, timeout: Duration) -> AuthorizationParams {
    let redirect = match kind {
        "aiia_connect" => CONNECT_REDIRECT_URI,
        _ => PKCE_REDIRECT_URI,
    };
    let mut p = AuthorizationParams::new(redirect);
    p.timeout = timeout;
    p
}

async fn authorization(out: &mut Vec<Captured>, kind: &str) {
    let token_endpoint = match kind {
        "aiia_connect" => Endpoint::OAuthToken,
        _ => Endpoint::OidcToken,
    };
    // The connect flow's accounts group shows in its awaiting snapshot.
    let group = (kind == "aiia_connect").then_some(("Golden accounts", "golden-group-1"));

    // created.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        let flow = new_flow(
            kind,
            &sandbox,
            flow_params(kind, CENTURY),
            CLIENT_SECRET,
            None,
        )
        .await;
        capture(
            out,
            &format!("{kind}-created"),
            &sandbox,
            &flow,
            facts(CENTURY),
        );
    }

    // awaiting_user, with a century-long and with a short deadline.
    for (suffix, timeout) in [
        ("awaiting_user", CENTURY),
        ("awaiting_user-deadline_passed", SHORT_DEADLINE),
    ] {
        let sandbox = sandbox_with(sandbox_config()).await;
        let flow = new_flow(
            kind,
            &sandbox,
            flow_params(kind, timeout),
            CLIENT_SECRET,
            group,
        )
        .await;
        flow.start();
        let mut facts = facts(timeout);
        facts["authorize_url"] = authorize_url(&flow).into();
        capture(out, &format!("{kind}-{suffix}"), &sandbox, &flow, facts);
        flow.cancel();
    }

    // exchanging (default one-minute code lifetime) and exchanging-code_live (a century): the
    // code arrived by redirect; the exchange is answered 429 with a long Retry-After.
    for (suffix, code_lifetime) in [
        ("exchanging", None),
        ("exchanging-code_live", Some(CENTURY)),
    ] {
        let sandbox = sandbox_with(sandbox_config()).await;
        sandbox.inject_fault(
            token_endpoint,
            Fault::TooManyRequests {
                retry_after_secs: 30,
            },
        );
        let mut params = flow_params(kind, CENTURY);
        if let Some(lifetime) = code_lifetime {
            params.code_lifetime = lifetime;
        }
        let flow = new_flow(kind, &sandbox, params, CLIENT_SECRET, None).await;
        flow.start();
        let authorize = authorize_url(&flow);
        let location = OAuthBrowser::new().approve(&authorize).await;
        assert_eq!(
            flow.handle_redirect(&location),
            RedirectOutcome::CodeAccepted
        );
        assert_eq!(flow.state(), AuthorizationState::Exchanging);
        let mut facts = facts(CENTURY);
        facts["authorize_url"] = authorize.into();
        facts["code"] = query::value(&location, "code").expect("a code").into();
        if let Some(consent_id) = query::value(&location, "consentId") {
            facts["consent_id"] = consent_id.into();
        }
        capture(out, &format!("{kind}-{suffix}"), &sandbox, &flow, facts);
        flow.cancel();
    }

    // authenticated.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        let flow = new_flow(
            kind,
            &sandbox,
            flow_params(kind, CENTURY),
            CLIENT_SECRET,
            None,
        )
        .await;
        flow.start();
        let location = OAuthBrowser::new().approve(&authorize_url(&flow)).await;
        assert_eq!(
            flow.handle_redirect(&location),
            RedirectOutcome::CodeAccepted
        );
        let tokens = finish(&flow).await.expect("authenticated");
        assert!(tokens.refresh_token.is_some());
        capture(
            out,
            &format!("{kind}-authenticated"),
            &sandbox,
            &flow,
            facts(CENTURY),
        );
    }

    // failed, at the token endpoint: the connect flow's client secret is refused (401); the
    // PKCE flow's code has expired at the provider already (400 invalid_grant).
    {
        let (suffix, config, secret) = match kind {
            "aiia_connect" => (
                "failed-bad_client_credentials",
                sandbox_config(),
                "not-the-secret",
            ),
            _ => (
                "failed-invalid_grant",
                SandboxConfig {
                    code_lifetime: Duration::ZERO,
                    ..sandbox_config()
                },
                CLIENT_SECRET,
            ),
        };
        let sandbox = sandbox_with(config).await;
        let flow = new_flow(kind, &sandbox, flow_params(kind, CENTURY), secret, None).await;
        flow.start();
        let location = OAuthBrowser::new().approve(&authorize_url(&flow)).await;
        assert_eq!(
            flow.handle_redirect(&location),
            RedirectOutcome::CodeAccepted
        );
        let error = finish(&flow).await.expect_err("refused");
        assert!(
            matches!(error, Error::BadClientCredentials | Error::InvalidGrant),
            "{error:?}"
        );
        capture(
            out,
            &format!("{kind}-{suffix}"),
            &sandbox,
            &flow,
            facts(CENTURY),
        );
    }

    // failed-invalid_scope: the provider sends the browser straight back with an error.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        let mut params = flow_params(kind, CENTURY);
        params.scope = Some("golden-unknown-scope".to_owned());
        let flow = new_flow(kind, &sandbox, params, CLIENT_SECRET, None).await;
        flow.start();
        let answer = OAuthBrowser::new().get(&authorize_url(&flow)).await;
        assert_eq!(answer.status, 302, "{answer:?}");
        let location = answer.location.expect("a Location");
        assert!(
            matches!(
                flow.handle_redirect(&location),
                RedirectOutcome::ProviderError(Error::AuthorizationError { .. })
            ),
            "{location}"
        );
        capture(
            out,
            &format!("{kind}-failed-invalid_scope"),
            &sandbox,
            &flow,
            facts(CENTURY),
        );
    }

    // cancelled-by_user: the user declines on the consent page.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        let flow = new_flow(
            kind,
            &sandbox,
            flow_params(kind, CENTURY),
            CLIENT_SECRET,
            None,
        )
        .await;
        flow.start();
        let location = OAuthBrowser::new()
            .choose(&authorize_url(&flow), "cancel")
            .await;
        assert_eq!(
            flow.handle_redirect(&location),
            RedirectOutcome::ProviderError(Error::Cancelled {
                by: CancelOrigin::User
            })
        );
        capture(
            out,
            &format!("{kind}-cancelled-by_user"),
            &sandbox,
            &flow,
            facts(CENTURY),
        );
    }

    // cancelled-by_app.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        let flow = new_flow(
            kind,
            &sandbox,
            flow_params(kind, CENTURY),
            CLIENT_SECRET,
            None,
        )
        .await;
        flow.start();
        flow.cancel();
        capture(
            out,
            &format!("{kind}-cancelled-by_app"),
            &sandbox,
            &flow,
            facts(CENTURY),
        );
    }

    // timed_out.
    {
        let sandbox = sandbox_with(sandbox_config()).await;
        let flow = new_flow(
            kind,
            &sandbox,
            flow_params(kind, TIME_OUT_AFTER),
            CLIENT_SECRET,
            None,
        )
        .await;
        flow.start();
        assert_eq!(
            finish(&flow).await.expect_err("timed out"),
            Error::TimedOut(TIME_OUT_AFTER)
        );
        capture(
            out,
            &format!("{kind}-timed_out"),
            &sandbox,
            &flow,
            facts(TIME_OUT_AFTER),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes the golden snapshots once, by hand: see tests/fixtures/snapshots/v1/README.md"]
async fn generate_golden_snapshots() {
    if std::env::var("OBAUTH_WRITE_GOLDEN").as_deref() != Ok("1") {
        eprintln!("OBAUTH_WRITE_GOLDEN=1 is not set: nothing generated");
        return;
    }
    let dir = fixture_dir();
    std::fs::create_dir_all(&dir).expect("the golden directory");
    let existing: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".json"))
        .collect();
    assert!(
        existing.is_empty(),
        "{} already holds golden snapshots ({existing:?}); they are a compatibility contract \
         and are never regenerated",
        dir.display()
    );

    let mut out = Vec::new();
    supervised(&mut out).await;
    authorization(&mut out, "aiia_connect").await;
    authorization(&mut out, "pkce").await;

    let mut manifest = serde_json::Map::new();
    for captured in &out {
        let path = dir.join(format!("{}.json", captured.name));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        std::io::Write::write_all(&mut file, captured.template.as_bytes()).unwrap();
        assert!(
            manifest
                .insert(captured.name.clone(), captured.expected.clone())
                .is_none(),
            "{} captured twice",
            captured.name
        );
    }
    let manifest = serde_json::to_string_pretty(&Value::Object(manifest)).unwrap() + "\n";
    std::fs::write(dir.join("expected.json"), manifest).unwrap();
    println!("wrote {} golden snapshots to {}", out.len(), dir.display());
}
