//! Time arithmetic that never panics, for both clocks the sandbox uses.
//!
//! Deadlines (code and token expiry, long polls, scripted users) are [`Instant`]s; what goes on
//! the wire (`exp`, `iat`, `expires`, `X-Access-Token-Expires`) comes from [`SystemTime`].
//! Configured lifetimes may be huge (`Duration::MAX` for "never"), so adding one saturates far in
//! the future instead of overflowing. One rule for both clocks, written once.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What "later than anything that matters" is when the exact sum overflows: a hundred years.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 86_400);

/// `t + d`, or `t + FAR_FUTURE` if that overflows, or `t` if even that does.
fn saturating_add<T: Copy>(t: T, d: Duration, checked_add: fn(&T, Duration) -> Option<T>) -> T {
    checked_add(&t, d)
        .or_else(|| checked_add(&t, FAR_FUTURE))
        .unwrap_or(t)
}

/// Adds a duration to an instant, saturating far in the future instead of panicking on overflow.
pub(crate) fn later(t: Instant, d: Duration) -> Instant {
    saturating_add(t, d, Instant::checked_add)
}

/// `now + d` on the wall clock, saturating instead of panicking on absurd lifetimes.
pub(crate) fn wall_after(now: SystemTime, d: Duration) -> SystemTime {
    saturating_add(now, d, SystemTime::checked_add)
}

/// Seconds since the Unix epoch of `t` (0 before it), for JWT `iat`/`exp`/`auth_time`.
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> u64 {
    unix_secs(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn additions_saturate() {
        let t = Instant::now();
        assert_eq!(later(t, Duration::from_secs(5)), t + Duration::from_secs(5));
        assert_eq!(later(t, Duration::MAX), t + FAR_FUTURE);
        let w = SystemTime::now();
        assert_eq!(wall_after(w, Duration::MAX), w + FAR_FUTURE);
        assert_eq!(unix_secs(UNIX_EPOCH + Duration::from_secs(7)), 7);
    }
}
