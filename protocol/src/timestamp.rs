//! Wall-clock instants as the provider writes them.
//!
//! The providers send expiries as ISO 8601 / RFC 3339 strings with anywhere from zero to seven
//! fractional digits (`2019-01-23T13:30:07.1389724+00:00`, `2019-12-04T18:16:42.7870000Z`) and
//! `Retry-After` as seconds or an HTTP date. The core needs them as plain numbers so that the
//! sans-IO state machines can compare them with the `now` they are handed, and so that snapshots
//! stay portable. A dependency-free parser/formatter of those two formats is all that takes.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (UTC), from year 0000 to year 9999: the range the RFC 3339
/// form writes with four-digit years. Every constructor clamps to it (saturating, like
/// [`Timestamp::plus`]), so every timestamp that is stored — snapshots, token sets — reads back:
/// a provider's `expires_in` of `u64::MAX` seconds or an expiry of
/// `9999-12-31T23:59:59-01:00` becomes the last millisecond of 9999, not an unreadable
/// snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// `0000-01-01T00:00:00.000Z`.
const MIN_MILLIS: i64 = -62_167_219_200_000;
/// `9999-12-31T23:59:59.999Z`.
const MAX_MILLIS: i64 = 253_402_300_799_999;

/// `ms` clamped to the years 0000 to 9999.
const fn clamped(ms: i64) -> Timestamp {
    Timestamp(if ms < MIN_MILLIS {
        MIN_MILLIS
    } else if ms > MAX_MILLIS {
        MAX_MILLIS
    } else {
        ms
    })
}

/// A timestamp string that could not be read. It does not repeat the text: that came from a
/// provider or a header and is untrusted, so only its length is kept for the message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an ISO 8601 timestamp ({length} characters)")]
pub struct TimestampError {
    /// The length of the text that was refused.
    pub length: usize,
}

impl Timestamp {
    /// From milliseconds since the Unix epoch (clamped to the years 0000 to 9999).
    pub const fn from_unix_millis(ms: i64) -> Self {
        clamped(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// A wall-clock reading taken by the caller (this crate reads no clock), rounded to the
    /// nearest millisecond: a host date that crossed the FFI as floating-point seconds
    /// (`123.999999 ms` for `.124`) keeps its millisecond.
    pub fn from_system_time(time: SystemTime) -> Self {
        let round = |d: Duration| i64::try_from(d.as_nanos().saturating_add(500_000) / 1_000_000);
        let ms = match time.duration_since(UNIX_EPOCH) {
            Ok(d) => round(d).unwrap_or(i64::MAX),
            Err(e) => round(e.duration()).map_or(i64::MIN, |ms| -ms),
        };
        clamped(ms)
    }

    /// `self + d`, saturating (at the end of year 9999).
    pub fn plus(self, d: Duration) -> Self {
        clamped(
            self.0
                .saturating_add(d.as_millis().min(i64::MAX as u128) as i64),
        )
    }

    /// How long from `self` until `later`; zero if `later` is not after `self`.
    pub fn until(self, later: Timestamp) -> Duration {
        Duration::from_millis(later.0.saturating_sub(self.0).max(0) as u64)
    }

    /// Parses RFC 3339 / ISO 8601 date-times: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    /// A missing offset is read as UTC (some providers omit it); fractions beyond milliseconds
    /// are truncated.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimestampError> {
        parse_rfc3339(text.trim()).ok_or(TimestampError { length: text.len() })
    }

    /// Formats as RFC 3339 in UTC with millisecond precision: `2019-12-04T18:16:42.787Z`.
    pub fn to_rfc3339(self) -> String {
        let secs = self.0.div_euclid(1000);
        let millis = self.0.rem_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            sod / 3600,
            (sod % 3600) / 60,
            sod % 60
        )
    }

    /// Reads an HTTP `Retry-After` value (delta-seconds or an IMF-fixdate) relative to `now`.
    pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
        let value = value.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        parse_imf_fixdate(value).map(|at| now.until(at))
    }
}

/// A reading of a monotonic clock: the time since an arbitrary epoch the driver chose (say, when
/// it started). It never goes backwards and ignores changes to the wall clock, so in-process
/// spacing and deadlines (the long-poll window, a code's lifetime) are measured with it. It
/// means nothing in another process, so it is never persisted: what must survive a restart is a
/// [`Timestamp`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Monotonic(Duration);

impl Monotonic {
    /// The reading `elapsed` after the driver's epoch.
    pub const fn from_elapsed(elapsed: Duration) -> Self {
        Monotonic(elapsed)
    }

    /// The time since the driver's epoch.
    pub const fn elapsed(self) -> Duration {
        self.0
    }

    /// `self + d`, saturating.
    pub fn plus(self, d: Duration) -> Self {
        Monotonic(self.0.saturating_add(d))
    }

