//! # ObAuth end-to-end harness
//!
//! The core's unit and property tests prove the state machine right with a fake clock and fake
//! responses. What they cannot prove is that the pieces fit: that the driver really sends at most
//! one exchange when a redirect and a long poll race over real sockets, that a base64 code with
//! `+`, `/` and `=` survives percent-encoding in a real `302`, that a dropped TCP connection or a
//! `Retry-After` is handled as the machine expects. So these tests run the real core (reqwest,
//! tokio timers, the real driver) against the real sandbox (axum over loopback, started
//! in-process on a random port) with no mocks in between, and check both sides: the states the
//! host observes and what the provider saw (request counts, exchanges per session).
//!
//! Helpers, by concern:
//! - [`harness`]: start a sandbox, build a client for it, login parameters, begin a login.
//! - [`checks`]: the shape of a state sequence, waiting for a result.
//! - [`recorder`]: every state a login goes through, with the instant it reached the host.
//! - [`browser`]: play the user on the hosted bank page (GET the page, POST the decision form,
//!   read the `302` without following it).
//! - [`secrets`]: assert that codes, tokens and the client secret never show in `Debug` output.
//! - [`query`]: raw and strictly percent-decoded query values of redirect URLs.
//! - [`bench`]: a sandbox in a child process and resident memory, for the size/memory benchmarks
//!   (`src/bin/bench_memory.rs`, `src/bin/bench_cold.rs`).
//!
//! The supervised-login scenarios live in `tests/e2e/` (one binary, so they share one build and
//! run in parallel); the detection-latency benchmark is `src/bin/bench_detection.rs`.

pub mod bench;
pub mod browser;
pub mod checks;
pub mod harness;
pub mod html;
pub mod oauth_browser;
pub mod query;
pub mod recorder;
pub mod secrets;

pub use browser::{BankPage, Browser, Decision};
pub use checks::{
    assert_ended_while_awaiting, assert_happy_path, assert_near, assert_terminal_last, names,
    outcome, session_id_of, spin_for,
};
pub use harness::{
    REDIRECT_URL, begin, client, client_config, client_with, fast_retry, params, peek_code,
    sandbox, sandbox_with,
};
pub use recorder::{Recorder, Stamped};
pub use secrets::Secrets;
