//! The `Authorization` header: `Basic` client credentials (RFC 7617) for the OAuth token
//! endpoints, and `Bearer` tokens (RFC 6750) for the session and userinfo endpoints.
//!
//! Both token endpoints accept client credentials this way (Aiia's `/v1/oauth/token` only this
//! way). Clients get it wrong in small ways — a missing space, URL-safe base64, a secret that
//! contains `:` — so parsing is strict and in one place, and anything malformed is simply "not
//! valid Basic credentials" (the caller answers `401 invalid_client`; nothing here panics).
//!
//! Decoding rules:
//! - the scheme is case-insensitive (`Basic`, `basic`); one or more spaces follow it;
//! - the payload is standard base64 (RFC 4648 §4), padding required, as every seed example
//!   produces it;
//! - the decoded bytes are UTF-8, or ISO-8859-1 if they are not valid UTF-8 (the seed's C#
//!   example encodes with `iso-8859-1`);
//! - the user-id ends at the *first* colon, so a secret may contain colons (RFC 7617 §2).
//!
//! RFC 6749 §2.3.1 also says the id and secret are form-urlencoded *before* base64; most clients
//! (and the seeds' examples) skip that. [`BasicCredentials::matches`] therefore accepts both the
//! raw and the form-decoded reading.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::constant_time_eq;

/// A client id and secret taken from an `Authorization: Basic` header.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct BasicCredentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// What the `Authorization` header holds, as far as client authentication is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthorizationHeader {
    /// No `Authorization` header.
    Absent,
    /// Well-formed Basic credentials.
    Basic(BasicCredentials),
    /// A header that is present but not valid Basic credentials (another scheme, bad base64,
    /// no colon, ...). Counts as an attempt at client authentication that failed.
    Invalid,
}

/// Reads the `Authorization` header.
pub(crate) fn parse(headers: &HeaderMap) -> AuthorizationHeader {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return AuthorizationHeader::Absent;
    };
    match value.to_str().ok().and_then(parse_value) {
        Some(creds) => AuthorizationHeader::Basic(creds),
        None => AuthorizationHeader::Invalid,
    }
}

/// Parses one `Basic <base64>` header value.
pub(crate) fn parse_value(value: &str) -> Option<BasicCredentials> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = STANDARD.decode(rest.trim_start()).ok()?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        // ISO-8859-1: every byte is the code point of the same value.
        Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
    };
    let (user, password) = text.split_once(':')?;
    Some(BasicCredentials {
        user: user.to_owned(),
        password: password.to_owned(),
    })
}

/// Form-decodes one value (`%XX` and `+` as space), as RFC 6749 §2.3.1 asks of Basic client
/// credentials.
fn form_decode(value: &str) -> String {
    url::form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

impl BasicCredentials {
    /// Whether these are `id:secret`, read raw or form-decoded. Compares in constant time.
    pub fn matches(&self, id: &str, secret: &str) -> bool {
        let raw = constant_time_eq(self.user.as_bytes(), id.as_bytes())
            & constant_time_eq(self.password.as_bytes(), secret.as_bytes());
        let decoded_user = form_decode(&self.user);
        let decoded_password = form_decode(&self.password);
        let decoded = constant_time_eq(decoded_user.as_bytes(), id.as_bytes())
            & constant_time_eq(decoded_password.as_bytes(), secret.as_bytes());
        raw | decoded
    }

    /// The client id, form-decoded if the raw one is not `id` (see the module docs).
    pub fn client_id(&self) -> String {
        if self.user.contains('%') || self.user.contains('+') {
            form_decode(&self.user)
        } else {
            self.user.clone()
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn header(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn parses_the_apiture_example() {
        // The seed's example: c3793a03-1234-4179:843f-6ad71454858b
        let encoded = STANDARD.encode("c3793a03-1234-4179:843f-6ad71454858b");
        let creds = parse_value(&format!("Basic {encoded}")).unwrap();
        assert_eq!(creds.user, "c3793a03-1234-4179");
        assert_eq!(creds.password, "843f-6ad71454858b");
        assert!(creds.matches("c3793a03-1234-4179", "843f-6ad71454858b"));
        assert!(!creds.matches("c3793a03-1234-4179", "843f-6ad71454858"));
    }

    #[test]
    fn scheme_is_case_insensitive_and_secret_may_hold_colons() {
        let encoded = STANDARD.encode("id:se:cr:et");
        let creds = parse_value(&format!("bAsIc  {encoded}")).unwrap();
        assert_eq!(
            (creds.user.as_str(), creds.password.as_str()),
            ("id", "se:cr:et")
        );
    }

    #[test]
    fn rejects_malformed_values() {
        assert_eq!(parse(&HeaderMap::new()), AuthorizationHeader::Absent);
        for bad in [
            "Bearer abc",
            "Basic",
            "Basic !!!",
            &format!("Basic {}", STANDARD.encode("no-colon")),
            // Unpadded base64 is refused.
            &format!("Basic {}", STANDARD.encode("ab:c").trim_end_matches('=')),
        ] {
            assert_eq!(parse(&header(bad)), AuthorizationHeader::Invalid, "{bad}");
        }
    }

    #[test]
    fn latin1_and_form_encoded_credentials() {
        let latin1 = STANDARD.encode([b'i', b'd', b':', 0xe6]);
        let creds = parse_value(&format!("Basic {latin1}")).unwrap();
        assert_eq!(creds.password, "æ");
        let encoded = STANDARD.encode("my%20id:a%2Bb");
        let creds = parse_value(&format!("Basic {encoded}")).unwrap();
        assert!(creds.matches("my id", "a+b"));
        assert_eq!(creds.client_id(), "my id");
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer(&HeaderMap::new()), None);
        assert_eq!(bearer(&header("Bearer a+b/c=")), Some("a+b/c="));
        assert_eq!(bearer(&header("Basic abc")), None);
    }

    #[test]
    fn debug_redacts_the_password() {
        let creds = parse_value(&format!("Basic {}", STANDARD.encode("id:hunter2"))).unwrap();
        assert!(!format!("{creds:?}").contains("hunter2"));
    }
}
