//! PKCE (RFC 7636) for the public client: what the authorize request must carry and how the
//! token request's `code_verifier` is checked.
//!
//! Only `S256` is supported, as the discovery document says (`code_challenge_methods_supported:
//! ["S256"]`). `plain` is refused outright, and so is a missing method (RFC 7636 §4.3 makes
//! `plain` the default when the method is omitted), because a client that sends the verifier in
//! the clear defeats the point. A challenge must be exactly what `S256` produces: 43 characters
//! of unpadded base64url (32 bytes of SHA-256). A verifier must be 43–128 characters from the
//! unreserved set `[A-Z a-z 0-9 - . _ ~]` (§4.1).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::crypto::constant_time_eq;

/// `BASE64URL(SHA256(ASCII(code_verifier)))`, unpadded: the S256 challenge of `verifier`.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Checks the authorize request's `code_challenge` and `code_challenge_method`.
/// The error text becomes the `error_description` of an `invalid_request` redirect.
pub fn check_challenge(challenge: Option<&str>, method: Option<&str>) -> Result<String, String> {
    let Some(challenge) = challenge else {
        return Err("code_challenge is required: public clients must use PKCE with S256".into());
    };
    match method {
        Some("S256") => {}
        None => {
            return Err(
                "code_challenge_method is required and must be S256 (plain is not supported)"
                    .into(),
            );
        }
        Some(other) => {
            return Err(format!(
                "code_challenge_method '{other}' is not supported; use S256"
            ));
        }
    }
    let well_formed = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(
            "code_challenge must be 43 characters of unpadded base64url (the S256 of the verifier)"
                .into(),
        );
    }
    Ok(challenge.to_owned())
}

/// Whether `verifier` has the syntax RFC 7636 §4.1 requires.
pub fn verifier_is_well_formed(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `verifier` hashes to `challenge` under S256 (constant-time comparison).
pub fn verify(verifier: &str, challenge: &str) -> bool {
    constant_time_eq(s256_challenge(verifier).as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(s256_challenge(verifier), challenge);
        assert!(verify(verifier, challenge));
        assert!(!verify(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl",
            challenge
        ));
        assert!(verifier_is_well_formed(verifier));
    }

    #[test]
    fn challenge_rules() {
        let c = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(check_challenge(Some(c), Some("S256")).unwrap(), c);
        assert!(check_challenge(Some(c), Some("plain")).is_err());
        assert!(check_challenge(Some(c), None).is_err());
        assert!(check_challenge(None, Some("S256")).is_err());
        assert!(check_challenge(Some(&c[..42]), Some("S256")).is_err());
        assert!(check_challenge(Some(&format!("{c}=")), Some("S256")).is_err());
        let padded_b64 = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM";
        assert!(check_challenge(Some(padded_b64), Some("S256")).is_err());
    }

    #[test]
    fn verifier_rules() {
        assert!(verifier_is_well_formed(&"a".repeat(43)));
        assert!(verifier_is_well_formed(&"~._-".repeat(32)));
        assert!(!verifier_is_well_formed(&"a".repeat(42)));
        assert!(!verifier_is_well_formed(&"a".repeat(129)));
        assert!(!verifier_is_well_formed(&format!("{}+", "a".repeat(43))));
    }
}
