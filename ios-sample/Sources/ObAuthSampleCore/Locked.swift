// A value behind a lock, for state that the core's threads and the main actor share.

import Foundation

/// Why not `Mutex` (Synchronization): these sources are also compiled into the iOS app, whose
/// deployment target (iOS 15) predates it (iOS 18). Why not an actor: the core calls
/// `SecureStorage` synchronously on its own threads, where nothing can be awaited.
///
/// `@unchecked Sendable` is safe here: `value` is private and only touched inside `withLock`, under
/// `lock`, and `Value` is itself `Sendable`, so nothing that leaves the lock is shared mutably.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value. Keep it short: the lock is held throughout.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
