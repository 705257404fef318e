//! The sandbox's cryptography and randomness: random identifiers shaped like the provider's
//! (`tokens`), PKCE S256 (`pkce`), HS256 JWTs (`jwt`) and the constant-time comparison every
//! secret check uses.
//!
//! Kept apart from the domain and from HTTP so that neither grows its own copy of a secret
//! comparison or a token format, and so these rules are unit-tested on their own. Nothing here
//! knows about requests, sessions or the store.

pub(crate) mod jwt;
pub(crate) mod pkce;
pub(crate) mod tokens;

/// Compares secrets without an early exit on the first differing byte.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
