//! ISO 8601 and label timestamps in the exact shapes the provider uses.
//!
//! The provider is a .NET service and its timestamps show it: `2019-01-23T13:30:07.1389724+00:00`
//! (seven fractional digits, numeric offset) for session expiry, `2019-07-25T13:20:07.141971Z` for
//! login expiry, `2019-12-04T18:16:42.7870000Z` for `X-Access-Token-Expires`, and a US-style
//! `1/23/2019 1:12:33 PM` inside login labels. Clients must parse all of these, so the sandbox
//! reproduces each shape by hand (days-from-civil) instead of pulling in a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC calendar breakdown of an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
}

/// Converts days since 1970-01-01 into (year, month, day). Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn civil(t: SystemTime) -> Civil {
    // Instants before 1970 never occur in the sandbox; clamp rather than fail.
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    Civil {
        year,
        month,
        day,
        hour: sod / 3600,
        minute: sod / 60 % 60,
        second: sod % 60,
        nanos: since.subsec_nanos(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.fffffff` with `digits` fractional digits (1..=9), no zone suffix.
fn base(t: SystemTime, digits: u32) -> String {
    let c = civil(t);
    let digits = digits.clamp(1, 9);
    let frac = c.nanos / 10u32.pow(9 - digits);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:0width$}",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        frac,
        width = digits as usize
    )
}

/// `2019-01-23T13:30:07.1389724+00:00`: the `session.expires` shape of the tokens response.
pub fn iso_offset_7(t: SystemTime) -> String {
    format!("{}+00:00", base(t, 7))
}

/// `2019-12-04T18:16:42.7870000Z`: the `X-Access-Token-Expires` header shape.
pub fn iso_z_7(t: SystemTime) -> String {
    format!("{}Z", base(t, 7))
}

/// `2019-07-25T13:20:07.141971Z`: the `login.expires` shape of the tokens response.
pub fn iso_z_6(t: SystemTime) -> String {
    format!("{}Z", base(t, 6))
}

/// `1/23/2019 1:12:33 PM`: the date part of a login `label`.
pub fn us_label(t: SystemTime) -> String {
    let c = civil(t);
    let (hour12, meridiem) = match c.hour {
        0 => (12, "AM"),
        1..=11 => (c.hour, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{}/{}/{} {}:{:02}:{:02} {}",
        c.month, c.day, c.year, hour12, c.minute, c.second, meridiem
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn epoch() {
        assert_eq!(iso_z_7(at(0, 0)), "1970-01-01T00:00:00.0000000Z");
    }

    #[test]
    fn seed_examples() {
        // 2019-01-23T13:30:07.1389724Z
        let t = at(1_548_250_207, 138_972_400);
        assert_eq!(iso_offset_7(t), "2019-01-23T13:30:07.1389724+00:00");
        // 2019-07-25T13:20:07.141971Z
        assert_eq!(
            iso_z_6(at(1_564_060_807, 141_971_000)),
            "2019-07-25T13:20:07.141971Z"
        );
        // 2019-12-04T18:16:42.787Z
        assert_eq!(
            iso_z_7(at(1_575_483_402, 787_000_000)),
            "2019-12-04T18:16:42.7870000Z"
        );
        // 2019-01-23T13:12:33Z
        assert_eq!(us_label(at(1_548_249_153, 0)), "1/23/2019 1:12:33 PM");
    }

    #[test]
    fn leap_day_and_midnight() {
        // 2024-02-29T00:05:09Z
        let t = at(1_709_165_109, 5);
        assert_eq!(iso_z_6(t), "2024-02-29T00:05:09.000000Z");
        assert_eq!(us_label(t), "2/29/2024 12:05:09 AM");
        // 2000-12-31T23:59:59Z
        assert_eq!(iso_z_7(at(978_307_199, 0)), "2000-12-31T23:59:59.0000000Z");
        // 2100-03-01T12:00:00Z (2100 is not a leap year)
        assert_eq!(us_label(at(4_107_585_600, 0)), "3/1/2100 12:00:00 PM");
    }
}
