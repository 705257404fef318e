//! `obauth demo`: every flow end to end against the embedded sandbox.
//!
//! It starts the sandbox on a random loopback port and runs scripted logins, printing each state
//! transition with its timing: the poll delivering the code, the redirect winning the race (the
//! demo plays the browser and clicks Approve on the bank page), recovery from provider faults,
//! and a user who cancels at the bank; then the OAuth flows ([`crate::demo_oauth`]). It exits 0
//! only if every scenario ends as expected.

use std::time::Duration;

use obauth::{
    Client, ClientConfig, LoginState, RedirectOutcome, SupervisedLogin, SupervisedLoginParams,
};
use obauth_sandbox::{Endpoint, Fault, Sandbox, SandboxConfig, UserScript, browser};

use crate::exit;
use crate::progress::Progress;

const REDIRECT: &str = "https://app.example.com/aiia/callback";

/// Runs the demo; returns the exit code.
pub async fn run() -> i32 {
    let sandbox = match Sandbox::start(SandboxConfig::default()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the embedded sandbox: {e}");
            return exit::OTHER;
        }
    };
    let config = ClientConfig::new(
        sandbox.base_url(),
        sandbox.client_id(),
        sandbox.client_secret(),
    );
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => return exit::report(&e),
    };
    eprintln!("ObAuth demo: embedded sandbox at {}", sandbox.base_url());
    let mut failures = 0;
    for (n, scenario) in SCENARIOS.iter().enumerate() {
        eprintln!("\n== {}. {}", n + 1, scenario.title);
        match (scenario.run)(&sandbox, &client).await {
            Ok(summary) => eprintln!("   ok: {summary}"),
            Err(problem) => {
                failures += 1;
                eprintln!("   UNEXPECTED: {problem}");
            }
        }
    }
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
    run: for<'a> fn(&'a Sandbox, &'a Client) -> ScenarioFuture<'a>,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        title: "The user approves at the bank; the status long-poll delivers the code",
        run: |s, c| Box::pin(by_poll(s, c)),
    },
    Scenario {
        title: "The user clicks Approve on the bank page; the status call is slow, so the redirect wins the race",
        run: |s, c| Box::pin(by_redirect(s, c)),
    },
    Scenario {
        title: "The provider fails transiently (503 twice, then 429 Retry-After: 1); the core retries",
        run: |s, c| Box::pin(with_faults(s, c)),
    },
    Scenario {
        title: "The user clicks Cancel on the bank page",
        run: |s, c| Box::pin(user_cancels(s, c)),
    },
    Scenario {
        title: "Aiia Data connect: consent page, a forged redirect refused, tokens, a refresh",
        run: |s, c| Box::pin(crate::demo_oauth::connect(s, c)),
    },
    Scenario {
        title: "Client credentials, the Aritma way and the Apiture way",
        run: |s, c| Box::pin(crate::demo_oauth::client_credentials(s, c)),
    },
    Scenario {
        title: "Authorization code + PKCE for a public client (no secret on the device)",
        run: |s, c| Box::pin(crate::demo_oauth::pkce(s, c)),
    },
    Scenario {
        title: "A connect flow survives the app being killed while the user is at the bank",
        run: |s, c| Box::pin(crate::demo_oauth::kill_and_restore(s, c)),
    },
];

fn start(
    client: &Client,
    user_hash: &str,
) -> Result<(SupervisedLogin, tokio::task::JoinHandle<()>), String> {
    let mut params = SupervisedLoginParams::new(user_hash, REDIRECT);
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

async fn by_poll(sandbox: &Sandbox, client: &Client) -> Result<String, String> {
    sandbox.script_user(
        "demo-user-poll",
        UserScript::ApproveAfter(Duration::from_millis(1500)),
    );
    let (login, printer) = start(client, "demo-user-poll")?;
    let outcome = login.wait().await;
    let _ = printer.await;
    let tokens = outcome.map_err(|e| e.to_string())?;
    if tokens.completed_via != obauth::CodeSource::Poll {
        return Err("expected the poll to deliver the code".into());
    }
    let before = tokens.session.expires();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let accounts = client
        .session_get(&tokens.session, "/v1/accounts")
        .await
        .map_err(|e| e.to_string())?;
    let count = accounts["accounts"].as_array().map_or(0, Vec::len);
    Ok(format!(
        "{count} account(s) fetched with the session token; X-Access-Token-Expires slid the expiry from {before} to {}",
        tokens.session.expires()
    ))
}

async fn by_redirect(sandbox: &Sandbox, client: &Client) -> Result<String, String> {
    // A slow mobile network on the status call: the first long-poll reaches the provider late.
    sandbox.inject_fault(Endpoint::Status, Fault::Delay(Duration::from_millis(1500)));
    let (login, printer) = start(client, "demo-user-redirect")?;
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

async fn with_faults(sandbox: &Sandbox, client: &Client) -> Result<String, String> {
    sandbox.inject_faults(Endpoint::Status, Fault::ServerError(503), 2);
    sandbox.inject_fault(
        Endpoint::Status,
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    sandbox.script_user(
        "demo-user-faults",
        UserScript::ApproveAfter(Duration::from_millis(500)),
    );
    let before = sandbox.stats().status_requests;
    let (login, printer) = start(client, "demo-user-faults")?;
    let outcome = login.wait().await;
    let _ = printer.await;
    outcome.map_err(|e| e.to_string())?;
    Ok(format!(
        "authenticated after {} status requests (3 failed, then the code)",
        sandbox.stats().status_requests - before
    ))
}

async fn user_cancels(_sandbox: &Sandbox, client: &Client) -> Result<String, String> {
    let (login, printer) = start(client, "demo-user-cancel")?;
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
