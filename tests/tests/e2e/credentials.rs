//! A wrong client secret: the provider answers `401 {"error":"Unauthorized"}` and the login must
//! fail at once with an error that tells the developer to check the credentials. Retrying would
//! only hammer the provider with a secret that will never work.

use obauth::{ClientConfig, Error, ErrorCategory, LoginState};
use obauth_e2e::*;

const WRONG: &str = "not-the-right-client-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_client_secret_fails_fatally_without_retry() {
    let sandbox = sandbox().await;
    let client = client_with(&sandbox, WRONG);
    let (login, recorder) = begin(&client, params("creds-user-0001"));
    let error = outcome(&login).await.expect_err("unauthorized");
    let states = recorder.finish_states().await;

    assert_eq!(error, Error::BadClientCredentials);
    assert_eq!(error.category(), ErrorCategory::Fatal);
    assert!(!error.is_transient());
    assert!(error.to_string().starts_with("unauthorized"), "{error}");
    assert_eq!(
        names(&states),
        ["created", "initializing", "failed"],
        "{states:?}"
    );
    assert_eq!(
        states.last(),
        Some(&LoginState::Failed {
            error: Error::BadClientCredentials.into()
        })
    );

    let stats = sandbox.stats();
    assert_eq!(stats.initialize_requests, 1, "no retry of a 401: {stats:?}");
    assert_eq!(stats.status_requests + stats.token_requests, 0, "{stats:?}");
    assert!(sandbox.sessions().is_empty());

    let mut secrets = Secrets::with_client_secret(WRONG);
    secrets.add("real client secret", sandbox.client_secret());
    secrets.assert_debug_clean("error", &error);
    secrets.assert_absent("error message", &error.to_string());
    secrets.assert_all_clean("state", &states);
    secrets.assert_debug_clean("client", &client);
    let config = ClientConfig::new(sandbox.base_url(), sandbox.client_id(), WRONG);
    secrets.assert_debug_clean("client config", &config);
}
