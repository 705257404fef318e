//! The relay's own cryptography, all from `OBAUTH_RELAY_KEY`: the user hash and the sealed
//! session handles.
//!
//! - **User hash**: `HMAC-SHA256(relay key, "obauth-relay/v1/user-hash" 0x00 ‖ u32be(len iss) ‖
//!   iss ‖ u32be(len sub) ‖ sub)` as 64 lowercase hex characters. The lengths make the encoding
//!   unambiguous; 64 hex characters satisfy the provider's `^[a-zA-Z0-9-]{8,64}$`.
//! - **Handle key**: `HMAC-SHA256(relay key, "obauth-relay/v1/handle-key")`, a ChaCha20-Poly1305
//!   key. The two messages start with different labels, so neither output can stand for the
//!   other.
//! - **Handle**: `base64url(0x01 ‖ nonce(12) ‖ seal(u64be(expiry, unix s) ‖ subject(32) ‖
//!   provider session id))`, the associated data being the version label. The subject is the
//!   user hash's 32 bytes, which binds issuer and subject. Nonces are random (96 bits), so any
//!   number of instances with the same key can seal without coordination.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

const USER_HASH_LABEL: &[u8] = b"obauth-relay/v1/user-hash\0";
const HANDLE_KEY_LABEL: &[u8] = b"obauth-relay/v1/handle-key";
const HANDLE_AAD: &[u8] = b"obauth-relay/v1/handle";
const HANDLE_VERSION: u8 = 1;
/// Longest handle text accepted for opening (a provider session id of ~600 bytes).
const MAX_HANDLE_CHARS: usize = 1024;

/// The 32 bytes behind a user hash: who a handle belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct UserHash(pub [u8; 32]);

impl UserHash {
    /// 64 lowercase hex characters: the provider's `userHash`.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// The first 12 hex characters, for log lines (enough to correlate, not to reach anything).
    pub fn short(&self) -> String {
        hex(&self.0[..6])
    }
}

impl std::fmt::Debug for UserHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UserHash({}…)", self.short())
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The user hash for `issuer` and `subject` under `relay_key` (see the module docs).
pub(crate) fn user_hash(key: &hmac::Key, issuer: &str, subject: &str) -> UserHash {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(USER_HASH_LABEL);
    for part in [issuer, subject] {
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        ctx.update(&len.to_be_bytes());
        ctx.update(part.as_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.sign().as_ref());
    UserHash(out)
}

/// What a session handle carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handle {
    /// The provider's `sessionId`.
    pub session_id: String,
    /// Whose session it is.
    pub subject: UserHash,
    /// Unix seconds after which the handle is refused.
    pub expires: u64,
}

/// The keys derived from the relay key.
pub(crate) struct Keys {
    user_hash: hmac::Key,
    handle: LessSafeKey,
    rng: SystemRandom,
}

impl Keys {
    pub fn new(relay_key: &[u8]) -> Keys {
        let user_hash = hmac::Key::new(hmac::HMAC_SHA256, relay_key);
        let handle_key = hmac::sign(&user_hash, HANDLE_KEY_LABEL);
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, handle_key.as_ref())
            .expect("a 32-byte ChaCha20-Poly1305 key");
        Keys {
            user_hash,
            handle: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    pub fn user_hash(&self, issuer: &str, subject: &str) -> UserHash {
        user_hash(&self.user_hash, issuer, subject)
    }

    /// Seals `handle`; `None` only if the system's random source fails.
    pub fn seal(&self, handle: &Handle) -> Option<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).ok()?;
        let mut data = Vec::with_capacity(8 + 32 + handle.session_id.len() + 16);
        data.extend_from_slice(&handle.expires.to_be_bytes());
        data.extend_from_slice(&handle.subject.0);
        data.extend_from_slice(handle.session_id.as_bytes());
        self.handle
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(HANDLE_AAD),
                &mut data,
            )
            .ok()?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + data.len());
        out.push(HANDLE_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&data);
        Some(URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a handle sealed with this key; `None` for anything else (forged, truncated,
    /// another key, another version). Expiry and subject are the caller's to check.
    pub fn open(&self, text: &str) -> Option<Handle> {
        if text.len() > MAX_HANDLE_CHARS {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(text).ok()?;
        let (&version, rest) = raw.split_first()?;
        if version != HANDLE_VERSION || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .handle
            .open_in_place(nonce, Aad::from(HANDLE_AAD), &mut sealed)
            .ok()?;
        if plain.len() < 8 + 32 {
            return None;
        }
        let (expires, rest) = plain.split_at(8);
        let (subject, session_id) = rest.split_at(32);
        Some(Handle {
            session_id: String::from_utf8(session_id.to_vec()).ok()?,
            subject: UserHash(subject.try_into().ok()?),
            expires: u64::from_be_bytes(expires.try_into().ok()?),
        })
    }
}

/// Compares two strings without an early exit on the first differing byte (lengths may leak).
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn user_hash_is_64_lowercase_hex_and_separates_fields() {
        let keys = Keys::new(KEY);
        let h = keys.user_hash("https://issuer", "alice").hex();
        assert_eq!(h.len(), 64);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(h, keys.user_hash("https://issuer", "alice").hex());
        assert_ne!(h, keys.user_hash("https://issuer", "bob").hex());
        // "ab" + "c" and "a" + "bc" differ: lengths are part of the message.
        assert_ne!(keys.user_hash("ab", "c"), keys.user_hash("a", "bc"));
        assert_ne!(
            h,
            Keys::new(b"another key, another set of hashes!")
                .user_hash("https://issuer", "alice")
                .hex()
        );
    }

    #[test]
    fn handles_round_trip_and_refuse_tampering() {
        let keys = Keys::new(KEY);
        let handle = Handle {
            session_id: "sess-123".into(),
            subject: keys.user_hash("", "alice"),
            expires: 1_900_000_000,
        };
        let sealed = keys.seal(&handle).unwrap();
        assert!(
            sealed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(keys.open(&sealed), Some(handle.clone()));
        // Two seals of the same content differ (random nonce) and both open.
        let again = keys.seal(&handle).unwrap();
        assert_ne!(sealed, again);
        assert_eq!(keys.open(&again), Some(handle));
        // Any flipped byte is refused.
        let mut raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        for i in 0..raw.len() {
            raw[i] ^= 1;
            assert_eq!(keys.open(&URL_SAFE_NO_PAD.encode(&raw)), None, "byte {i}");
            raw[i] ^= 1;
        }
        // Another key, garbage, truncation, oversize.
        assert_eq!(
            Keys::new(b"a different relay key of 32 bytes").open(&sealed),
            None
        );
        assert_eq!(keys.open("not-a-handle"), None);
        assert_eq!(keys.open(""), None);
        assert_eq!(keys.open(&sealed[..sealed.len() - 4]), None);
        assert_eq!(keys.open(&"A".repeat(5000)), None);
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
