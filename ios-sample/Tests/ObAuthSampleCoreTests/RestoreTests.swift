// Surviving the app being killed: the controller's snapshot in storage, and a new "process" (new
// client, new controller, new storage object on the same files) restoring it at launch. Ported
// from android-sample/jvm-test/.../RestoreTests.kt.

import Foundation
import ObAuth
import ObAuthSampleCore
import XCTest

final class RestoreTests: XCTestCase {
    /// The supervised login's storage key (what SupervisedSignInFactory saves under).
    private let key = "obauth.sample.supervised-login"

    @MainActor
    func testKilledAtTheBankRestoresResumesAndTheUniversalLinkCompletesIt() async throws {
        let h = try Harness()
        let user = h.user("death")
        try await h.sandbox.script(user, "page")
        let directory = FileStorage.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = try await h.sandbox.successfulExchanges()

        let first = SampleApp(h.config(user), storage: try FileStorage(directory))
        first.controller.signIn()
        let page = try await first.awaitWebView("bank page")
        // The snapshot is saved just after the state change: wait for it, or the restored login
        // would (rightly) start over from the state saved before.
        try await eventually("the bank page is saved") {
            try await h.savedScreen(FileStorage(directory), user: user) == .showWebView(page)
        }
        first.kill() // the user is in the bank's app; iOS reclaims ours

        try await h.sandbox.fault("status", "delay", delayMs: 1500) // the link, not the poll, completes it
        let second = SampleApp(h.config(user), storage: try FileStorage(directory))
        defer { second.finish() }
        XCTAssertEqual(second.controller.restore(), .resume, "restore at launch")
        _ = try await second.awaitWebView("the same bank page") { $0 == page }
        let location = try await h.sandbox.decide(page, "approve")
        XCTAssertEqual(second.controller.handleUniversalLink(location), .handled, "the launch's Universal Link")
        _ = try await second.awaitSuccess("signed in after restore")
        let exchanges = try await h.sandbox.successfulExchanges()
        XCTAssertEqual(exchanges, before + 1, "exactly one exchange")
    }

    @MainActor
    func testASignedInLoginRestoresWithoutANewExchangeAndSignOutForgetsIt() async throws {
        let h = try Harness()
        let user = h.user("signedin")
        try await h.sandbox.script(user, "approve", delayMs: 100)
        let directory = FileStorage.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        let first = SampleApp(h.config(user), storage: try FileStorage(directory))
        first.controller.signIn()
        let success = try await first.awaitSuccess("signed in")
        // The last snapshot is saved after the state change and may trail it by a moment.
        try await eventually("the signed-in snapshot is saved") {
            try h.savedRestoreAction(FileStorage(directory), user: user) == .show
        }
        first.kill()
        let exchanges = try await h.sandbox.successfulExchanges()

        let second = SampleApp(h.config(user), storage: try FileStorage(directory))
        XCTAssertEqual(second.controller.restore(), .show, "restore")
        let restored = try await second.awaitSuccess("signed in on launch")
        XCTAssertEqual(restored, success, "screen")
        let exchangesAfter = try await h.sandbox.successfulExchanges()
        XCTAssertEqual(exchangesAfter, exchanges, "no new exchange")
        second.controller.signOut()
        XCTAssertEqual(second.controller.screen, .idle, "after sign-out")
        XCTAssertNil(try FileStorage(directory).load(key: key), "snapshot after sign-out")
        second.kill()

        let third = SampleApp(h.config(user), storage: try FileStorage(directory))
        defer { third.kill() }
        XCTAssertNil(third.controller.restore(), "restore after sign-out")
        XCTAssertEqual(third.controller.screen, .idle)
    }

    @MainActor
    func testNothingSavedOrACorruptSnapshotIsIdleAndTheCorruptOneIsRemoved() throws {
        let h = try Harness()
        let storage = MemoryStorage()
        let empty = SampleApp(h.config(h.user("empty")), storage: storage)
        XCTAssertNil(empty.controller.restore(), "nothing saved")
        XCTAssertEqual(empty.controller.screen, .idle, "screen")
        empty.kill()

        try storage.save(key: key, value: "{not a snapshot")
        let corrupt = SampleApp(h.config(h.user("corrupt")), storage: storage)
        defer { corrupt.kill() }
        XCTAssertEqual(corrupt.controller.restore(), .discard, "corrupt")
        XCTAssertEqual(corrupt.controller.screen, .idle, "screen")
        XCTAssertNil(try storage.load(key: key), "the corrupt snapshot is removed")
    }

