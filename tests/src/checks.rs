//! Assertions shared by the scenarios: the shape of a state sequence, waiting for a result.
//!
//! The contract a host relies on is "states come in order, none skipped, exactly one terminal
//! state and it is the last one"; every scenario checks it the same way, here.

use std::time::{Duration, Instant};

use obauth::{CodeSource, Error, LoginState, SupervisedLogin, SupervisedTokens, Timestamp};

use crate::recorder::PATIENCE;

/// Waits for the login's result (panics after [`PATIENCE`]).
pub async fn outcome(login: &SupervisedLogin) -> Result<SupervisedTokens, Error> {
    match tokio::time::timeout(PATIENCE, login.wait()).await {
        Ok(result) => result,
        Err(_) => panic!(
            "the login did not finish within {PATIENCE:?} (state {:?})",
            login.state().name()
        ),
    }
}

/// The state names, for readable comparisons and failure messages.
pub fn names(states: &[LoginState]) -> Vec<&'static str> {
    states.iter().map(LoginState::name).collect()
}

/// Exactly one terminal state, and it is the last.
pub fn assert_terminal_last(states: &[LoginState]) {
    let terminal: Vec<usize> = states
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_terminal())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        terminal,
        vec![states.len() - 1],
        "one terminal state, last: {:?}",
        names(states)
    );
}

/// `Created → Initializing → AwaitingUser → CodeReceived → Exchanging → Authenticated`, with
/// the code source `via` on the last three.
pub fn assert_happy_path(states: &[LoginState], via: CodeSource) {
    assert_eq!(
        names(states),
        [
            "created",
            "initializing",
            "awaiting_user",
            "code_received",
            "exchanging",
            "authenticated"
        ],
        "{states:?}"
    );
    assert_eq!(states[3], LoginState::CodeReceived { via });
    assert_eq!(states[4], LoginState::Exchanging { via });
    assert!(
        matches!(states[5], LoginState::Authenticated { via: v, .. } if v == via),
        "{:?}",
        states[5]
    );
}

/// `Created → Initializing → AwaitingUser → <last>`: the login ended while waiting for the user.
pub fn assert_ended_while_awaiting(states: &[LoginState], last: &LoginState) {
    assert_eq!(
        names(states),
        ["created", "initializing", "awaiting_user", last.name()],
        "{states:?}"
    );
    assert_eq!(states.last(), Some(last));
}

/// The session id from the `AwaitingUser` state of a sequence.
pub fn session_id_of(states: &[LoginState]) -> String {
    states
        .iter()
        .find_map(|s| match s {
            LoginState::AwaitingUser { session_id, .. } => Some(session_id.clone()),
            _ => None,
        })
        .expect("the login reached AwaitingUser")
}

/// Busy-waits for `d` (sub-millisecond offsets that a tokio timer cannot express), for staging
/// races from a plain OS thread.
pub fn spin_for(d: Duration) {
    let until = Instant::now() + d;
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// Panics unless `actual` is within `tolerance` of `expected` (either side).
pub fn assert_near(what: &str, actual: Timestamp, expected: Timestamp, tolerance: Duration) {
    assert!(
        actual.until(expected) <= tolerance && expected.until(actual) <= tolerance,
        "{what}: {actual} is not within {tolerance:?} of {expected}"
    );
}
