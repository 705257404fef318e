//! Retry timing for transient failures.
//!
//! Capped exponential backoff with "equal jitter": the n-th retry waits between half and all of
//! `min(cap, base * 2^n)`. The jitter spreads a fleet of phones that all lost the network at the
//! same moment; the cap keeps a long outage from pushing retries past the user's patience. A
//! provider's `Retry-After` wins over the computed delay. Randomness comes in as an argument so
//! the state machines stay deterministic under test.

use std::time::Duration;

/// How transient failures are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetryPolicy {
    /// Delay before the first retry (before jitter).
    pub base: Duration,
    /// Upper bound of any computed delay.
    pub cap: Duration,
    /// Upper bound applied to a provider's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `attempt` (0 for the first retry). `entropy` is any random
    /// number; `retry_after` is the provider's instruction, if it gave one.
    pub fn delay(&self, attempt: u32, entropy: u64, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let exp = self
            .base
            .saturating_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX));
        let full = exp.min(self.cap).as_millis() as u64;
        let half = full / 2;
        Duration::from_millis(half + entropy % (full - half + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps_and_stays_in_the_jitter_band() {
        let p = RetryPolicy::default();
        for attempt in 0..40 {
            let full = (250u64 << attempt.min(20)).min(8000);
            for entropy in [0, 1, 7, u64::MAX, 123_456_789] {
                let d = p.delay(attempt, entropy, None).as_millis() as u64;
                assert!(
                    d >= full / 2 && d <= full,
                    "attempt {attempt}: {d} vs {full}"
                );
            }
        }
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(5, 3, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.delay(0, 3, Some(Duration::from_secs(3600))),
            Duration::from_secs(120)
        );
    }
}
