// Keeps a replaced flow from overwriting its successor's snapshot.

import Foundation
import ObAuth

/// The storage one flow saves its snapshots through, until the controller retires it.
///
/// Why: the core saves a flow's snapshot after each state change, outside the flow's lock and on
/// the thread that made the change, so a save of a flow the user has just replaced (retry, sign
/// out) can land after the new flow's first save under the same key. Once retired, this storage
/// drops every write; a write and the retirement never interleave (the lock is held across the
/// inner write). `Sendable` without `@unchecked`: its state is a `Locked` and the inner storage,
/// which `SecureStorage` requires to be `Sendable`.
public final class RetirableStorage: SecureStorage {
    private let inner: any SecureStorage
    private let retired = Locked(false)

    public init(_ inner: any SecureStorage) {
        self.inner = inner
    }

    /// From now on, writes are dropped. Waits for a write in progress to finish.
    public func retire() {
        retired.withLock { $0 = true }
    }

    public func save(key: String, value: String) throws {
        try retired.withLock { retired in
            if !retired {
                try inner.save(key: key, value: value)
            }
        }
    }

    public func load(key: String) throws -> String? {
        try inner.load(key: key)
    }

    public func remove(key: String) throws {
        try retired.withLock { retired in
            if !retired {
                try inner.remove(key: key)
            }
        }
    }
}
