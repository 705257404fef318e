//! Retry timing for transient failures.
//!
//! Capped exponential backoff with "equal jitter": the n-th retry waits between half and all of
//! `min(cap, base * 2^n)`. The jitter spreads a fleet of phones that all lost the network at the
//! same moment; the cap keeps a long outage from pushing retries past the user's patience. A
//! provider's `Retry-After` wins over the computed delay. Randomness comes in as an argument so
//! the state machines stay deterministic under test.
//!
//! [`Retrier`] is the one retry path: every request that is retried (initialize, status,
//! exchange, token renewal, client credentials) counts its attempts and takes its delay from
//! one, so the rules (backoff, jitter, `Retry-After`, limits, the log line) live here only.

use std::time::Duration;

use crate::http::Failure;

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
        let full = crate::timestamp::whole_millis(exp.min(self.cap));
        let half = full / 2;
        Duration::from_millis(half + entropy % (full - half + 1))
    }
}

/// The attempts of one request (or one phase of a flow) and their delays under a [`RetryPolicy`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retrier {
    policy: RetryPolicy,
    attempts: u32,
}

impl Retrier {
    /// No attempts yet.
    pub fn new(policy: RetryPolicy) -> Self {
        Retrier {
            policy,
            attempts: 0,
        }
    }

    /// Retries made since the last success.
    #[cfg(test)]
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// A request succeeded (or the flow moved on): the next failure starts from the base delay.
    pub fn reset(&mut self) {
        self.attempts = 0;
    }

    /// Counts one more retry of `what` after `failure` and says how long to wait before it,
    /// or `None` if `failure` is not transient or `limit` retries were already made (`None`
    /// for no limit: the caller bounds the retries by a deadline instead).
    pub fn next_delay(
        &mut self,
        what: &str,
        failure: &Failure,
        limit: Option<u32>,
        entropy: u64,
    ) -> Option<Duration> {
        if !failure.is_transient() || limit.is_some_and(|max| self.attempts >= max) {
            return None;
        }
        Some(self.delay_after(what, failure, entropy))
    }

    /// Like [`Retrier::next_delay`] without the checks: for answers the caller has decided to
    /// retry although they are not transient (a garbled status answer is worth another poll).
    pub fn delay_after(&mut self, what: &str, failure: &Failure, entropy: u64) -> Duration {
        let delay = self
            .policy
            .delay(self.attempts, entropy, failure.retry_after);
        self.attempts += 1;
        log::info!(
            "{what} failed ({}); retry {} in {} ms",
            failure.error,
            self.attempts,
            delay.as_millis()
        );
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn retrier_counts_limits_and_resets() {
        let transient = Failure::from(Error::ServerError {
            endpoint: "status",
            status: 503,
        });
        let mut r = Retrier::new(RetryPolicy::default());
        assert!(r.next_delay("x", &transient, Some(2), 0).is_some());
        assert!(r.next_delay("x", &transient, Some(2), 0).is_some());
        assert_eq!(r.next_delay("x", &transient, Some(2), 0), None);
        assert_eq!(r.attempts(), 2);
        r.reset();
        assert_eq!(
            r.next_delay("x", &transient, None, 0),
            Some(Duration::from_millis(125))
        );
        let permanent = Failure::from(Error::BadClientCredentials);
        assert_eq!(r.next_delay("x", &permanent, None, 0), None);
        let waited = Failure {
            error: Error::RateLimited {
                endpoint: "status",
                retry_after: Some(Duration::from_secs(3)),
            },
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(
            r.next_delay("x", &waited, None, 0),
            Some(Duration::from_secs(3))
        );
    }

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
