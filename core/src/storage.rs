//! Where snapshots and tokens are kept: the host's secure storage.
//!
//! The format of a snapshot is the protocol crate's ([`obauth_protocol::snapshot`]); keeping it
//! is I/O and lives here, in the driver crate. Hosts implement [`SecureStorage`] with the
//! Keychain (iOS) or the Keystore (Android); [`MemoryStorage`] and [`FileStorage`] come with the
//! core for tests, servers and the CLI.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::error::Error;

/// Secure storage the host provides for snapshots and tokens: the Keychain on iOS, the
/// Keystore (e.g. EncryptedSharedPreferences) on Android. Values are opaque strings.
pub trait SecureStorage: Send + Sync {
    /// Stores `value` under `key`, replacing any previous value.
    fn save(&self, key: &str, value: &str) -> Result<(), Error>;
    /// The value under `key`, if any.
    fn load(&self, key: &str) -> Result<Option<String>, Error>;
    /// Removes `key` (no error if absent).
    fn remove(&self, key: &str) -> Result<(), Error>;
}

/// In-memory storage (tests, short-lived processes).
#[derive(Debug, Default)]
pub struct MemoryStorage {
    values: Mutex<HashMap<String, String>>,
}

impl SecureStorage for MemoryStorage {
    fn save(&self, key: &str, value: &str) -> Result<(), Error> {
        self.values
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn load(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self
            .values
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned())
    }

    fn remove(&self, key: &str) -> Result<(), Error> {
        self.values
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
        Ok(())
    }
}

/// Files in a directory, readable only by the current user (0600 on Unix); for desktop tools
/// and the CLI. Keys map to file names and must be `[A-Za-z0-9._-]`.
#[derive(Debug, Clone)]
pub struct FileStorage {
    dir: PathBuf,
}

impl FileStorage {
    /// Storage in `dir` (created on first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileStorage { dir: dir.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, Error> {
        let ok = !key.is_empty()
            && !key.starts_with('.')
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !ok {
            return Err(Error::invalid(
                "storageKey",
                "use only letters, digits, '.', '_' and '-'",
            ));
        }
        Ok(self.dir.join(key))
    }
}

impl SecureStorage for FileStorage {
    fn save(&self, key: &str, value: &str) -> Result<(), Error> {
        let path = self.path(key)?;
        let io = |e: std::io::Error| Error::Storage(e.kind().to_string());
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let tmp = path.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        {
            use std::io::Write;
            let mut file = options.open(&tmp).map_err(io)?;
            file.write_all(value.as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &path).map_err(io)
    }

    fn load(&self, key: &str) -> Result<Option<String>, Error> {
        match std::fs::read_to_string(self.path(key)?) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Storage(e.kind().to_string())),
        }
    }

    fn remove(&self, key: &str) -> Result<(), Error> {
        match std::fs::remove_file(self.path(key)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Storage(e.kind().to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_storage_round_trips_privately() {
        let dir = std::env::temp_dir().join(format!("obauth-storage-{}", std::process::id()));
        let s = FileStorage::new(&dir);
        assert_eq!(s.load("flow.json").unwrap(), None);
        s.save("flow.json", "{}").unwrap();
        assert_eq!(s.load("flow.json").unwrap().as_deref(), Some("{}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("flow.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        s.remove("flow.json").unwrap();
        s.remove("flow.json").unwrap();
        assert!(s.save("../escape", "x").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
