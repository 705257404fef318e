// Snapshots, restore and host secure storage through the Swift bindings, against the sandbox
// (the port of bindings/kotlin/test/dev/obauth/test/PersistenceTests.kt).

import Foundation
import XCTest
@testable import ObAuth

final class PersistenceTests: ObAuthTestCase {
    /// Snapshot -> new client -> restore -> complete by redirect.
    func testSnapshotNewClientRestoreCompleteByRedirect() async throws {
        try await bounded {
            let (sandbox, user) = try await scriptedUser("restore", "page")
            let before = try await sandbox.successfulExchanges()
            var first: SupervisedLogin? = try supervisedLogin(try sandboxClient(sandbox), user)
            first?.start()
            let authUrl = try await awaitingUser(try unwrap(first, "login"))
            let awaiting = try unwrap(first, "login").state()
            let snapshot = try unwrap(first, "login").snapshot().seenSnapshot()
            XCTAssertFalse(snapshot.contains(sandbox.clientSecret), "the client secret is in the snapshot")
            guard case .awaitingUser(authUrl, _) = awaiting else {
                return XCTFail("snapshot taken in \(shape(awaiting))")
            }
            first = nil // the OS kills the app while the user is at the bank

            // Hold the restored login's first long-poll so that the redirect is what completes it.
            try await sandbox.fault("status", "delay", delayMs: 1500)
            // A new client: the restored login runs in "a new process".
            let restored = try sandboxClient(sandbox).restoreSupervisedLogin(snapshot: snapshot)
            XCTAssertEqual(restored.state(), awaiting, "restored state")
            restored.resume()
            let location = try await sandbox.decide(authUrl, "approve")
            XCTAssertEqual(restored.handleRedirect(url: location), .codeAccepted, "redirect after restore")
            let tokens = try await restored.awaitTokens().seen()
            XCTAssertEqual(tokens.completedVia, .redirect, "completedVia")
            try await assertEqual(await sandbox.successfulExchanges(), before + 1, "exactly one exchange")
        }
    }

    /// `persistTo` saves the login as it goes; the saved snapshot restores.
    func testPersistToSavesTheLoginAsItGoesTheSavedSnapshotRestores() async throws {
        try await withSandbox { sandbox in
            let storage = MemoryStorage()
            let user = uniqueUser("persist")
            try await sandbox.script(user, "approve", delayMs: 200)
            let login = try supervisedLogin(try sandboxClient(sandbox), user)
            try login.persistTo(storage: storage, key: "obauth.login")
            XCTAssertNotNil(storage.values["obauth.login"], "nothing saved at persistTo")
            login.start()
            let tokens = try await login.awaitTokens().seen()
            // Snapshots are saved after each state change, outside the flow's lock: the last one
            // may trail awaitTokens() by a moment.
            var restored: SupervisedLogin?
            for _ in 0..<100 {
                let saved = try unwrap(storage.values["obauth.login"], "saved snapshot")
                let candidate = try sandboxClient(sandbox).restoreSupervisedLogin(snapshot: saved)
                if case .authenticated = candidate.state() {
                    restored = candidate
                    break
                }
                await pause(20)
            }
            let done = try unwrap(restored, "the saved snapshot never reached Authenticated")
            XCTAssertGreaterThanOrEqual(storage.saves.value, 4, "saves")
            let again = try await done.awaitTokens().seen()
            XCTAssertEqual(again.accessToken, tokens.accessToken, "tokens from the restored snapshot")
            XCTAssertEqual(again, tokens, "the whole token set from the restored snapshot")
        }
    }

