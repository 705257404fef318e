//! Random identifiers, codes and tokens, shaped like the provider's.
//!
//! The provider's codes and tokens are standard base64 (with `+`, `/` and `=` padding) of an
//! encrypted blob. Clients routinely break on exactly those characters: a `+` read back as a space
//! from a query string, a `/` left percent-encoded, `=` padding trimmed. So every code the sandbox
//! issues is built to contain all three: a fixed three-byte marker `fb ef ff` encodes to `++//`,
//! and the total length is chosen so base64 needs `=` padding. The rest comes from `getrandom`.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Three bytes that encode to `++//` when they sit on a base64 group boundary.
const PLUS_SLASH_MARKER: [u8; 3] = [0xfb, 0xef, 0xff];

/// Fills a buffer from the operating system's random source.
fn random_bytes(len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    // No useful recovery exists without an OS random source; the sandbox cannot run.
    getrandom::fill(&mut buf).expect("the operating system random source failed");
    buf
}

/// Standard base64 of `head ++ marker ++ random`, `total` bytes in all.
///
/// `head` is 3 bytes, so the marker starts on a group boundary and always encodes to `++//`;
/// a `total` that is not a multiple of 3 guarantees `=` padding.
fn opaque(head: [u8; 3], total: usize) -> String {
    debug_assert!(total % 3 != 0 && total > 6);
    let mut bytes = Vec::with_capacity(total);
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(&PLUS_SLASH_MARKER);
    bytes.extend(random_bytes(total - 6));
    STANDARD.encode(bytes)
}

/// An authorization code: 172 base64 characters starting `qgAA++//` and ending in one `=`,
/// the length and look of the seed's example code.
pub fn code() -> String {
    opaque([0xaa, 0x00, 0x00], 128)
}

/// A `startToken` for the hosted login page; like the seed's it ends in `==` (so the `authUrl`
/// ends in `%3D%3D`).
pub fn start_token() -> String {
    opaque([0x9a, 0x00, 0x00], 100)
}

/// A session `accessToken` (sent back as `Authorization: Bearer ...`).
pub fn access_token() -> String {
    opaque([0x9a, 0x00, 0x00], 154)
}

/// A `loginToken`: `-ELT2-` followed by base64, as in the seed.
pub fn login_token() -> String {
    format!("-ELT2-{}", opaque([0x0a, 0x04, 0x00], 515))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A session id: 32 lowercase hex characters.
pub fn session_id() -> String {
    hex(&random_bytes(16))
}

/// A `subjectId`: 64 lowercase hex characters, as in the seed.
pub fn subject_id() -> String {
    hex(&random_bytes(32))
}

/// A short opaque id for non-secret objects such as accounts.
pub fn short_id() -> String {
    hex(&random_bytes(8))
}

/// A random (version 4) UUID in its usual lowercase form, like the seed's `consentId` and
/// `userId` values: `a62811af-7511-4ed4-8ea1-2007764d5120`.
pub fn uuid() -> String {
    let mut b = random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// An opaque URL-safe token (unpadded base64url of 32 random bytes), for the OIDC refresh
/// tokens and token ids.
pub fn url_safe_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_contain_every_awkward_character() {
        for _ in 0..50 {
            let c = code();
            assert!(
                c.contains('+') && c.contains('/') && c.ends_with('='),
                "{c}"
            );
            assert!(!c.ends_with("=="), "{c}");
            assert_eq!(c.len(), 172);
            assert!(c.starts_with("qgAA++//"));
        }
        assert_ne!(code(), code());
    }

    #[test]
    fn tokens_look_like_the_seed() {
        let s = start_token();
        assert!(
            s.ends_with("==") && s.contains('+') && s.contains('/'),
            "{s}"
        );
        assert!(access_token().starts_with("mgAA"));
        let l = login_token();
        assert!(l.starts_with("-ELT2-CgQA") && l.ends_with('='), "{l}");
        assert!(STANDARD.decode(&l[6..]).is_ok());
    }

    #[test]
    fn ids_are_lowercase_hex() {
        let id = session_id();
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(subject_id().len(), 64);
    }

    #[test]
    fn uuids_and_url_safe_tokens() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        let t = url_safe_token();
        assert_eq!(t.len(), 43);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }
}
