//! Unguessable values and their checks.
//!
//! `state` (CSRF protection), `nonce` (ID-token replay protection) and the PKCE verifier are all
//! 256 bits from the OS CSPRNG, base64url without padding (43 characters: inside PKCE's 43–128
//! range, URL-safe everywhere). Comparing a returned `state` uses a constant-time comparison so
//! its timing reveals nothing about the expected value. This crate never draws random numbers:
//! the driver reads 96 bytes from the OS CSPRNG and hands them to [`FlowSecrets::from_entropy`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// Random bytes as a value: base64url without padding.
pub fn urlsafe(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)) without padding.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Equality whose running time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The per-flow random values of an authorization-code flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowSecrets {
    /// The `state` parameter.
    pub state: Secret,
    /// The OpenID Connect `nonce`.
    pub nonce: Secret,
    /// The PKCE `code_verifier`.
    pub verifier: Secret,
}

/// How many random bytes [`FlowSecrets::from_entropy`] takes: 256 bits for each value.
pub const FLOW_SECRETS_ENTROPY: usize = 96;

impl FlowSecrets {
    /// The three values from 96 bytes of OS randomness (256 bits each).
    pub fn from_entropy(entropy: &[u8; FLOW_SECRETS_ENTROPY]) -> Self {
        FlowSecrets {
            state: Secret::new(urlsafe(&entropy[..32])),
            nonce: Secret::new(urlsafe(&entropy[32..64])),
            verifier: Secret::new(urlsafe(&entropy[64..])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn random_values_are_long_urlsafe_and_distinct() {
        let mut entropy = [0u8; FLOW_SECRETS_ENTROPY];
        entropy
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = i as u8);
        let a = FlowSecrets::from_entropy(&entropy);
        entropy[0] ^= 1;
        let b = FlowSecrets::from_entropy(&entropy);
        assert_ne!(a.state, b.state);
        assert_ne!(a.state, a.nonce);
        assert_ne!(a.nonce, a.verifier);
        assert_eq!(a.verifier.expose().len(), 43);
        assert!(
            a.state
                .expose()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn constant_time_eq_is_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
