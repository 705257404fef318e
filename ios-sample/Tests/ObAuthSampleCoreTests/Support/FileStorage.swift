// SecureStorage in plain files: lets the tests kill a "process" and start another on the same
// storage (a new storage object on the same directory, as a relaunched app opens the Keychain).
// NOT SECURE (snapshots hold codes and tokens in clear text): tests only. The app uses
// KeychainStorage.

import Foundation
import ObAuth
import Synchronization

final class FileStorage: SecureStorage {
    /// The directory, behind a lock: one file operation at a time within this object, as the
    /// Keychain serialises its own calls.
    private let directory: Mutex<URL>

    init(_ directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = Mutex(directory)
    }

    /// A fresh directory under the temporary directory.
    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("obauth-sample-storage-\(UUID().uuidString)")
    }

    /// Keys become file names: hex, so any key is a safe name.
    private static func file(_ key: String, in directory: URL) -> URL {
        directory.appendingPathComponent(key.utf8.map { String(format: "%02x", $0) }.joined())
    }

    /// Written atomically (a temporary file moved into place): a reader never sees half a value.
    func save(key: String, value: String) throws {
        try directory.withLock { directory in
            try Data(value.utf8).write(to: Self.file(key, in: directory), options: .atomic)
        }
    }

    func load(key: String) throws -> String? {
        try directory.withLock { directory in
            let url = Self.file(key, in: directory)
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            return String(decoding: try Data(contentsOf: url), as: UTF8.self)
        }
    }

    func remove(key: String) throws {
        try directory.withLock { directory in
            let url = Self.file(key, in: directory)
            if FileManager.default.fileExists(atPath: url.path) {
                try FileManager.default.removeItem(at: url)
            }
        }
    }
}
