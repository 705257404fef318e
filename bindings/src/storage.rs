//! Host-implemented secure storage (a UniFFI foreign trait): the Keychain on iOS, Keystore-backed
//! storage on Android.
//!
//! The core persists flow snapshots (and, later, tokens) through its own
//! [`obauth::snapshot::SecureStorage`] trait; [`HostStorage`] adapts the host's implementation
//! to it. A host storage that throws yields a typed error: an `ObAuthError` it throws keeps its
//! text, anything else becomes a `host_callback` failure, and both reach the core as
//! `Error::Storage` (category `RetryLater`, code `storage`).

use std::sync::Arc;

use obauth::Error;

use crate::error::ObAuthError;

/// Secure storage for snapshots and tokens, implemented by the host app. Values contain secrets
/// (tokens, PKCE verifiers, codes in flight): keep them in the Keychain / Keystore, never in
/// plain preferences or files.
#[uniffi::export(foreign)]
pub trait SecureStorage: Send + Sync {
    /// Stores `value` under `key`, replacing any previous value.
    fn save(&self, key: String, value: String) -> Result<(), ObAuthError>;
    /// The value under `key`, or `null`/`nil`.
    fn load(&self, key: String) -> Result<Option<String>, ObAuthError>;
    /// Removes `key`; no error if it is absent.
    fn remove(&self, key: String) -> Result<(), ObAuthError>;
}

/// The host's storage as the core's storage.
pub(crate) struct HostStorage(pub(crate) Arc<dyn SecureStorage>);

fn storage_error(error: ObAuthError) -> Error {
    Error::Storage(match &error {
        ObAuthError::Fatal { code, detail } if code == "host_callback" => detail.clone(),
        other => other.to_string(),
    })
}

impl obauth::snapshot::SecureStorage for HostStorage {
    fn save(&self, key: &str, value: &str) -> Result<(), Error> {
        self.0
            .save(key.to_owned(), value.to_owned())
            .map_err(storage_error)
    }

    fn load(&self, key: &str) -> Result<Option<String>, Error> {
        self.0.load(key.to_owned()).map_err(storage_error)
    }

    fn remove(&self, key: &str) -> Result<(), Error> {
        self.0.remove(key.to_owned()).map_err(storage_error)
    }
}

#[cfg(test)]
mod tests {
    use obauth::snapshot::SecureStorage as CoreStorage;

    use super::*;
    use crate::error::ErrorCategory;

    struct Broken;

    impl SecureStorage for Broken {
        fn save(&self, _: String, _: String) -> Result<(), ObAuthError> {
            Err(ObAuthError::from(
                uniffi::UnexpectedUniFFICallbackError::new("java.io.IOException: keystore locked"),
            ))
        }
        fn load(&self, _: String) -> Result<Option<String>, ObAuthError> {
            Ok(None)
        }
        fn remove(&self, _: String) -> Result<(), ObAuthError> {
            Ok(())
        }
    }

    #[test]
    fn a_throwing_host_storage_is_a_typed_storage_error() {
        let err = HostStorage(Arc::new(Broken)).save("k", "v").unwrap_err();
        assert!(matches!(&err, Error::Storage(text) if text.contains("keystore locked")));
        let ffi = ObAuthError::from(err);
        assert_eq!(ffi.category(), ErrorCategory::RetryLater);
        assert_eq!(ffi.code(), "storage");
    }
}