    @MainActor
    func testALoginCancelledBeforeTheAppDiedIsDiscardedAtLaunch() async throws {
        let h = try Harness()
        let user = h.user("cancelled")
        try await h.sandbox.script(user, "never")
        let storage = MemoryStorage()
        let first = SampleApp(h.config(user), storage: storage)
        first.controller.signIn()
        _ = try await first.awaitWebView("bank page")
        first.controller.cancel()
        try await first.awaitIdle("cancelled")
        try await eventually("the cancelled snapshot is saved") {
            try h.savedRestoreAction(storage, user: user) == .discard
        }
        first.kill()

        let second = SampleApp(h.config(user), storage: storage)
        defer { second.kill() }
        XCTAssertEqual(second.controller.restore(), .discard, "restore")
        XCTAssertEqual(second.controller.screen, .idle, "screen")
        XCTAssertNil(try storage.load(key: key), "removed")
    }

    @MainActor
    func testAMisconfiguredBuildKeepsTheSavedLoginAndShowsTheConfigurationError() async throws {
        let h = try Harness()
        let user = h.user("misconfigured")
        try await h.sandbox.script(user, "never")
        let storage = MemoryStorage()
        let first = SampleApp(h.config(user), storage: storage)
        first.controller.signIn()
        let page = try await first.awaitWebView("bank page")
        try await eventually("the bank page is saved") {
            try await h.savedScreen(storage, user: user) == .showWebView(page)
        }
        first.kill()

        var broken = h.config(user)
        broken.apiUrl = lanApiUrl
        let misconfigured = SampleApp(broken, storage: storage)
        XCTAssertNil(misconfigured.controller.restore(), "restore with a refused API URL")
        let error = try XCTUnwrap(misconfigured.controller.screen.errorScreen, "\(misconfigured.controller.screen)")
        XCTAssertEqual(error.code, "invalid_input")
        XCTAssertFalse(error.canRetry)
        XCTAssertNotNil(try storage.load(key: key), "the saved login was deleted")
        misconfigured.kill()

        let fixed = SampleApp(h.config(user), storage: storage)
        defer { fixed.finish() }
        XCTAssertEqual(fixed.controller.restore(), .resume, "restore with the fixed build")
        _ = try await fixed.awaitWebView("the same bank page") { $0 == page }
    }

    @MainActor
    func testStorageThatFailsShowsAStorageErrorWithRetryNeverACrash() async throws {
        let h = try Harness()
        let app = SampleApp(h.config(h.user("broken")), storage: FailingStorage())
        defer { app.kill() }

        XCTAssertNil(app.controller.restore(), "restore with a failing load")
        let onLaunch = try XCTUnwrap(app.controller.screen.errorScreen, "on launch: \(app.controller.screen)")
        XCTAssertEqual(onLaunch.code, "storage")
        XCTAssertEqual(onLaunch.category, .retryLater)

        app.controller.signIn()
        let error = try await app.awaitError("persisting failed")
        XCTAssertEqual(error.category, .retryLater, "category")
        XCTAssertEqual(error.code, "storage", "code")
        XCTAssertTrue(error.canRetry, "canRetry")
        // Sign-out cannot remove the snapshot either: the error stays rather than a false "signed out".
        app.controller.signOut()
        XCTAssertEqual(app.controller.screen.errorScreen?.code, "storage", "after a failed sign-out")
    }

    @MainActor
    func testClosingKeepsTheLoginAndItsLateSavesForTheNextLaunch() async throws {
        let h = try Harness()
        let user = h.user("close")
        try await h.sandbox.script(user, "never")
        let storage = MemoryStorage()
        let first = SampleApp(h.config(user), storage: storage)
        first.controller.signIn()
        let page = try await first.awaitWebView("bank page")
        first.kill()
        // Nothing replaced it, so the bank page's save (it may still be on its way) is kept.
        try await eventually("the bank page is saved") {
            try await h.savedScreen(storage, user: user) == .showWebView(page)
        }
        XCTAssertEqual(first.controller.navigation(for: page), .blocked, "a closed controller loads nothing")
        XCTAssertEqual(first.controller.handleUniversalLink(page), .noLoginInProgress)

        let second = SampleApp(h.config(user), storage: storage)
        defer { second.finish() }
        XCTAssertEqual(second.controller.restore(), .resume)
        _ = try await second.awaitWebView("the same bank page") { $0 == page }
    }
}
