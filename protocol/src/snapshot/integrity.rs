//! Optional integrity protection of snapshots with a key the host supplies.
//!
//! A snapshot lives in the host's secure storage, but "secure" storage is only as good as the
//! device: a backup restored onto another device, a rooted phone or a bug in the host can hand
//! the core a snapshot that was edited. Restoring already refuses anything that disagrees with
//! the client's own configuration (`snapshot::checks`); a key closes the rest: with one
//! configured (`ClientConfig::snapshot_key`, kept by the app in the Keychain / Keystore, never in
//! the snapshot's own storage entry), every snapshot is written *sealed* — HMAC-SHA256 over the
//! exact snapshot text —
//!
//! `{"sealed": "hmac-sha256", "mac": "<base64url>", "snapshot": "<the version-1 snapshot text>"}`
//!
//! and restoring refuses, with [`Error::InvalidSnapshot`] and before anything is sent, a snapshot
//! whose MAC does not verify, and an unsealed one (otherwise removing the seal would remove the
//! protection). Without a key nothing changes: snapshots are written and read as before, and a
//! sealed snapshot is refused (its key is missing, so it cannot be checked). The MAC is compared
//! in constant time (`Mac::verify_slice`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::Error;
use crate::secret::Secret;

/// The only MAC algorithm a seal names.
const ALGORITHM: &str = "hmac-sha256";

/// The shortest key accepted (bytes of its text): 256 bits of a random base64 string need 43.
pub const MIN_KEY_LEN: usize = 32;

#[derive(Serialize)]
struct Sealed<'a> {
    sealed: &'a str,
    mac: &'a str,
    snapshot: &'a str,
}

/// A seal as read back (owned: the snapshot text inside is an escaped JSON string).
#[derive(Deserialize)]
struct ReadSeal {
    sealed: String,
    mac: String,
    snapshot: String,
}

/// Just enough of a snapshot's JSON to tell a sealed one from a plain one.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    sealed: Option<serde_json::Value>,
}

fn mac_of(key: &Secret, text: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `MIN_KEY_LEN` is enforced where the key is configured.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(text.as_bytes());
    mac
}

/// Wraps `snapshot` in a seal when a key is configured; returns it unchanged otherwise.
pub fn seal(snapshot: String, key: Option<&Secret>) -> Result<String, Error> {
    let Some(key) = key else {
        return Ok(snapshot);
    };
    let mac = URL_SAFE_NO_PAD.encode(mac_of(key, &snapshot).finalize().into_bytes());
    serde_json::to_string(&Sealed {
        sealed: ALGORITHM,
        mac: &mac,
        snapshot: &snapshot,
    })
    .map_err(|_| Error::InvalidSnapshot("the snapshot could not be sealed".into()))
}

/// The snapshot inside `text`, after checking its seal against `key`. With a key, only a sealed
/// snapshot whose MAC verifies is returned; without one, only an unsealed snapshot.
pub fn open(text: &str, key: Option<&Secret>) -> Result<String, Error> {
    let sealed = super::read_json::<Probe>(text)
        .ok()
        .and_then(|p| p.sealed)
        .is_some();
    match (sealed, key) {
        (false, None) => Ok(text.to_owned()),
        (false, Some(_)) => Err(Error::InvalidSnapshot(
            "the snapshot is not sealed, but an integrity key is configured".into(),
        )),
        (true, None) => Err(Error::InvalidSnapshot(
            "the snapshot is sealed; configure its integrity key to restore it".into(),
        )),
        (true, Some(key)) => {
            let refused = || Error::InvalidSnapshot("the snapshot's seal does not verify".into());
            let sealed: ReadSeal = super::read_json(text).map_err(|_| refused())?;
            if sealed.sealed != ALGORITHM {
                return Err(refused());
            }
            let mac = URL_SAFE_NO_PAD.decode(&sealed.mac).map_err(|_| refused())?;
            mac_of(key, &sealed.snapshot)
                .verify_slice(&mac)
                .map_err(|_| refused())?;
            Ok(sealed.snapshot)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "k3y-from-the-keychain-0123456789abcdef";
    const SNAPSHOT: &str = r#"{"version":1,"kind":"pkce","flow":{"a":1}}"#;

    fn key() -> Secret {
        Secret::new(KEY)
    }

    #[test]
    fn a_sealed_snapshot_opens_with_its_key_only() {
        let sealed = seal(SNAPSHOT.into(), Some(&key())).unwrap();
        assert_ne!(sealed, SNAPSHOT);
        assert_eq!(open(&sealed, Some(&key())).unwrap(), SNAPSHOT);
        let other = Secret::new("another-key-of-enough-length-0123456789");
        assert!(matches!(
            open(&sealed, Some(&other)),
            Err(Error::InvalidSnapshot(_))
        ));
        // No key: the seal cannot be checked, so it is refused.
        assert!(matches!(
            open(&sealed, None),
            Err(Error::InvalidSnapshot(_))
        ));
    }

    #[test]
    fn tampering_with_a_sealed_snapshot_is_refused() {
        let sealed = seal(SNAPSHOT.into(), Some(&key())).unwrap();
        let edited = sealed.replace(r#"\"a\":1"#, r#"\"a\":2"#);
        assert_ne!(edited, sealed, "the edit applies");
        let result = open(&edited, Some(&key()));
        assert!(
            matches!(&result, Err(Error::InvalidSnapshot(m)) if m.contains("does not verify")),
            "{result:?}"
        );
        let wrong_algorithm = sealed.replace(ALGORITHM, "none");
        assert!(open(&wrong_algorithm, Some(&key())).is_err());
        let garbage_mac = r#"{"sealed":"hmac-sha256","mac":"!!","snapshot":"{}"}"#;
        assert!(open(garbage_mac, Some(&key())).is_err());
    }

    #[test]
    fn stripping_the_seal_is_refused_and_no_key_keeps_todays_format() {
        // With a key configured, a plain snapshot (seal removed) is refused.
        assert!(matches!(
            open(SNAPSHOT, Some(&key())),
            Err(Error::InvalidSnapshot(_))
        ));
        // Without a key, snapshots are written and read exactly as before.
        assert_eq!(seal(SNAPSHOT.into(), None).unwrap(), SNAPSHOT);
        assert_eq!(open(SNAPSHOT, None).unwrap(), SNAPSHOT);
        assert_eq!(open("garbage", None).unwrap(), "garbage");
    }

    #[test]
    fn the_seal_never_shows_the_key() {
        let sealed = seal(SNAPSHOT.into(), Some(&key())).unwrap();
        assert!(!sealed.contains(KEY));
    }
}
