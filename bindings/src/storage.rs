//! Host-implemented secure storage (a UniFFI foreign trait): the Keychain on iOS, Keystore-backed
//! storage on Android, adapted to the core's [`obauth::snapshot::SecureStorage`]. Whatever the
//! host throws reaches the core as `Error::Storage` (`ObAuthError::into_storage_error`).

use std::sync::Arc;

use obauth::Error;

use crate::ObAuthError;

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

/// The host's storage as the core's.
pub(crate) struct HostStorage(pub(crate) Arc<dyn SecureStorage>);

impl obauth::snapshot::SecureStorage for HostStorage {
    fn save(&self, key: &str, value: &str) -> Result<(), Error> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.0
            .save(key, value)
            .map_err(ObAuthError::into_storage_error)
    }

    fn load(&self, key: &str) -> Result<Option<String>, Error> {
        self.0
            .load(key.to_owned())
            .map_err(ObAuthError::into_storage_error)
    }

    fn remove(&self, key: &str) -> Result<(), Error> {
        self.0
            .remove(key.to_owned())
            .map_err(ObAuthError::into_storage_error)
    }
}
