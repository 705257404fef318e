//! Smoke test for `log_requests`: the path runs end to end (output goes to captured stderr;
//! run with `--nocapture` to see it). Redaction itself is unit-tested in `access_log.rs`.

mod common;

use common::*;
use obauth_sandbox::{Endpoint, Fault, Outcome, SandboxConfig};

#[tokio::test]
async fn logging_requests_does_not_disturb_serving() {
    let h = start_with(SandboxConfig {
        log_requests: true,
        ..SandboxConfig::default()
    })
    .await;
    let (id, auth_url) = h.initialize("test-user-id").await;
    assert_eq!(
        h.http
            .get(&auth_url)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    h.sandbox.complete_session(&id, Outcome::Approve);
    assert_eq!(h.status(&id, Some(1)).await.0, 200);
    h.sandbox
        .inject_fault(Endpoint::Status, Fault::DropConnection);
    assert!(
        h.authed(
            reqwest::Method::GET,
            &format!("/v1/authentication/{id}/status")
        )
        .send()
        .await
        .is_err()
    );
    assert_eq!(h.exchange(&h.code_of(&id).await).await.0, 200);
}
