//! JWT-shaped tokens: `base64url(header).base64url(payload).base64url(signature)`.
//!
//! The providers hand out JWTs (the Aiia seed's `access_token` and `refresh_token`, Aritma's
//! "JWT access token", OIDC `id_token`s). Clients should treat access and refresh tokens as
//! opaque, but they do look inside an `id_token` (nonce, iss, aud, exp), and some peek at `exp`.
//! So the sandbox produces real, well-formed JWTs.
//!
//! **Signature:** HS256 (HMAC-SHA-256, RFC 7518 §3.2) with one fixed, publicly known sandbox key,
//! [`SIGNING_KEY`], published as a symmetric (`"kty":"oct"`) JWK with key id [`KEY_ID`] at the
//! discovery document's `jwks_uri`. That lets a test verify signatures end to end without any
//! key management; it also means the signatures prove nothing, which is fine for a sandbox and
//! must never be copied into anything real. (Real providers sign with RS256/ES256 and publish
//! only public keys.) HMAC is built here from `sha2` (RFC 2104) rather than adding a crate.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The HS256 key every sandbox token is signed with. Public on purpose: see the module docs.
pub const SIGNING_KEY: &[u8] = b"obauth-sandbox-hs256-signing-key-not-a-secret";

/// The `kid` of [`SIGNING_KEY`] in token headers and in the JWKS.
pub const KEY_ID: &str = "sandbox-hs256";

/// HMAC-SHA-256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block_key.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block_key.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// Signs `claims` as an HS256 JWT. With `with_kid` the header names [`KEY_ID`] (OIDC tokens);
/// without it the header is exactly `{"alg":"HS256","typ":"JWT"}`, as in the Aiia seed's tokens.
pub fn sign(claims: &Value, with_kid: bool) -> String {
    let header = if with_kid {
        json!({ "alg": "HS256", "typ": "JWT", "kid": KEY_ID })
    } else {
        json!({ "alg": "HS256", "typ": "JWT" })
    };
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = hmac_sha256(SIGNING_KEY, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The JWKS document served at `jwks_uri`.
pub fn jwks() -> Value {
    json!({
        "keys": [{
            "kty": "oct",
            "use": "sig",
            "alg": "HS256",
            "kid": KEY_ID,
            "k": URL_SAFE_NO_PAD.encode(SIGNING_KEY),
        }]
    })
}

/// Decodes the payload of a JWT this module signed, if the signature verifies (tests, and the
/// `id_token_hint` of RP-initiated logout).
pub fn verify(token: &str) -> Option<Value> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let expected = URL_SAFE_NO_PAD.encode(hmac_sha256(SIGNING_KEY, signing_input.as_bytes()));
    if expected != signature {
        return None;
    }
    let payload = signing_input.split_once('.')?.1;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block size.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn tokens_are_three_base64url_parts_and_verify() {
        let token = sign(&json!({ "sub": "x", "nonce": "n-1" }), false);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        // The seed's header prefix.
        assert!(
            token.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."),
            "{token}"
        );
        assert!(parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }));
        assert_eq!(verify(&token).unwrap()["nonce"], "n-1");
        let tampered = format!("{}x", token);
        assert!(verify(&tampered).is_none());
        let with_kid = sign(&json!({}), true);
        let header = URL_SAFE_NO_PAD
            .decode(with_kid.split('.').next().unwrap())
            .unwrap();
        assert!(String::from_utf8(header).unwrap().contains(KEY_ID));
    }
}
