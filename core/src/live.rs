//! The real clocks (wall-clock and monotonic) and the OS random source: the only place the
//! driver crate reads the time or draws randomness. The protocol crate does neither; what its machines need comes in with
//! their inputs ([`Ctx`]) or their construction ([`FlowSecrets::from_entropy`]).

use std::sync::OnceLock;
use std::time::{Instant, SystemTime};

use crate::error::Error;
use crate::flow::Ctx;
use crate::oauth::{FLOW_SECRETS_ENTROPY, FlowSecrets};
use crate::timestamp::{Monotonic, Timestamp};

/// The current wall-clock time.
pub fn now() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

/// A fresh random number for retry jitter; a fixed odd constant if the OS source fails (jitter
/// only spreads retries, it protects nothing).
pub fn jitter_entropy() -> u64 {
    getrandom::u64().unwrap_or(0x9e37_79b9_7f4a_7c15)
}

/// The monotonic time: elapsed since the first reading in this process.
pub fn mono() -> Monotonic {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    Monotonic::from_elapsed(EPOCH.get_or_init(Instant::now).elapsed())
}

/// What a machine is handed with every input: the wall-clock and monotonic times and fresh
/// entropy.
pub fn ctx() -> Ctx {
    Ctx {
        now: now(),
        mono: mono(),
        entropy: jitter_entropy(),
    }
}

/// Fresh `state`, `nonce` and PKCE verifier, 256 bits each from the OS CSPRNG.
pub fn flow_secrets() -> Result<FlowSecrets, Error> {
    let mut entropy = [0u8; FLOW_SECRETS_ENTROPY];
    getrandom::fill(&mut entropy)
        .map_err(|e| Error::invalid("random", format!("the OS random source failed: {e}")))?;
    Ok(FlowSecrets::from_entropy(&entropy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_secrets_are_long_urlsafe_and_distinct() {
        let a = flow_secrets().unwrap();
        let b = flow_secrets().unwrap();
        assert_ne!(a.state, b.state);
        assert_eq!(a.verifier.expose().len(), 43);
        assert!(
            a.state
                .expose()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn the_monotonic_clock_never_goes_back() {
        let a = mono();
        let b = mono();
        assert!(b >= a);
    }

    #[test]
    fn now_is_after_2020() {
        assert!(now().unix_millis() > 1_577_836_800_000);
    }
}
