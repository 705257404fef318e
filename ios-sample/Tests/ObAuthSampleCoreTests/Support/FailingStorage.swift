// A storage that always throws, as a locked Keychain would: the app must show a storage error with
// a retry, never crash.

import ObAuth

final class FailingStorage: SecureStorage {
    struct Locked: Error, CustomStringConvertible {
        var description: String { "keychain locked" }
    }

    func save(key: String, value: String) throws { throw Locked() }
    func load(key: String) throws -> String? { throw Locked() }
    func remove(key: String) throws { throw Locked() }
}
