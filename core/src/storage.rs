//! Where snapshots and tokens are kept: the host's secure storage.
//!
//! The format of a snapshot is the protocol crate's ([`obauth_protocol::snapshot`]); keeping it
//! is I/O and lives here, in the driver crate. Hosts implement [`SecureStorage`] with the
//! Keychain (iOS) or the Keystore (Android); [`MemoryStorage`] and [`FileStorage`] come with the
//! core for tests, servers and the CLI.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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

/// Where a `persist_to` keeps a value (a flow's snapshot, a token set): the first save's failure
/// is the caller's to see; the later saves, after a state change or a renewal, can only log
/// theirs (the flow or the tokens go on).
#[derive(Clone)]
pub(crate) struct Kept {
    storage: Arc<dyn SecureStorage>,
    key: String,
}

impl Kept {
    /// `key` in `storage`.
    pub(crate) fn new(storage: Arc<dyn SecureStorage>, key: impl Into<String>) -> Self {
        Kept {
            storage,
            key: key.into(),
        }
    }

    /// Saves `value` now.
    pub(crate) fn save(&self, value: &str) -> Result<(), Error> {
        self.storage.save(&self.key, value)
    }

    /// A later save of `what` (in the log line): a value that could not be written, or a save
    /// that failed, is logged.
    pub(crate) fn save_or_log(&self, value: Result<impl AsRef<str>, Error>, what: &str) {
        if let Err(e) = value.and_then(|value| self.save(value.as_ref())) {
            log::warn!("could not save {what}: {e}");
        }
    }

    /// Removes the value.
    pub(crate) fn remove(&self) -> Result<(), Error> {
        self.storage.remove(&self.key)
    }
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

/// Files in a directory, readable only by the current user; for desktop tools, servers and the
/// CLI (apps use the Keychain / Keystore). Keys map to file names and must be `[A-Za-z0-9._-]`,
/// not starting with `.`.
///
/// On Unix: the directory is created 0700 (an existing one is left as it is); each save writes
/// a fresh temporary file (unique name, created exclusively, 0600, never through a symlink),
/// syncs it and renames it over the key, so a reader sees the old or the new value, never half
/// of one, and concurrent saves never share a temporary file; reads refuse to follow a symlink
/// planted at a key.
#[derive(Debug, Clone)]
pub struct FileStorage {
    dir: PathBuf,
}

/// Distinguishes the temporary files of concurrent saves in one process.
static TEMP_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn storage_error(e: std::io::Error) -> Error {
    Error::Storage(e.kind().to_string())
}

/// Options that never follow a symlink at the final path component.
fn no_follow(options: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW);
    options
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

    fn create_dir(&self) -> Result<(), Error> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.dir).map_err(storage_error)
    }

    /// A temporary file beside the key's, created exclusively (never an existing file or a
    /// symlink) and readable only by this user. Its name starts with `.`, which no key does.
    fn create_temp(&self, key: &str) -> Result<(PathBuf, std::fs::File), Error> {
        let n = TEMP_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nonce = getrandom::u64().unwrap_or(0);
        let tmp = self.dir.join(format!(
            ".{key}.{}.{n}.{nonce:016x}.tmp",
            std::process::id()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = no_follow(&mut options).open(&tmp).map_err(storage_error)?;
        Ok((tmp, file))
    }
}

impl SecureStorage for FileStorage {
    fn save(&self, key: &str, value: &str) -> Result<(), Error> {
        use std::io::Write;
        let path = self.path(key)?;
        self.create_dir()?;
        let (tmp, mut file) = self.create_temp(key)?;
        let written = file
            .write_all(value.as_bytes())
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(storage_error(e));
        }
        Ok(())
    }

    fn load(&self, key: &str) -> Result<Option<String>, Error> {
        use std::io::Read;
        let opened = no_follow(std::fs::OpenOptions::new().read(true)).open(self.path(key)?);
        let mut file = match opened {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(storage_error(e)),
        };
        let mut value = String::new();
        file.read_to_string(&mut value).map_err(storage_error)?;
        Ok(Some(value))
    }

    fn remove(&self, key: &str) -> Result<(), Error> {
        // Removing a symlink removes the link, never its target.
        match std::fs::remove_file(self.path(key)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(storage_error(e)),
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

    #[cfg(unix)]
    #[test]
    fn file_storage_is_private_atomic_and_follows_no_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let root = std::env::temp_dir().join(format!("obauth-storage-sec-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join("nested/store");
        let s = FileStorage::new(&dir);
        s.save("tokens", "v1").unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700, "the directory it created");
        assert_eq!(mode(&dir.join("tokens")), 0o600);
        // An existing file with a wider mode is replaced by a fresh 0600 one, not rewritten.
        std::fs::set_permissions(dir.join("tokens"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        s.save("tokens", "v2").unwrap();
        assert_eq!(mode(&dir.join("tokens")), 0o600);
        assert_eq!(s.load("tokens").unwrap().as_deref(), Some("v2"));

        // A symlink planted at a key: a save replaces the link, the target is never written;
        // a load refuses to read through it.
        let target = root.join("victim");
        std::fs::write(&target, "untouched").unwrap();
        std::os::unix::fs::symlink(&target, dir.join("planted")).unwrap();
        assert!(s.load("planted").is_err(), "read through a symlink");
        s.save("planted", "secret").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
        assert!(
            !std::fs::symlink_metadata(dir.join("planted"))
                .unwrap()
                .file_type()
                .is_symlink()
        );

        // Concurrent saves of one key never share a temporary file: every save succeeds and
        // the value read is one of the values written, whole.
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let s = s.clone();
                std::thread::spawn(move || {
                    for j in 0..20 {
                        s.save("busy", &format!("value-{i}-{j}-{}", "x".repeat(4096)))
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let value = s.load("busy").unwrap().unwrap();
        assert!(value.starts_with("value-") && value.ends_with(&"x".repeat(4096)));
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left behind");
        let _ = std::fs::remove_dir_all(root);
    }
}
