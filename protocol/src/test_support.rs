//! What the machines' unit tests share: a fixed clock and canned HTTP answers.

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

/// An answer with `status` and a (JSON) `body`.
pub(crate) fn json(status: u16, body: &str) -> HttpResult {
    Ok(HttpResponse {
        status,
        headers: vec![],
        body: body.as_bytes().to_vec(),
    })
}
