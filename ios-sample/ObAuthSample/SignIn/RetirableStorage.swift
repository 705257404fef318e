// Keeps a replaced flow from overwriting its successor's snapshot.

import Foundation
import ObAuth

/// The storage one flow saves its snapshots through, until the model retires it.
///
/// Why: the core saves a flow's snapshot after each state change, outside the flow's lock and on
/// the thread that made the change, so a save of a flow the user has just replaced (retry, sign
/// out) can land after the new flow's first save under the same key. Once retired, this storage
/// drops every write; a write and the retirement never interleave.
final class RetirableStorage: SecureStorage, @unchecked Sendable {
    private let inner: SecureStorage
    private let lock = NSLock()
    private var retired = false

    init(_ inner: SecureStorage) {
        self.inner = inner
    }

    /// From now on, writes are dropped.
    func retire() {
        lock.lock()
        retired = true
        lock.unlock()
    }

    func save(key: String, value: String) throws {
        lock.lock()
        defer { lock.unlock() }
        if !retired {
            try inner.save(key: key, value: value)
        }
    }

    func load(key: String) throws -> String? {
        try inner.load(key: key)
    }

    func remove(key: String) throws {
        lock.lock()
        defer { lock.unlock() }
        if !retired {
            try inner.remove(key: key)
        }
    }
}
