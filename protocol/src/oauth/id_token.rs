//! ID token checks (OpenID Connect Core §3.1.3.7 and §12.2).
//!
//! The ID token comes straight from the token endpoint over TLS, which §3.1.3.7 (6) accepts in
//! place of a signature check; its claims are still checked, because a provider mix-up or a
//! token meant for another client must not sign this user in:
//! - after an authorization-code login: `iss` is the issuer this flow was started with, `aud`
//!   holds this client id, `azp` (required when `aud` has several values) is this client, `exp`
//!   is in the future, `iat` is present and not in the future, `nonce` is this flow's;
//! - after a refresh (§12.2): the same `iss`, `sub` and `aud` as the ID token of the login, and
//!   the same checks of `azp`, `exp` and `iat`; a `nonce`, if present, is the login's.
//!
//! Failures are [`Error::NonceMismatch`] for the nonce and [`Error::MalformedResponse`] naming
//! the claim otherwise; no claim value is echoed.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::error::Error;
use crate::http::RequestKind;
use crate::oauth::pkce::constant_time_eq;
use crate::secret::Secret;
use crate::timestamp::Timestamp;

/// How far in the future an `iat` may be (clock skew between the provider and the device).
pub const IAT_LEEWAY: Duration = Duration::from_secs(5 * 60);

/// The claims of an ID token, read without checking anything.
#[derive(Clone)]
pub struct IdTokenClaims(Value);

impl std::fmt::Debug for IdTokenClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdTokenClaims([redacted])")
    }
}

/// What an ID token is checked against.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    /// The request whose answer carried it (for the error).
    pub kind: RequestKind,
    /// The issuer (compared without a trailing `/`, like discovery's issuer).
    pub issuer: &'a str,
    /// This client's id.
    pub client_id: &'a str,
    /// The nonce sent with the authorization request, if one must be there.
    pub nonce: Option<&'a Secret>,
}

fn malformed(kind: RequestKind, detail: &str) -> Error {
    Error::MalformedResponse {
        endpoint: kind.endpoint(),
        detail: detail.to_owned(),
    }
}

fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

