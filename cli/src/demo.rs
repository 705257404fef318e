//! `obauth demo`: every flow end to end against the embedded sandbox, in the production shape.
//!
//! It starts the sandbox on a random loopback port and an `obauth relay` in front of it
//! ([`crate::demo_relay`]); the app's clients run in relay mode (app tokens only, no partner
//! secret on the "device"). It runs scripted logins, printing each state transition with its
//! timing: the poll delivering the code, the redirect winning the race (the demo plays the
//! browser and clicks Approve on the bank page), recovery from provider faults, an expired app
//! token refreshed, and a user who cancels at the bank; then the OAuth flows
//! ([`crate::demo_oauth`]). It exits 0 only if every scenario ends as expected.

use std::time::Duration;

use obauth::{
    Client, ClientConfig, LoginState, RedirectOutcome, SupervisedLogin, SupervisedLoginParams,
};
use obauth_sandbox::{Endpoint, Fault, Sandbox, SandboxConfig, UserScript, browser};

use crate::demo_relay::{DemoRelay, REDIRECT};
use crate::exit;
use crate::progress::Progress;

/// What every scenario gets: the sandbox (the provider) and the relay in front of it.
pub struct Demo {
    /// The provider.
    pub sandbox: Sandbox,
    /// The app's relay.
    pub relay: DemoRelay,
}

/// Runs the demo; returns the exit code.
pub async fn run() -> i32 {
    let sandbox = match Sandbox::start(SandboxConfig::default()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the embedded sandbox: {e}");
            return exit::OTHER;
        }
    };
    let relay = match DemoRelay::start(&sandbox).await {
        Ok(r) => r,
        Err(msg) => {
            eprintln!("error: cannot start the demo relay: {msg}");
            return exit::OTHER;
        }
    };
    eprintln!(
        "ObAuth demo: embedded sandbox (the provider) at {}; obauth relay (holds the partner \
         credentials) at {}; the app runs in relay mode with app tokens only",
        sandbox.base_url(),
        relay.url()
    );
    let demo = Demo { sandbox, relay };
    let mut failures = 0;
    for (n, scenario) in SCENARIOS.iter().enumerate() {
        eprintln!("\n== {}. {}", n + 1, scenario.title);
        match (scenario.run)(&demo).await {
            Ok(summary) => eprintln!("   ok: {summary}"),
            Err(problem) => {
                failures += 1;
                eprintln!("   UNEXPECTED: {problem}");
            }
        }
    }
    let Demo { sandbox, relay } = demo;
    relay.shutdown().await;
    let stats = sandbox.stats();
    eprintln!(
        "\nsandbox saw {} initialize, {} status and {} supervised token requests ({} exchanges); \
         {} OAuth code exchanges, {} refreshes, {} client-credentials grants, {} discovery requests",
        stats.initialize_requests,
        stats.status_requests,
        stats.token_requests,
        stats.successful_exchanges,
        stats.oauth_code_exchanges,
        stats.refresh_grants,
        stats.client_credentials_grants,
        stats.discovery_requests
    );
    sandbox.shutdown().await;
    if failures == 0 {
        eprintln!("demo finished: every scenario ended as expected");
        exit::OK
    } else {
        eprintln!("error: {failures} demo scenario(s) did not end as expected");
        exit::OTHER
    }
}

type ScenarioFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, String>> + 'a>>;

struct Scenario {
    title: &'static str,
    run: for<'a> fn(&'a Demo) -> ScenarioFuture<'a>,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        title: "The user approves at the bank; the status long-poll delivers the code",
        run: |d| Box::pin(by_poll(d)),
    },
    Scenario {
        title: "The user clicks Approve on the bank page; the status call is slow, so the redirect wins the race",
        run: |d| Box::pin(by_redirect(d)),
    },
    Scenario {
        title: "The provider fails transiently (503 twice, then 429 Retry-After: 1); the core retries",
        run: |d| Box::pin(with_faults(d)),
    },
    Scenario {
        title: "The app token expired; the relay refuses it, the core asks the app for a fresh one once",
        run: |d| Box::pin(app_token_refreshed(d)),
    },
    Scenario {
        title: "The user clicks Cancel on the bank page",
        run: |d| Box::pin(user_cancels(d)),
    },
    Scenario {
        title: "Aiia Data connect: consent page, a forged redirect refused, tokens, a refresh",
        run: |d| Box::pin(crate::demo_oauth::connect(d)),
    },
    Scenario {
        title: "Client credentials, the Aritma way and the Apiture way",
        run: |d| Box::pin(crate::demo_oauth::client_credentials(&d.sandbox)),
    },
    Scenario {
        title: "Authorization code + PKCE for a public client (no secret on the device)",
        run: |d| Box::pin(crate::demo_oauth::pkce(&d.sandbox)),
    },
    Scenario {
        title: "A connect flow survives the app being killed while the user is at the bank",
        run: |d| Box::pin(crate::demo_oauth::kill_and_restore(d)),
    },
];

/// Starts a supervised login through the relay (no `userHash` on the device: the relay derives
/// it from the app token).
fn start(client: &Client) -> Result<(SupervisedLogin, tokio::task::JoinHandle<()>), String> {
    let mut params = SupervisedLoginParams::new("", REDIRECT);
    params.poll_timeout = Duration::from_secs(5);
    params.timeout = Duration::from_secs(30);
    let login = client.supervised_login(params).map_err(|e| e.to_string())?;
    let progress = Progress::start();
    let mut states = login.subscribe();
    let printer = tokio::spawn(async move {
        while let Some(state) = states.next().await {
            progress.line(&crate::progress::Render::describe(&state));
        }
    });
    login.start();
    Ok((login, printer))
}

