//! What the machines' unit tests share: a client, a fixed clock and canned HTTP answers.

use std::time::Duration;

use crate::flow::Ctx;
use crate::http::{HttpResponse, HttpResult};
use crate::timestamp::{Monotonic, Timestamp};

/// `secs` seconds after a fixed instant, on both clocks, with fixed `entropy`.
pub(crate) fn ctx_at(secs: i64, entropy: u64) -> Ctx {
    Ctx {
        now: Timestamp::from_unix_millis(1_700_000_000_000 + secs * 1000),
        mono: Monotonic::from_elapsed(Duration::from_secs((1_000_000 + secs) as u64)),
        entropy,
    }
}

/// The client the machines' tests sign in as (`client-1` / `secret-1` at
/// `https://api.example.com`).
pub(crate) fn creds() -> crate::config::Credentials {
    crate::config::ClientConfig::new("https://api.example.com", "client-1", "secret-1")
        .validate()
        .unwrap()
}

/// An answer with `status` and a (JSON) `body`.
pub(crate) fn json(status: u16, body: &str) -> HttpResult {
    Ok(HttpResponse {
        status,
        headers: vec![],
        body: body.as_bytes().to_vec(),
    })
}

/// The category of the error `flow` ended with (it must have ended with one).
pub(crate) fn ended_as<F: crate::flow::Flow>(flow: &F) -> crate::error::ErrorCategory
where
    F::Output: std::fmt::Debug,
{
    flow.outcome().unwrap().unwrap_err().category()
}