    /// A throwing host storage is a typed ObAuthError (RetryLater, storage), with the host's
    /// message in its detail: for any error and for an ObAuthError.
    func testThrowingHostStorageIsATypedObAuthError() async throws {
        try await withSandbox { sandbox in
            let untyped = try expectObAuthErrorSync("persistTo with a throwing storage") {
                try supervisedLogin(try sandboxClient(sandbox), uniqueUser("badstore"))
                    .persistTo(storage: FailingStorage { HostFailure("keystore locked") }, key: "k")
            }
            assertCategoryAndCode(untyped, .retryLater, "storage")
            XCTAssertTrue(untyped.detail.contains("keystore locked"), "detail: \(untyped.detail)")

            let typed = try expectObAuthErrorSync("persistTo with a storage throwing ObAuthError") {
                try supervisedLogin(try sandboxClient(sandbox), uniqueUser("badstore")).persistTo(
                    storage: FailingStorage { ObAuthError.Fatal(code: "keystore", detail: "user not authenticated", correlationId: nil) },
                    key: "k"
                )
            }
            assertCategoryAndCode(typed, .retryLater, "storage")
            XCTAssertTrue(typed.detail.contains("user not authenticated"), "detail: \(typed.detail)")
        }
    }

    /// A corrupt or future snapshot is InvalidInput.
    func testCorruptOrFutureSnapshotIsInvalidInput() async throws {
        try await withSandbox { sandbox in
            let corrupt = try expectObAuthErrorSync("corrupt snapshot") {
                try sandboxClient(sandbox).restoreSupervisedLogin(snapshot: "{not json")
            }
            XCTAssertEqual(caseName(corrupt), "InvalidInput", "case")
            XCTAssertEqual(corrupt.code, "invalid_snapshot", "code")
            let future = try expectObAuthErrorSync("future snapshot") {
                try sandboxClient(sandbox).restoreSupervisedLogin(
                    snapshot: #"{"version":999,"kind":"supervised_login","flow":{}}"#
                )
            }
            XCTAssertEqual(caseName(future), "InvalidInput", "case")
            XCTAssertEqual(future.code, "unsupported_snapshot_version", "code")
        }
    }

    /// Snapshot key: sealed snapshots restore with the key only; an edited one is refused and
    /// nothing is sent.
    func testSealedSnapshotsRestoreWithTheKeyOnlyAndAnEditedOneIsRefused() async throws {
        try await withSandbox { sandbox in
            let key = Secret("swift-integrity-key-from-the-keychain-0123456789")
            func keyed(_ key: Secret?) throws -> ObAuthClient {
                try ObAuthClient(config: ClientConfig(
                    apiUrl: sandbox.baseUrl,
                    clientId: sandbox.clientId,
                    clientSecret: Secret(sandbox.clientSecret),
                    snapshotKey: key
                ))
            }
            let user = uniqueUser("sealed")
            try await sandbox.script(user, "page")
            var first: SupervisedLogin? = try supervisedLogin(try keyed(key), user)
            first?.start()
            let authUrl = try await awaitingUser(try unwrap(first, "login"))
            let sealed = try unwrap(first, "login").snapshot().seenSnapshot()
            first = nil // the OS kills the app
            XCTAssertTrue(sealed.hasPrefix(#"{"sealed":"hmac-sha256""#), "not sealed")
            XCTAssertFalse(sealed.contains(key.expose()), "the key is in the snapshot")
            let edited = sealed.replacingOccurrences(of: user, with: String(user.reversed()))
            XCTAssertNotEqual(edited, sealed, "the edit applies")
            let before = try await sandbox.settled("statusRequests")
            let withKey = try keyed(key)
            let withoutKey = try keyed(nil)
            let otherKey = try keyed(Secret("another-key-of-enough-length-0123456789"))
            let cases: [(String, ObAuthClient, String)] = [
                ("edited", withKey, edited),
                ("without the key", withoutKey, sealed),
                ("another key", otherKey, sealed),
            ]
            for (what, client, text) in cases {
                let error = try expectObAuthErrorSync(what) { try client.restoreSupervisedLogin(snapshot: text) }
                XCTAssertEqual(caseName(error), "InvalidInput", what)
                XCTAssertEqual(error.code, "invalid_snapshot", what)
            }
            let after = try await sandbox.stat("statusRequests")
            XCTAssertEqual(after, before, "no status request for a refused snapshot")
            try await sandbox.fault("status", "delay", delayMs: 1500)
            let restored = try keyed(key).restoreSupervisedLogin(snapshot: sealed)
            restored.resume()
            let location = try await sandbox.decide(authUrl, "approve")
            XCTAssertEqual(restored.handleRedirect(url: location), .codeAccepted, "redirect after restore")
            _ = try await restored.awaitTokens().seen()
        }
    }
}
