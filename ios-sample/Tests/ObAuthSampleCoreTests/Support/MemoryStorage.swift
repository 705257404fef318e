// SecureStorage in memory, for the tests. Not for an app: neither secure nor surviving the process.

import ObAuth
import Synchronization

final class MemoryStorage: SecureStorage {
    private let values = Mutex<[String: String]>([:])

    /// Everything saved, for assertions.
    var snapshot: [String: String] { values.withLock { $0 } }

    func save(key: String, value: String) throws {
        values.withLock { $0[key] = value }
    }

    func load(key: String) throws -> String? {
        values.withLock { $0[key] }
    }

    func remove(key: String) throws {
        _ = values.withLock { $0.removeValue(forKey: key) }
    }
}
