//! Fixtures shared by the targets: the client, the clock, responses, and effect checks.

use std::time::Duration;

use obauth_protocol::config::{ClientConfig, Credentials};
use obauth_protocol::flow::{Ctx, Effect, TimerKind};
use obauth_protocol::http::{HttpResponse, HttpResult, RequestKind, TransportFailure};
use obauth_protocol::timestamp::Timestamp;

/// The API root every fixture client uses.
pub const API_URL: &str = "https://api.example.com";
/// The fixture client id (snapshots must carry it to restore).
pub const CLIENT_ID: &str = "client-1";
/// The fixture client secret.
pub const CLIENT_SECRET: &str = "secret-1";
/// The clock's origin: `at 0` in a script.
pub const T0_MS: i64 = 1_700_000_000_000;
/// The longest retry delay the default policy may ask for (its `max_retry_after`).
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(120);

/// The fixture credentials (default retry policy and time-outs).
pub fn creds() -> Credentials {
    let mut config = ClientConfig::new(API_URL, CLIENT_ID, CLIENT_SECRET);
    config.external_app_hosts = vec!["mobilebank.example.com".into()];
    config.validate().expect("fixture credentials are valid")
}

/// The time `secs` seconds after [`T0_MS`] (saturating: scripts may say anything).
pub fn at_secs(secs: i64) -> Timestamp {
    Timestamp::from_unix_millis(T0_MS.saturating_add(secs.saturating_mul(1000)))
}

/// A context at `now` with `entropy`.
pub fn ctx(now: Timestamp, entropy: u64) -> Ctx {
    Ctx { now, entropy }
}

/// A response as the driver would hand it over: header names lower-cased.
pub fn response(status: u16, headers: &[(String, String)], body: &[u8]) -> HttpResult {
    Ok(HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect(),
        body: body.to_vec(),
    })
}

/// A transport failure by name (`timeout`, `network`, anything else: refused).
pub fn transport_failure(what: &str) -> HttpResult {
    Err(match what.trim() {
        "timeout" => TransportFailure::Timeout,
        "network" => TransportFailure::Network("connection reset".into()),
        _ => TransportFailure::Refused("refused by policy".into()),
    })
}

/// A request kind by name.
pub fn request_kind(name: &str) -> Option<RequestKind> {
    Some(match name {
        "initialize" | "init" => RequestKind::Initialize,
        "status" => RequestKind::Status,
        "exchange" | "token" => RequestKind::Exchange,
        "refresh" => RequestKind::Refresh,
        "discovery" => RequestKind::Discovery,
        "api" => RequestKind::Api,
        _ => return None,
    })
}

/// A timer by name.
pub fn timer_kind(name: &str) -> Option<TimerKind> {
    Some(match name {
        "deadline" => TimerKind::Deadline,
        "next-poll" | "poll" => TimerKind::NextPoll,
        other => TimerKind::Retry(request_kind(other.strip_prefix("retry-")?)?),
    })
}

/// Invariants every effect list holds, whatever the flow: retry timers never exceed the
/// policy's bounds, a next-poll timer never exceeds the poll window, and the deadline timer
/// never exceeds the flow's time-out. `None` skips a check: where the script moved the clock
/// backwards, a deadline or poll window set earlier may legitimately lie further away.
pub fn check_timers<S>(effects: &[Effect<S>], timeout: Option<Duration>, poll: Option<Duration>) {
    for effect in effects {
        if let Effect::ArmTimer { timer, after } = effect {
            match timer {
                TimerKind::Retry(_) => assert!(
                    *after <= MAX_RETRY_DELAY,
                    "a retry timer of {after:?} exceeds the policy's bound"
                ),
                TimerKind::Deadline => assert!(
                    timeout.is_none_or(|t| *after <= t),
                    "the deadline timer ({after:?}) is later than the time-out ({timeout:?})"
                ),
                TimerKind::NextPoll => assert!(
                    poll.is_none_or(|p| *after <= p),
                    "a next-poll timer of {after:?} exceeds the poll window {poll:?}"
                ),
            }
        }
    }
}

/// The `State` effects' last state, if any.
pub fn last_state<S: Clone>(effects: &[Effect<S>]) -> Option<S> {
    effects.iter().rev().find_map(|e| match e {
        Effect::State(s) => Some(s.clone()),
        _ => None,
    })
}

/// Every request the effects send.
pub fn sends<S>(effects: &[Effect<S>]) -> Vec<&obauth_protocol::http::HttpRequest> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// Parses a decimal number leniently (scripts are mutated bytes): `None` when it is not one.
pub fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.trim().parse().ok()
}
