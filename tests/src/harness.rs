//! Starting a sandbox, building a client for it and beginning a login.
//!
//! Every test gets its own sandbox on a random loopback port, so scripts, faults and counters
//! never leak between tests running in parallel. Clients use a fast retry policy (tens of
//! milliseconds instead of the default quarter second doubling) so fault scenarios finish
//! quickly; `Retry-After` is still honoured as sent, which is what the 429 test checks.

use std::time::Duration;

use obauth::backoff::RetryPolicy;
use obauth::{Client, ClientConfig, SupervisedLogin, SupervisedLoginParams};
use obauth_sandbox::{Sandbox, SandboxConfig};

use crate::recorder::Recorder;

/// The app's redirect (a Universal Link / App Link): never loaded, only handed to the core.
pub const REDIRECT_URL: &str = "https://app.example/aiia/callback";

/// A sandbox with the default configuration (DemoBank, supports unattended, 15 min sessions).
pub async fn sandbox() -> Sandbox {
    sandbox_with(SandboxConfig::default()).await
}

/// A sandbox with `config`, on a random port.
pub async fn sandbox_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config)
        .await
        .expect("the sandbox binds a loopback port")
}

/// Short retry delays so fault scenarios stay fast; `Retry-After` up to a minute is obeyed.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(60),
    }
}

/// A client with the sandbox's partner credentials and [`fast_retry`].
pub fn client(sandbox: &Sandbox) -> Client {
    client_with(sandbox, sandbox.client_secret())
}

/// A client with the sandbox's client id and the given secret.
pub fn client_with(sandbox: &Sandbox, secret: &str) -> Client {
    Client::new(client_config(sandbox, secret)).expect("a valid client configuration")
}

/// The configuration of [`client_with`], for a test that changes more of it.
pub fn client_config(sandbox: &Sandbox, secret: &str) -> ClientConfig {
    let mut config = ClientConfig::new(sandbox.base_url(), sandbox.client_id(), secret);
    config.retry = fast_retry();
    config.request_timeout = Duration::from_secs(10);
    // The bank app scheme the navigation tests expect to be handed to the OS (issue 10 #3:
    // only listed schemes leave the WebView).
    config.external_schemes = vec!["bankid".into()];
    config
}

/// Login parameters for `user_hash` with [`REDIRECT_URL`], a 1 s poll window and a 20 s deadline
/// (a safety net: no scenario here should come near it).
pub fn params(user_hash: &str) -> SupervisedLoginParams {
    let mut p = SupervisedLoginParams::new(user_hash, REDIRECT_URL);
    p.poll_timeout = Duration::from_secs(1);
    p.timeout = Duration::from_secs(20);
    p
}

/// Builds a login, attaches a [`Recorder`] (so `Created` is the first state seen) and starts it.
pub fn begin(client: &Client, params: SupervisedLoginParams) -> (SupervisedLogin, Recorder) {
    let login = client
        .supervised_login(params)
        .expect("valid login parameters");
    let recorder = Recorder::attach(&login);
    login.start();
    (login, recorder)
}

/// The code the sandbox issued for a `Succeeded` session, read from the status endpoint with the
/// partner credentials (as any client could). This adds one status request: call it after the
/// assertions on counters.
pub async fn peek_code(sandbox: &Sandbox, session_id: &str) -> Option<String> {
    let response = crate::browser::plain_http()
        .get(format!(
            "{}/v1/authentication/{session_id}/status",
            sandbox.base_url()
        ))
        .header("X-Client-Id", sandbox.client_id())
        .header("X-Client-Secret", sandbox.client_secret())
        .send()
        .await
        .expect("the sandbox answers");
    let body: serde_json::Value =
        serde_json::from_str(&response.text().await.expect("a body")).expect("JSON");
    body["code"].as_str().map(str::to_owned)
}
