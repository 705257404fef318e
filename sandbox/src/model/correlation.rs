//! `X-Correlation-Id`: the provider's rule for it and the log of what each request carried.
//!
//! The provider accepts an optional `X-Correlation-Id` (`|`, then only `[a-z0-9_-]`, then `.`,
//! at most 128 characters), refuses a malformed one with a field error, and echoes a good one.
//! The sandbox also writes down, per provider request, which id it carried (or none), so tests
//! prove that every request of one flow carried the same id ([`crate::Sandbox::correlation_log`]).

/// The header, lower case.
pub(crate) const HEADER: &str = "x-correlation-id";

/// How many requests the log keeps (the oldest go first).
pub(crate) const LOG_LIMIT: usize = 10_000;

/// One provider request and the correlation id it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationRecord {
    /// The endpoint's name ([`crate::Endpoint::as_str`]).
    pub endpoint: &'static str,
    /// The `X-Correlation-Id` it carried, if any (only well-formed ones are recorded; a
    /// malformed one is refused with `400` and recorded as `None`).
    pub correlation_id: Option<String>,
}

/// Checks a value against the provider's rule; `Err` is the message of the field error.
pub(crate) fn check(value: &str) -> Result<(), &'static str> {
    if value.len() > 128 {
        return Err("The X-Correlation-Id may be at most 128 characters long.");
    }
    let inner = value
        .strip_prefix('|')
        .and_then(|rest| rest.strip_suffix('.'))
        .ok_or("The X-Correlation-Id must start with '|' and end with '.'.")?;
    if inner
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        Ok(())
    } else {
        Err("The X-Correlation-Id may contain only a-z, 0-9, '_' and '-' between '|' and '.'.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_providers_rule() {
        assert!(check("|obauth-00ff.").is_ok());
        assert!(check("|.").is_ok());
        assert!(check(&format!("|{}.", "a".repeat(126))).is_ok());
        for bad in [
            "",
            "|",
            "x.",
            "|x",
            "|X.",
            "|a.b.",
            "|a b.",
            &format!("|{}.", "a".repeat(127)),
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
