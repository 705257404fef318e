//! Header values and timestamps.
//!
//! Every line of the input (and the whole input) is a header value: `Timestamp::parse_rfc3339`,
//! `Retry-After` through `http::classify` (429 and 5xx), and `X-Access-Token-Expires` through
//! `AccessSession::apply_expiry_header`. The input's first bytes, read with `arbitrary`, are
//! also a millisecond instant and a clock. Checks:
//! - a timestamp ObAuth writes (`to_rfc3339`, as in snapshots and stored tokens) parses back to
//!   the same instant, for any instant; a parsed timestamp re-encodes and parses to itself;
//! - `Retry-After` in seconds is honoured exactly by `classify`, an HTTP date relative to now;
//! - an accepted expiry header moves the session's expiry to exactly the parsed instant, a
//!   refused one leaves it alone, and the error never echoes the header value.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use obauth_protocol::http::{HttpResponse, RequestKind, classify};
use obauth_protocol::secret::Secret;
use obauth_protocol::session::AccessSession;
use obauth_protocol::timestamp::Timestamp;

fn check_value(value: &str, now: Timestamp) {
    match Timestamp::parse_rfc3339(value) {
        Ok(t) => {
            let text = t.to_rfc3339();
            let again = Timestamp::parse_rfc3339(&text).unwrap_or_else(|e| {
                panic!("{value:?} parsed, its encoding {text:?} does not: {e}")
            });
            assert_eq!(again, t, "{value:?} -> {text:?}");
        }
        Err(e) => {
            if value.contains("SECRET") {
                assert!(!e.to_string().contains("SECRET") && !format!("{e:?}").contains("SECRET"));
            }
        }
    }

    let expected = Timestamp::parse_retry_after(value, now);
    if let Ok(secs) = value.trim().parse::<u64>() {
        assert_eq!(expected, Some(Duration::from_secs(secs)));
    }
    for (status, kind) in [
        (429, RequestKind::Status),
        (503, RequestKind::Exchange),
        (500, RequestKind::Refresh),
    ] {
        let response = HttpResponse {
            status,
            headers: vec![("retry-after".into(), value.into())],
            body: Vec::new(),
        };
        let failure = classify(kind, Ok(response), now).expect_err("an error status fails");
        assert_eq!(failure.retry_after, expected, "{value:?}");
        assert!(failure.is_transient());
        let _ = failure.error.to_string();
    }

    let start = Timestamp::from_unix_millis(1_700_000_000_000);
    let session = AccessSession::new(Secret::new("session-token"), start);
    let other = session.clone();
    match other.apply_expiry_header(value) {
        Ok(at) => {
            assert_eq!(session.expires(), at);
            assert_eq!(Ok(at), Timestamp::parse_rfc3339(value));
        }
        Err(e) => {
            assert_eq!(session.expires(), start);
            if value.contains("SECRET") {
                assert!(!e.to_string().contains("SECRET") && !format!("{e:?}").contains("SECRET"));
            }
        }
    }
    let _ = format!("{session:?}");
}

fuzz_target!(init: obauth_fuzz::maybe_write_seeds("headers_timestamps"), |data: &[u8]| {
    let mut u = Unstructured::new(data);
    let ms: i64 = u.arbitrary().unwrap_or_default();
    let now_ms: i64 = u.arbitrary().unwrap_or_default();
    let step: u64 = u.arbitrary().unwrap_or_default();

    // Any instant ObAuth writes, it reads back.
    let t = Timestamp::from_unix_millis(ms);
    let text = t.to_rfc3339();
    let back = Timestamp::parse_rfc3339(&text)
        .unwrap_or_else(|e| panic!("{ms} ms encodes as {text:?}, which does not parse: {e}"));
    assert_eq!(back.to_rfc3339(), text, "{ms} ms");
    let later = t.plus(Duration::from_millis(step));
    assert!(later >= t);
    assert_eq!(t.until(later) > Duration::ZERO, later > t);
    if let Some(sys) = UNIX_EPOCH.checked_add(Duration::from_millis(step)) {
        let _ = Timestamp::from_system_time(sys);
    }

    let now = Timestamp::from_unix_millis(now_ms);
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        check_value(line, now);
    }
    check_value(&text, now);
});
