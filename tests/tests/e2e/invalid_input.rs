//! Wrong arguments cost nothing: they are refused before any request, with an `InvalidInput`
//! error naming the field, so no session is created at the provider and no code is burnt.

use std::time::Duration;

use obauth::{Client, ClientConfig, Error, ErrorCategory};
use obauth_e2e::*;
use obauth_sandbox::Stats;

fn field_of(error: &Error) -> &'static str {
    match error {
        Error::InvalidInput { field, .. } => field,
        other => panic!("not InvalidInput: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_arguments_fail_before_any_request() {
    let sandbox = sandbox().await;
    let port = sandbox.port();
    let secrets = Secrets::with_client_secret(sandbox.client_secret());

    // Client configuration: plain http to a non-loopback host (the sandbox's port, under a
    // name), other schemes, empty credentials.
    let configs = [
        (
            format!("http://sandbox.example:{port}"),
            "apiUrl",
            "id",
            "s",
        ),
        (format!("ftp://127.0.0.1:{port}"), "apiUrl", "id", "s"),
        (sandbox.base_url(), "clientId", " ", "s"),
        (sandbox.base_url(), "clientSecret", "id", ""),
    ];
    for (api, field, id, secret) in configs {
        let error = Client::new(ClientConfig::new(api.clone(), id, secret))
            .expect_err(&format!("{api} {field}"));
        assert_eq!(field_of(&error), field, "{error}");
        assert_eq!(error.category(), ErrorCategory::InvalidInput);
        secrets.assert_debug_clean("error", &error);
    }

    // Login parameters.
    let client = client(&sandbox);
    let cases: Vec<(obauth::SupervisedLoginParams, &str)> = vec![
        (params("short"), "userHash"),
        (params("has space-123"), "userHash"),
        (params("under_score-123"), "userHash"),
        (params(&"a".repeat(65)), "userHash"),
        (
            obauth::SupervisedLoginParams {
                redirect_url: "http://app.example/aiia/callback".into(),
                ..params("valid-user-01")
            },
            "redirectUrl",
        ),
        (
            obauth::SupervisedLoginParams {
                redirect_url: "https://app.example/aiia/callback#frag".into(),
                ..params("valid-user-01")
            },
            "redirectUrl",
        ),
        (
            obauth::SupervisedLoginParams {
                poll_timeout: Duration::ZERO,
                ..params("valid-user-01")
            },
            "pollTimeout",
        ),
        (
            obauth::SupervisedLoginParams {
                timeout: Duration::ZERO,
                ..params("valid-user-01")
            },
            "timeout",
        ),
    ];
    for (p, field) in cases {
        let described = format!("{p:?}");
        let error = client
            .supervised_login(p)
            .err()
            .unwrap_or_else(|| panic!("accepted {described}"));
        assert_eq!(field_of(&error), field, "{described}: {error}");
        assert!(error.to_string().contains(field), "{error}");
        assert_eq!(error.category(), ErrorCategory::InvalidInput);
        secrets.assert_debug_clean("error", &error);
    }

    // Loopback http is fine for a redirect (desktop / CLI hosts).
    let mut loopback = params("valid-user-01");
    loopback.redirect_url = "http://127.0.0.1:8123/callback".into();
    assert!(client.supervised_login(loopback).is_ok());

    // Give anything that might have been sent a moment to arrive.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sandbox.stats(), Stats::default(), "nothing was sent");
    assert!(sandbox.sessions().is_empty());
}