impl IdTokenClaims {
    /// The payload of a compact JWS, as JSON.
    pub fn decode(kind: RequestKind, token: &Secret) -> Result<Self, Error> {
        let mut parts = token.expose().split('.');
        let payload = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(_), Some(payload), Some(_), None) => payload,
            _ => return Err(malformed(kind, "the ID token is not a JWT")),
        };
        URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .filter(Value::is_object)
            .map(IdTokenClaims)
            .ok_or_else(|| malformed(kind, "the ID token is not a JWT"))
    }

    fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// The `sub` claim.
    pub fn subject(&self) -> Option<&str> {
        self.str("sub")
    }

    fn audiences(&self) -> Vec<&str> {
        match self.0.get("aud") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Checks a login's ID token (§3.1.3.7).
    pub fn check(&self, expected: Expected<'_>, now: Timestamp) -> Result<(), Error> {
        let kind = expected.kind;
        if let Some(nonce) = expected.nonce {
            let got = self.str("nonce").unwrap_or("");
            if !constant_time_eq(got.as_bytes(), nonce.expose().as_bytes()) {
                return Err(Error::NonceMismatch);
            }
        }
        if !self
            .str("iss")
            .is_some_and(|iss| same_issuer(iss, expected.issuer))
        {
            return Err(malformed(
                kind,
                "the ID token's iss is not the issuer of this flow",
            ));
        }
        if self.subject().is_none_or(str::is_empty) {
            return Err(malformed(kind, "the ID token has no sub"));
        }
        let audiences = self.audiences();
        if !audiences.contains(&expected.client_id) {
            return Err(malformed(kind, "the ID token's aud is not this client"));
        }
        match self.0.get("azp") {
            Some(Value::String(azp)) if azp == expected.client_id => {}
            Some(_) => return Err(malformed(kind, "the ID token's azp is not this client")),
            None if audiences.len() > 1 => {
                return Err(malformed(
                    kind,
                    "the ID token has several audiences and no azp",
                ));
            }
            None => {}
        }
        let seconds = |name: &str| {
            self.0
                .get(name)
                .and_then(Value::as_i64)
                .and_then(|s| s.checked_mul(1000))
        };
        if seconds("exp").is_none_or(|exp_ms| exp_ms <= now.unix_millis()) {
            return Err(malformed(kind, "the ID token has expired (exp)"));
        }
        let latest_iat = now.plus(IAT_LEEWAY).unix_millis();
        if seconds("iat").is_none_or(|iat_ms| iat_ms > latest_iat) {
            return Err(malformed(
                kind,
                "the ID token's iat is missing or in the future",
            ));
        }
        Ok(())
    }

    /// Checks an ID token returned by a refresh against the login's (§12.2): same `iss`, `sub`
    /// and `aud`, a `nonce` only if the same, then the checks of [`IdTokenClaims::check`].
    pub fn check_refreshed(
        &self,
        original: &IdTokenClaims,
        client_id: &str,
        now: Timestamp,
    ) -> Result<(), Error> {
        let kind = RequestKind::Refresh;
        let issuer = original.str("iss").unwrap_or("");
        self.check(
            Expected {
                kind,
                issuer,
                client_id,
                nonce: None,
            },
            now,
        )?;
        if self.str("iss") != original.str("iss") || self.subject() != original.subject() {
            return Err(malformed(
                kind,
                "the refreshed ID token's iss or sub differs from the login's",
            ));
        }
        let (mut a, mut b) = (self.audiences(), original.audiences());
        a.sort_unstable();
        b.sort_unstable();
        if a != b {
            return Err(malformed(
                kind,
                "the refreshed ID token's aud differs from the login's",
            ));
        }
        if let Some(nonce) = self.str("nonce")
            && original.str("nonce") != Some(nonce)
        {
            return Err(malformed(
                kind,
                "the refreshed ID token carries another nonce",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;

    fn jwt(claims: Value) -> Secret {
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        Secret::new(format!(
            "{}.{}.sig",
            enc(&json!({"alg":"RS256"})),
            enc(&claims)
        ))
    }

    fn good() -> Value {
        json!({"iss":"https://id.example.com","sub":"u1","aud":"cid","exp":NOW+600,"iat":NOW,"nonce":"n1"})
    }

    fn check(claims: Value) -> Result<(), Error> {
        let nonce = Secret::new("n1");
        IdTokenClaims::decode(RequestKind::Exchange, &jwt(claims))?.check(
            Expected {
                kind: RequestKind::Exchange,
                issuer: "https://id.example.com/",
                client_id: "cid",
                nonce: Some(&nonce),
            },
            Timestamp::from_unix_millis(NOW * 1000),
        )
    }

    fn with(key: &str, value: Value) -> Value {
        let mut v = good();
        v[key] = value;
        v
    }

    fn without(key: &str) -> Value {
        let mut v = good();
        v.as_object_mut().unwrap().remove(key);
        v
    }

    #[test]
    fn a_good_token_passes() {
        check(good()).unwrap();
        check(with("aud", json!(["cid", "other"]))).expect_err("several audiences need an azp");
        let mut several = with("aud", json!(["cid", "other"]));
        several["azp"] = json!("cid");
        check(several).unwrap();
    }

    #[test]
    fn each_claim_is_checked() {
        assert_eq!(check(with("nonce", json!("n2"))), Err(Error::NonceMismatch));
        for bad in [
            with("iss", json!("https://evil.example.com")),
            without("iss"),
            without("sub"),
            with("aud", json!("other")),
            with("azp", json!("other")),
            with("exp", json!(NOW - 1)),
            without("iat"),
            with("iat", json!(NOW + 3600)),
            with("iat", json!("yesterday")),
            with("exp", json!(i64::MAX)),
        ] {
            let e = check(bad.clone()).expect_err(&bad.to_string());
            assert!(matches!(e, Error::MalformedResponse { .. }), "{e:?}");
            assert!(!e.to_string().contains("evil"), "{e}");
        }
    }

    #[test]
    fn not_a_jwt() {
        for token in ["", "a.b", "a.b.c.d", "a.!!.c", "a.bnVsbA.c"] {
            assert!(IdTokenClaims::decode(RequestKind::Exchange, &Secret::new(token)).is_err());
        }
    }

    #[test]
    fn refreshed_tokens_must_match_the_login() {
        let original = IdTokenClaims::decode(RequestKind::Exchange, &jwt(good())).unwrap();
        let now = Timestamp::from_unix_millis(NOW * 1000);
        let refreshed = |v: Value| {
            IdTokenClaims::decode(RequestKind::Refresh, &jwt(v))
                .unwrap()
                .check_refreshed(&original, "cid", now)
        };
        refreshed(good()).unwrap();
        refreshed(without("nonce")).unwrap();
        assert!(refreshed(with("sub", json!("u2"))).is_err());
        assert!(refreshed(with("iss", json!("https://other.example.com"))).is_err());
        let mut two = with("aud", json!(["cid", "x"]));
        two["azp"] = json!("cid");
        assert!(refreshed(two).is_err());
        assert!(refreshed(with("nonce", json!("n9"))).is_err());
        assert!(refreshed(with("exp", json!(NOW - 5))).is_err());
    }
}
