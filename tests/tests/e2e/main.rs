//! End-to-end scenarios: the real core (reqwest, tokio, the driver) against the real sandbox over
//! loopback HTTP, no mocks in between.
//!
//! One test binary with a module per concern, so the whole suite is built and linked once and
//! its tests run in parallel (separate binaries would run one after the other). Each test starts
//! its own sandbox on a random port, so nothing is shared between tests but the build.
//!
//! Every scenario asserts three things: the final result, the state sequence the host observed
//! through `subscribe()`, and what the provider saw (request counters, exchanges per session).
//! Every scenario also runs the `Debug` output of its states, tokens, outcomes and errors past
//! the secrets it met.
//!
//! Timing: the scenarios that wait use one-second poll windows and 100-300 ms scripted users;
//! where the order of two events matters for an assertion, it is forced with a sandbox `Delay`
//! fault long enough to be unambiguous, never left to luck. Bounds on time are one-sided and
//! generous.

mod cancel;
mod codes;
mod credentials;
mod faults;
mod invalid_input;
mod logs;
mod poll;
mod race;
mod redirect;
mod session_api;
mod timeouts;
mod unattended;
mod user_outcomes;
