//! What a restored snapshot must agree with before the flow is rebuilt from it.
//!
//! A snapshot comes back from storage, which is outside input like a provider's answer: a
//! snapshot whose token endpoint had been edited once made a restored connect flow send the
//! client secret and the code to another host. So every field that decides where a request goes
//! or what the WebView shows is checked against the client's own configuration, and a mismatch
//! is [`Error::InvalidSnapshot`] before the machine exists (so nothing can be sent):
//!
//! | field | must be |
//! |---|---|
//! | client id | the configured one |
//! | connect endpoints | exactly `{apiUrl}v1/oauth/connect` and `{apiUrl}v1/oauth/token` |
//! | PKCE endpoints | https (or loopback http); `OidcClient` then requires the issuer's discovered endpoints, or the issuer's origin |
//! | redirect (and pattern) | a valid redirect; a custom scheme only with the client's opt-in |
//! | supervised `authUrl` | https (or loopback http) with a host, as an initialize answer must be |
//! | time-outs | positive, at most [`crate::validate::MAX_DURATION`] |
//!
//! The restore also opens the seal when an integrity key is configured (`integrity`).

use url::Url;

use crate::config::Credentials;
use crate::error::Error;
use crate::redirect::RedirectPattern;
use crate::validate;

fn refused(what: &str) -> Error {
    Error::InvalidSnapshot(format!(
        "the {what} does not match the client's configuration"
    ))
}

/// `value` must be exactly `expected`.
pub(crate) fn same_url(what: &str, value: &str, expected: &Url) -> Result<(), Error> {
    match Url::parse(value) {
        Ok(url) if url == *expected => Ok(()),
        _ => Err(refused(what)),
    }
}

/// `value` must be a service URL (https, or http to loopback; no credentials).
pub(crate) fn service_url(what: &str, value: &str) -> Result<(), Error> {
    validate::service_url("endpoint", value, false)
        .map(drop)
        .map_err(|_| refused(what))
}

/// A restored redirect (or, with `pattern`, redirect pattern): valid, and a custom scheme only
/// if the client allows one.
pub(crate) fn redirect(
    creds: &Credentials,
    value: &str,
    pattern: bool,
) -> Result<RedirectPattern, Error> {
    let parsed = RedirectPattern::parse("redirect", value, pattern)
        .map_err(|_| Error::InvalidSnapshot("invalid redirect URL".into()))?;
    creds
        .check_redirect_scheme("redirect", &parsed)
        .map_err(|_| refused("redirect URL's scheme"))?;
    Ok(parsed)
}

/// The overall time-out and the code lifetime of a restored flow.
pub(crate) fn timing(timeout_ms: u64, code_lifetime_ms: u64) -> Result<(), Error> {
    let max = validate::MAX_DURATION.as_millis();
    let ok = |ms: u64| ms > 0 && u128::from(ms) <= max;
    if !ok(timeout_ms) || !ok(code_lifetime_ms) {
        return Err(Error::InvalidSnapshot("invalid timing parameters".into()));
    }
    Ok(())
}
