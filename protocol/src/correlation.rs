//! Correlation ids: one per flow, sent as `X-Correlation-Id` on every request of that flow.
//!
//! The provider accepts an optional `X-Correlation-Id` and echoes it; quoting it in a support
//! ticket lets the provider find every request of one sign-in. Its form is fixed by the
//! provider: `|`, then only `[a-z0-9_-]`, then `.`, at most 128 characters in all.
//!
//! Why here and why like this: the id must be the same on every request of a flow (initialize,
//! each status poll, the exchange; the code exchange of a connect flow) and survive a snapshot,
//! so the flow machine owns it. This crate draws no randomness, so the id is made from entropy
//! handed in ([`CorrelationId::from_entropy`], the machine uses its first input's
//! [`crate::flow::Ctx::entropy`]; the driver's one-shot calls use the OS random source). It is
//! not a secret — it identifies a flow, it authorizes nothing — so states, errors and log
//! lines may show it.

use std::fmt;

use crate::error::Error;

/// The request header that carries the id (lower case, as [`crate::http::HttpRequest`] names
/// headers).
pub const HEADER: &str = "x-correlation-id";

/// The longest id the provider accepts.
pub const MAX_LEN: usize = 128;

/// A flow's correlation id: `|` + `[a-z0-9_-]*` + `.`, at most [`MAX_LEN`] characters.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CorrelationId(String);

impl CorrelationId {
    /// The id for a flow whose random input is `entropy`: `|obauth-` + 16 lowercase hex digits
    /// + `.` (25 characters).
    pub fn from_entropy(entropy: u64) -> Self {
        CorrelationId(format!("|obauth-{entropy:016x}."))
    }

    /// Checks an id from elsewhere (an app's own, a snapshot, a provider's echo).
    pub fn parse(value: &str) -> Result<Self, Error> {
        let reason = if value.len() > MAX_LEN {
            Some("must be at most 128 characters")
        } else if !value.starts_with('|') || !value.ends_with('.') || value.len() < 2 {
            Some("must start with '|' and end with '.'")
        } else if !value[1..value.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            Some("may contain only a-z, 0-9, '_' and '-' between '|' and '.'")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(Error::invalid("correlationId", reason)),
            None => Ok(CorrelationId(value.to_owned())),
        }
    }

    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CorrelationId({})", self.0)
    }
}

impl TryFrom<String> for CorrelationId {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        CorrelationId::parse(&value)
    }
}

impl From<CorrelationId> for String {
    fn from(id: CorrelationId) -> String {
        id.0
    }
}

/// Adds `X-Correlation-Id: id` to every request in `effects` that does not carry one yet: the
/// one place a flow's requests get their id.
pub(crate) fn tag<S>(effects: &mut [crate::flow::Effect<S>], id: &CorrelationId) {
    for effect in effects {
        if let crate::flow::Effect::Send(request) = effect {
            request.set_correlation_id(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_the_providers_form() {
        for entropy in [0, 1, 0xdead_beef, u64::MAX] {
            let id = CorrelationId::from_entropy(entropy);
            assert_eq!(CorrelationId::parse(id.as_str()).unwrap(), id);
            assert_eq!(id.as_str().len(), 25);
        }
        assert_ne!(
            CorrelationId::from_entropy(1),
            CorrelationId::from_entropy(2)
        );
    }

    #[test]
    fn the_form_is_checked() {
        for good in [
            "|.",
            "|a.",
            "|abc-def_09.",
            &format!("|{}.", "a".repeat(126)),
        ] {
            assert!(CorrelationId::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "|",
            ".",
            "abc.",
            "|abc",
            "|ABC.",
            "|a b.",
            "|a.b.",
            "|ä.",
            "|a\r\nx.",
            &format!("|{}.", "a".repeat(127)),
        ] {
            let e = CorrelationId::parse(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidInput {
                        field: "correlationId",
                        ..
                    }
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn serde_refuses_a_malformed_id() {
        assert!(serde_json::from_str::<CorrelationId>("\"|ok.\"").is_ok());
        assert!(serde_json::from_str::<CorrelationId>("\"nope\"").is_err());
    }
}
