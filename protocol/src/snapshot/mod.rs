//! Versioned snapshots of flows, and the secure storage they go to.
//!
//! The OS may kill an app while its user is in the bank's app. Every flow, including one
//! waiting for the user, serializes to a snapshot and restores from it, after which it accepts
//! its redirect or resumes polling. A snapshot is JSON:
//! `{"version": 1, "kind": "supervised_login" | "aiia_connect" | "pkce", "flow": {…}}`.
//!
//! **What a snapshot contains** (so store it in the Keychain / Keystore, never in plain
//! preferences): the flow kind and phase; start time and deadline; for supervised logins the
//! userHash, redirect URL, provider session id and auth URL; for authorization-code flows the
//! `state`, the OpenID Connect `nonce` and the PKCE `code_verifier`, the endpoints and redirect
//! URI; a received but not yet exchanged authorization code; and, once authenticated, the
//! tokens. It never contains the client secret: restoring takes the client's configuration
//! again.
//!
//! **Restoring checks** every field that decides where a request goes or what the WebView
//! shows against the client's own configuration (`checks`), and, when the host configured an
//! integrity key, the snapshot's HMAC seal (`integrity`): a mismatch is
//! [`Error::InvalidSnapshot`] and nothing is sent.
//!
//! Snapshots from a newer ObAuth (a higher `version`) or of an unknown kind are refused with a
//! typed error, never a panic. The `flow` object is an explicit record (`snapshot::records`:
//! fields and names spelled out and frozen), never a machine's internal state serialised as it
//! is. Where snapshots are kept (the host's secure storage) is the driver crate's business
//! (`obauth::storage`): this module only reads and writes the format.

use serde::{Deserialize, Serialize};

use crate::error::Error;

pub(crate) mod checks;
mod integrity;
pub(crate) mod records;

pub use integrity::{MIN_KEY_LEN, open, seal};

/// The snapshot format this build writes and the newest it reads.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Which flow a snapshot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowKind {
    /// Aiia Enterprise supervised login.
    SupervisedLogin,
    /// Aiia Data connect flow.
    AiiaConnect,
    /// Authorization code with PKCE.
    Pkce,
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    version: u32,
    kind: FlowKind,
    flow: &'a T,
}

#[derive(Deserialize)]
struct Header {
    version: serde_json::Value,
}

/// The kind, and that a `flow` is there (its shape is the record's business).
#[derive(Deserialize)]
struct Parsed {
    kind: FlowKind,
    #[allow(dead_code)]
    flow: serde::de::IgnoredAny,
}

/// The `flow` read straight into its record: no `serde_json::Value` in between, so each
/// record's deserializer exists once, for the one JSON reader (`read_json`).
#[derive(Deserialize)]
struct FlowOf<T> {
    flow: T,
}

/// Writes a snapshot of `flow` (a record of `snapshot::records`). A record that cannot be written is an
/// error, never an empty snapshot.
pub fn encode<T: Serialize>(kind: FlowKind, flow: &T) -> Result<String, Error> {
    write_json(
        "the snapshot",
        &Envelope {
            version: SNAPSHOT_VERSION,
            kind,
            flow,
        },
    )
}

/// JSON for secure storage (a snapshot, a token set): what cannot be written is an
/// `InvalidSnapshot` error naming `what`, never an empty string.
pub(crate) fn write_json<T: Serialize>(what: &str, value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| {
        Error::InvalidSnapshot(format!(
            "{what} could not be written: {}",
            e.classify_name()
        ))
    })
}

/// Reads JSON text from storage. Everything ObAuth reads goes through serde_json's byte reader
/// (the wire is bytes), so its parser is compiled once for every type instead of once per
/// reader: for text that is already UTF-8 the results, errors and positions are the same.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

/// Reads a snapshot's kind, checking the version first and that there is a `flow`.
fn kind_of(text: &str) -> Result<FlowKind, Error> {
    let header: Header = read_json(text)
        .map_err(|e| Error::InvalidSnapshot(format!("not a snapshot: {}", e.classify_name())))?;
    let version = header
        .version
        .as_u64()
        .ok_or_else(|| Error::InvalidSnapshot("version is not a number".into()))?;
    if version == 0 || version > u64::from(SNAPSHOT_VERSION) {
        return Err(Error::UnsupportedSnapshotVersion {
            found: u32::try_from(version).unwrap_or(u32::MAX),
            supported: SNAPSHOT_VERSION,
        });
    }
    let parsed: Parsed = read_json(text)
        .map_err(|_| Error::InvalidSnapshot("unknown flow kind or missing flow".into()))?;
    Ok(parsed.kind)
}

/// Reads a snapshot's `flow` into `T` (after [`kind_of`] has accepted the text).
fn flow_of<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Error> {
    read_json::<FlowOf<T>>(text)
        .map(|f| f.flow)
        .map_err(|e| Error::InvalidSnapshot(format!("malformed flow: {}", e.classify_name())))
}

/// Reads a snapshot's kind and payload, checking the version first.
pub fn decode(text: &str) -> Result<(FlowKind, serde_json::Value), Error> {
    let kind = kind_of(text)?;
    Ok((kind, flow_of(text)?))
}

/// Reads a snapshot of the expected kind into the flow's saved form.
pub fn decode_as<T: serde::de::DeserializeOwned>(
    text: &str,
    expected: FlowKind,
) -> Result<T, Error> {
    let kind = kind_of(text)?;
    if kind != expected {
        return Err(Error::InvalidSnapshot(format!(
            "this is a {kind:?} snapshot, not {expected:?}"
        )));
    }
    flow_of(text)
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unexpected shape",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_kinds_are_checked() {
        let text = encode(FlowKind::Pkce, &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(decode(&text).unwrap().0, FlowKind::Pkce);
        assert!(matches!(
            decode(r#"{"version": 2, "kind": "pkce", "flow": {}}"#),
            Err(Error::UnsupportedSnapshotVersion {
                found: 2,
                supported: 1
            })
        ));
        assert!(matches!(
            decode(r#"{"version": 0}"#),
            Err(Error::UnsupportedSnapshotVersion { .. })
        ));
        assert!(matches!(
            decode(r#"{"version": 1, "kind": "teleport", "flow": {}}"#),
            Err(Error::InvalidSnapshot(_))
        ));
        assert!(matches!(decode("garbage"), Err(Error::InvalidSnapshot(_))));
        assert!(matches!(
            decode(r#"{"version": "one"}"#),
            Err(Error::InvalidSnapshot(_))
        ));
        assert!(matches!(
            decode_as::<serde_json::Value>(&text, FlowKind::AiiaConnect),
            Err(Error::InvalidSnapshot(_))
        ));
    }

    #[test]
    fn a_record_that_cannot_be_written_is_an_error_not_an_empty_snapshot() {
        // JSON object keys must be strings: this cannot be serialised.
        let unwritable: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let result = encode(FlowKind::Pkce, &unwritable);
        assert!(
            matches!(&result, Err(Error::InvalidSnapshot(m)) if m.contains("could not be written")),
            "{result:?}"
        );
        // The same rule for whatever else goes to secure storage (token sets).
        let result = write_json("the token set", &unwritable);
        assert!(
            matches!(&result, Err(Error::InvalidSnapshot(m)) if m == "the token set could not be written: invalid JSON"),
            "{result:?}"
        );
    }
}