async fn auth_url(login: &SupervisedLogin) -> Result<String, String> {
    let mut states = login.subscribe();
    while let Some(state) = states.next().await {
        if let LoginState::AwaitingUser { auth_url, .. } = state {
            return Ok(auth_url);
        }
    }
    Err(format!(
        "the login ended before the user was asked: {:?}",
        login.state()
    ))
}

async fn by_poll(d: &Demo) -> Result<String, String> {
    d.sandbox.script_user(
        &d.relay.user_hash("demo-user-poll"),
        UserScript::ApproveAfter(Duration::from_millis(1500)),
    );
    let client = d.relay.client("demo-user-poll", false)?;
    let (login, printer) = start(&client)?;
    let outcome = login.wait().await;
    let _ = printer.await;
    let tokens = outcome.map_err(|e| e.to_string())?;
    if tokens.completed_via != obauth::CodeSource::Poll {
        return Err("expected the poll to deliver the code".into());
    }
    // The session API is the app's back end's business (it holds the partner credentials).
    let backend = Client::new(ClientConfig::new(
        d.sandbox.base_url(),
        d.sandbox.client_id(),
        d.sandbox.client_secret(),
    ))
    .map_err(|e| e.to_string())?;
    let before = tokens.session.expires();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let accounts = backend
        .session_get(&tokens.session, "/v1/accounts")
        .await
        .map_err(|e| e.to_string())?;
    let count = accounts["accounts"].as_array().map_or(0, Vec::len);
    Ok(format!(
        "the provider saw the relay's derived userHash; the back end fetched {count} account(s) with the session token; X-Access-Token-Expires slid the expiry from {before} to {}",
        tokens.session.expires()
    ))
}

async fn by_redirect(d: &Demo) -> Result<String, String> {
    let sandbox = &d.sandbox;
    // A slow mobile network on the status call: the first long-poll reaches the provider late.
    sandbox.inject_fault(Endpoint::Status, Fault::Delay(Duration::from_millis(1500)));
    let client = d.relay.client("demo-user-redirect", false)?;
    let (login, printer) = start(&client)?;
    let url = auth_url(&login).await?;
    let location = browser::click(&url, "approve").await?;
    let outcome = login.handle_redirect(&location);
    let again = login.handle_redirect(&location);
    let result = login.wait().await;
    let _ = printer.await;
    let tokens = result.map_err(|e| e.to_string())?;
    if outcome != RedirectOutcome::CodeAccepted
        || tokens.completed_via != obauth::CodeSource::Redirect
    {
        return Err(format!("expected the redirect to win, got {outcome:?}"));
    }
    let exchanges = sandbox.stats().successful_exchanges;
    Ok(format!(
        "redirect accepted; the same redirect again was {again:?}; exchanges so far: {exchanges} (one per login)"
    ))
}

async fn with_faults(d: &Demo) -> Result<String, String> {
    let sandbox = &d.sandbox;
    sandbox.inject_faults(Endpoint::Status, Fault::ServerError(503), 2);
    sandbox.inject_fault(
        Endpoint::Status,
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    sandbox.script_user(
        &d.relay.user_hash("demo-user-faults"),
        UserScript::ApproveAfter(Duration::from_millis(500)),
    );
    let before = sandbox.stats().status_requests;
    let client = d.relay.client("demo-user-faults", false)?;
    let (login, printer) = start(&client)?;
    let outcome = login.wait().await;
    let _ = printer.await;
    outcome.map_err(|e| e.to_string())?;
    Ok(format!(
        "authenticated after {} status requests (3 failed, then the code)",
        sandbox.stats().status_requests - before
    ))
}

async fn app_token_refreshed(d: &Demo) -> Result<String, String> {
    d.sandbox.script_user(
        &d.relay.user_hash("demo-user-token"),
        UserScript::ApproveAfter(Duration::from_millis(300)),
    );
    let before = d.sandbox.stats().initialize_requests;
    let client = d.relay.client("demo-user-token", true)?;
    let (login, printer) = start(&client)?;
    let outcome = login.wait().await;
    let _ = printer.await;
    outcome.map_err(|e| e.to_string())?;
    Ok(format!(
        "401 InvalidAppToken from the relay, one fresh token, then authenticated ({} initialize at the provider)",
        d.sandbox.stats().initialize_requests - before
    ))
}

async fn user_cancels(d: &Demo) -> Result<String, String> {
    let client = d.relay.client("demo-user-cancel", false)?;
    let (login, printer) = start(&client)?;
    let url = auth_url(&login).await?;
    let location = browser::click(&url, "cancel").await?;
    let outcome = login.handle_redirect(&location);
    let result = login.wait().await;
    let _ = printer.await;
    match result {
        Err(e @ obauth::Error::Cancelled { .. }) => {
            let how = match outcome {
                RedirectOutcome::ProviderError(_) => {
                    "the cancel redirect ended the flow".to_owned()
                }
                other => {
                    format!("the long-poll reported it first, so the cancel redirect was {other:?}")
                }
            };
            Ok(format!(
                "{e} (category {:?}: offer to start again); {how}",
                e.category()
            ))
        }
        other => Err(format!("expected a cancellation, got {other:?}")),
    }
}
