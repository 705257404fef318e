// The core's SecureStorage on iOS: generic-password items in the Keychain. The core keeps login
// snapshots here; they hold codes in flight and tokens, so UserDefaults or files would not do.

import Foundation
import ObAuth
import Security

/// Called by the core on its own thread after every state change, so each call is one short
/// Keychain operation.
///
/// Items are `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`: readable while the device is
/// locked (the core saves while the user is in the bank's app, and the phone may lock meanwhile),
/// and never in backups or on another device.
///
/// Failures are thrown as `ObAuthError.RetryLater` (code `keychain`); the core reports them as a
/// storage error (category retryLater, code `storage`), and so does SignInController for its own
/// calls; the sample offers a retry.
///
/// `Sendable` as checked by the compiler (no `@unchecked`): its one stored property is an immutable
/// String, and the Keychain functions are thread-safe.
final class KeychainStorage: SecureStorage {
    private let service: String

    init(service: String = "dev.obauth.sample") {
        self.service = service
    }

    func save(key: String, value: String) throws {
        let query = baseQuery(key)
        let attributes: [String: Any] = [
            kSecValueData as String: Data(value.utf8),
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        var status = SecItemUpdate(query as CFDictionary, attributes as CFDictionary)
        if status == errSecItemNotFound {
            let item = query.merging(attributes) { _, new in new }
            status = SecItemAdd(item as CFDictionary, nil)
        }
        try check(status, "save")
    }

    func load(key: String) throws -> String? {
        var query = baseQuery(key)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        if status == errSecItemNotFound {
            return nil
        }
        try check(status, "load")
        guard let data = result as? Data, let value = String(data: data, encoding: .utf8) else {
            throw ObAuthError.RetryLater(code: "keychain", detail: "unreadable keychain item", retryAfterMs: nil, correlationId: nil)
        }
        return value
    }

    func remove(key: String) throws {
        let status = SecItemDelete(baseQuery(key) as CFDictionary)
        if status == errSecItemNotFound {
            return
        }
        try check(status, "remove")
    }

    private func baseQuery(_ key: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: key,
        ]
    }

    private func check(_ status: OSStatus, _ operation: String) throws {
        guard status == errSecSuccess else {
            throw ObAuthError.RetryLater(
                code: "keychain",
                detail: "keychain \(operation) failed (OSStatus \(status))",
                retryAfterMs: nil,
                correlationId: nil
            )
        }
    }
}