    /// How long from `self` until `later`; zero if `later` is not after `self`.
    pub fn until(self, later: Monotonic) -> Duration {
        later.0.saturating_sub(self.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0')))
}

fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0i64;
    if let Some((&b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, c) in frac[..n].iter().take(3).enumerate() {
            millis += i64::from(c - b'0') * [100, 10, 1][i];
        }
        rest = &frac[n..];
    }
    let offset_secs = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), hh @ ..] if hh.len() == 5 && hh[2] == b':' => {
            let h = digits(&hh[0..2])?;
            let m = digits(&hh[3..5])?;
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            if *sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    // Provider data: every step is checked (an overflow is a parse error, never a panic).
    let days = days_from_civil(year, month, day);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(hour * 3600 + minute * 60 + second.min(59))?
        .checked_sub(offset_secs)?;
    // An offset can carry a four-digit year past 0000 or 9999: clamp, so that it re-encodes.
    Some(clamped(secs.checked_mul(1000)?.checked_add(millis)?))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 IMF-fixdate).
fn parse_imf_fixdate(s: &str) -> Option<Timestamp> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let iso = format!("{year}-{month:02}-{day:0>2}T{time}Z");
    parse_rfc3339(&iso)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `d` in whole milliseconds, saturating at `u64::MAX`: `Duration::as_millis` is a `u128`, and
/// `as u64` would silently wrap an overlong duration (found by fuzzing: an app timeout of
/// `Duration::MAX` became a few milliseconds). Every conversion of a duration to milliseconds
/// goes through here.
pub fn whole_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_times_round_to_the_nearest_millisecond() {
        let at = |nanos: u64| Timestamp::from_system_time(UNIX_EPOCH + Duration::from_nanos(nanos));
        assert_eq!(
            at(1_700_000_000_123_999_999).unix_millis(),
            1_700_000_000_124
        );
        assert_eq!(
            at(1_700_000_000_123_000_001).unix_millis(),
            1_700_000_000_123
        );
        let before = Timestamp::from_system_time(UNIX_EPOCH - Duration::from_nanos(1_999_999));
        assert_eq!(before.unix_millis(), -2);
    }

    #[test]
    fn parses_the_seed_formats() {
        let a = Timestamp::parse_rfc3339("2019-01-23T13:30:07.1389724+00:00").unwrap();
        assert_eq!(a.unix_millis(), 1_548_250_207_138);
        let b = Timestamp::parse_rfc3339("2019-07-25T13:20:07.141971Z").unwrap();
        assert_eq!(b.to_rfc3339(), "2019-07-25T13:20:07.141Z");
        let c = Timestamp::parse_rfc3339("2019-12-04T18:16:42.7870000Z").unwrap();
        assert_eq!(c.to_rfc3339(), "2019-12-04T18:16:42.787Z");
        let d = Timestamp::parse_rfc3339("2019-12-04T20:16:42+02:00").unwrap();
        assert_eq!(d.to_rfc3339(), "2019-12-04T18:16:42.000Z");
        let no_offset = Timestamp::parse_rfc3339("2019-12-04T18:16:42").unwrap();
        assert_eq!(no_offset, d);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "yesterday",
            "2019-13-01T00:00:00Z",
            "2019-02-30T00:00:00Z",
            "2019-01-01T24:00:00Z",
            "2019-01-01T00:00:00.Z",
            "2019-01-01T00:00:00+0100",
            "2019-01-01T00:00:00Zjunk",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trips_across_eras() {
        for ms in [
            0,
            951_782_400_000,
            4_107_542_400_000,
            -86_400_000,
            1_700_000_000_123,
        ] {
            let t = Timestamp::from_unix_millis(ms);
            assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()).unwrap(), t);
        }
    }

    /// Found by fuzzing (headers_timestamps, token_and_discovery, authorization_responses): a
    /// timestamp outside the four-digit years (an `expires_in` of `u64::MAX`, an offset past
    /// year 9999 or before year 0000) was written as `292278994-08-17T07:12:55.807Z` or
    /// `-001-12-31T…`, which no parser reads: the snapshot or stored token set holding it could
    /// not be restored.
    #[test]
    fn every_timestamp_reads_back() {
        for ms in [
            i64::MIN,
            i64::MAX,
            MIN_MILLIS - 1,
            MAX_MILLIS + 1,
            3_256_436_976_205_705_264,
        ] {
            let t = Timestamp::from_unix_millis(ms);
            assert_eq!(
                Timestamp::parse_rfc3339(&t.to_rfc3339()).unwrap(),
                t,
                "{ms}"
            );
        }
        let far = Timestamp::from_unix_millis(0).plus(Duration::from_secs(u64::MAX));
        assert_eq!(far.to_rfc3339(), "9999-12-31T23:59:59.999Z");
        for (text, expected) in [
            ("9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59.999Z"),
            ("0000-01-01T00:00:00+00:01", "0000-01-01T00:00:00.000Z"),
        ] {
            let t = Timestamp::parse_rfc3339(text).unwrap();
            assert_eq!(t.to_rfc3339(), expected);
            assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()).unwrap(), t);
        }
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = Timestamp::parse_rfc3339("1994-11-06T08:49:30Z").unwrap();
        assert_eq!(
            Timestamp::parse_retry_after("7", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            Timestamp::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            Timestamp::parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(Timestamp::parse_retry_after("soon", now), None);
    }
}
