// The SignInController end to end: the real library against the sandbox, driving the same calls
// the iOS glue makes (signIn, navigation(for:) from the WKWebView's navigation delegate,
// handleUniversalLink from onOpenURL, retry, cancel). Ported from
// android-sample/jvm-test/.../ControllerTests.kt.

import Foundation
import ObAuth
import ObAuthSampleCore
import XCTest

final class ControllerTests: XCTestCase {
    private let redirect = URL(string: SampleConfig.defaultRedirectUrl)!

    @MainActor
    func testSignInByPollShowsTheTokenExpiry() async throws {
        let h = try Harness()
        let user = h.user("poll")
        try await h.sandbox.script(user, "approve", delayMs: 200)
        let before = try await h.sandbox.successfulExchanges()
        let storage = MemoryStorage()
        let app = SampleApp(h.config(user), storage: storage)
        defer { app.finish() }

        app.controller.signIn()
        let success = try await app.awaitSuccess("signed in")
        XCTAssertGreaterThan(success.sessionExpires, Date(), "session token already expired")
        XCTAssertGreaterThan(success.loginExpires, Date(), "login token already expired")
        XCTAssertFalse(success.providerId.isEmpty, "no provider")
        XCTAssertFalse(storage.snapshot.isEmpty, "nothing persisted")
        let exchanges = try await h.sandbox.successfulExchanges()
        XCTAssertEqual(exchanges, before + 1, "exchanges")
    }

    @MainActor
    func testSignInInTheWebViewInterceptsTheRedirectWithOneExchange() async throws {
        let h = try Harness()
        let user = h.user("webview")
        try await h.sandbox.script(user, "page")
        try await h.sandbox.fault("status", "delay", delayMs: 1500) // the redirect wins the race
        let before = try await h.sandbox.successfulExchanges()
        let app = SampleApp(h.config(user))
        defer { app.finish() }

        app.controller.signIn()
        let page = try await app.awaitWebView("bank page")
        XCTAssertEqual(app.controller.navigation(for: page), .load, "the bank page")
        let location = try await h.sandbox.decide(page, "approve")
        XCTAssertEqual(app.controller.navigation(for: location), .intercepted, "the redirect")
        _ = try await app.awaitSuccess("signed in")
        let exchanges = try await h.sandbox.successfulExchanges()
        XCTAssertEqual(exchanges, before + 1, "exactly one exchange")
        XCTAssertEqual(app.controller.handleUniversalLink(location), .ignored(.flowFinished), "the same link again")
        XCTAssertNil(app.controller.notice, "an ignored link needs no notice")
    }

    @MainActor
    func testSignInByUniversalLinkIgnoresDuplicates() async throws {
        let h = try Harness()
        let user = h.user("applink")
        try await h.sandbox.script(user, "page")
        try await h.sandbox.fault("status", "delay", delayMs: 1500)
        let before = try await h.sandbox.successfulExchanges()
        let app = SampleApp(h.config(user))
        defer { app.finish() }

        app.controller.signIn()
        let page = try await app.awaitWebView("bank page")
        let location = try await h.sandbox.decide(page, "approve") // the bank's app opened the link
        XCTAssertEqual(app.controller.handleUniversalLink(location), .handled, "Universal Link")
        _ = try await app.awaitSuccess("signed in")
        let again = app.controller.handleUniversalLink(location)
        guard case .ignored = again else {
            return XCTFail("a duplicate Universal Link: \(again)")
        }
        let exchanges = try await h.sandbox.successfulExchanges()
        XCTAssertEqual(exchanges, before + 1, "exactly one exchange")
    }

    @MainActor
    func testNavigationBankAppLinksOpenExternallyJavascriptIsBlocked() async throws {
        let h = try Harness()
        let user = h.user("nav")
        try await h.sandbox.script(user, "never")
        let app = SampleApp(h.config(user))
        defer { app.finish() }

        let bankPage = try XCTUnwrap(URL(string: "https://bank.example.com/"))
        XCTAssertEqual(app.controller.navigation(for: bankPage), .blocked, "no login yet")
        app.controller.signIn()
        _ = try await app.awaitWebView("bank page")
        let bankApp = try XCTUnwrap(URL(string: "https://\(bankAppHost)/authorize?x=1"))
        XCTAssertEqual(app.controller.navigation(for: bankApp), .openExternally(bankApp), "bank app link")
        let phone = try XCTUnwrap(URL(string: "tel:+4512345678"))
        XCTAssertEqual(app.controller.navigation(for: phone), .openExternally(phone), "tel:")
        let script = try XCTUnwrap(URL(string: "javascript:alert(1)"))
        XCTAssertEqual(app.controller.navigation(for: script), .blocked, "javascript:")
        let step2 = try XCTUnwrap(URL(string: "https://bank.example.com/step2"))
        XCTAssertEqual(app.controller.navigation(for: step2), .load, "bank page")
        // Ours without a code: refused, and the login goes on waiting.
        XCTAssertEqual(app.controller.navigation(for: redirect), .intercepted, "no code")
        XCTAssertNotNil(app.controller.screen.webViewUrl, "a refused redirect ended the login: \(app.controller.screen)")
    }

    @MainActor
    func testNavigationUnlistedHostsIntentAndSubframeRedirectsOrAppLinksAreBlocked() async throws {
        let h = try Harness()
        let user = h.user("nav2")
        try await h.sandbox.script(user, "never")
        let app = SampleApp(h.config(user))
        defer { app.finish() }

        app.controller.signIn()
        let page = try await app.awaitWebView("bank page")
        XCTAssertEqual(app.controller.navigation(for: page, mainFrame: false), .load, "the provider's page in a frame")
        let phish = try XCTUnwrap(URL(string: "https://phish.example.net/login"))
        XCTAssertEqual(app.controller.navigation(for: phish), .blocked, "an unlisted host")
        let install = try XCTUnwrap(URL(string: "itms-services://?action=download-manifest&url=https://x/m.plist"))
        XCTAssertEqual(app.controller.navigation(for: install), .blocked, "itms-services:")
        let phone = try XCTUnwrap(URL(string: "tel:+4512345678"))
        XCTAssertEqual(app.controller.navigation(for: phone, mainFrame: false), .blocked, "tel: from a frame")
        let bankApp = try XCTUnwrap(URL(string: "https://\(bankAppHost)/authorize?x=1"))
        XCTAssertEqual(app.controller.navigation(for: bankApp, mainFrame: false), .blocked, "an app link from a frame")
        // The redirect from a subframe is never handed to the login.
        let forged = try XCTUnwrap(URL(string: "\(SampleConfig.defaultRedirectUrl)?error=access_denied"))
        XCTAssertEqual(app.controller.navigation(for: forged, mainFrame: false), .blocked, "the redirect in a frame")
        try await Task.sleep(nanoseconds: 300_000_000)
        XCTAssertNotNil(app.controller.screen.webViewUrl, "a subframe redirect reached the login: \(app.controller.screen)")
    }

    @MainActor
    func testUserCancelsAtTheBankThenRetryStartsANewLogin() async throws {
        let h = try Harness()
        let user = h.user("usercancel")
        try await h.sandbox.script(user, "page")
        try await h.sandbox.fault("status", "delay", delayMs: 1500)
        let app = SampleApp(h.config(user))
        defer { app.finish() }

        app.controller.signIn()
        let first = try await app.awaitWebView("bank page")
        let location = try await h.sandbox.decide(first, "cancel")
        XCTAssertEqual(app.controller.navigation(for: location), .intercepted, "the error redirect")
        let error = try await app.awaitError("cancelled at the bank")
        XCTAssertEqual(error.category, .userAction, "category")
        XCTAssertEqual(error.retryLabel, "Start again", "retry label")
        XCTAssertTrue(app.controller.retry(), "retry refused")
        let second = try await app.awaitWebView("a new bank page") { $0 != first }
        XCTAssertNotEqual(second, first, "retry reused the session")
    }

    @MainActor
    func testCancelInTheAppGoesBackToIdle() async throws {
        let h = try Harness()
        let user = h.user("cancel")
        try await h.sandbox.script(user, "never")
        let app = SampleApp(h.config(user))
        defer { app.finish() }

        app.controller.signIn()
        _ = try await app.awaitWebView("bank page")
        app.controller.cancel()
        try await app.awaitIdle("back to the start")
        XCTAssertFalse(app.controller.retry(), "retry from idle")
        XCTAssertEqual(app.controller.screen, .idle)
    }

    @MainActor
    func testWrongClientSecretIsFatalWithoutRetry() async throws {
        let h = try Harness()
        let app = SampleApp(h.config(h.user("badsecret"), secret: "not-the-secret"))
        defer { app.finish() }

        app.controller.signIn()
        let error = try await app.awaitError("refused")
        XCTAssertEqual(error.category, .fatal, "category")
        XCTAssertEqual(error.code, "bad_client_credentials", "code")
        XCTAssertFalse(error.canRetry, "canRetry")
        XCTAssertFalse("\(error)".contains("not-the-secret"), "the secret is on screen")
        XCTAssertFalse(app.controller.retry(), "retry of a fatal error")
        XCTAssertEqual(app.controller.screen, .error(error), "the error stays")
    }

    @MainActor
    func testPlainHttpToALanAddressIsRefusedAsInvalidInput() async throws {
        let h = try Harness()
        let storage = MemoryStorage()
        var config = h.config(h.user("lan"))
        config.apiUrl = lanApiUrl
        let app = SampleApp(config, storage: storage)
        defer { app.finish() }

        app.controller.signIn()
        let error = try await app.awaitError("refused configuration")
        XCTAssertEqual(error.category, .invalidInput, "category")
        XCTAssertEqual(error.message, "The app is misconfigured (apiUrl).", "message")
        XCTAssertFalse(error.canRetry, "canRetry")
        XCTAssertTrue(storage.snapshot.isEmpty, "a refused login was saved")
    }

    @MainActor
    func testTheDeadlinePassesTimedOutWithRetry() async throws {
        let h = try Harness()
        let user = h.user("timeout")
        try await h.sandbox.script(user, "never")
        let app = SampleApp(h.config(user, timeoutMs: 1_500))
        defer { app.finish() }

        app.controller.signIn()
        let error = try await app.awaitError("timed out")
        XCTAssertEqual(error.code, "timed_out", "code")
        XCTAssertEqual(error.retryLabel, "Try again", "retry label")
    }

    @MainActor
    func testSigningInAgainReplacesTheLoginAndItsSnapshot() async throws {
        let h = try Harness()
        let user = h.user("replace")
        try await h.sandbox.script(user, "never")
        let storage = MemoryStorage()
        let app = SampleApp(h.config(user), storage: storage)
        defer { app.finish() }

        app.controller.signIn()
        let first = try await app.awaitWebView("first bank page")
        let replacedAt = app.shown.count
        app.controller.signIn()
        let second = try await app.awaitWebView("second bank page") { $0 != first }
        // The first login was cancelled: its last screens (its bank page, idle) must not show.
        let since = app.shown[replacedAt...]
        XCTAssertFalse(since.contains(.idle) || since.contains(.showWebView(first)), "a replaced login's screen: \(since)")
        // Nor may its late snapshot writes win.
        try await eventually("the second login is saved") {
            try await h.savedScreen(storage, user: user) == .showWebView(second)
        }
        try await Task.sleep(for: .milliseconds(300))
        let saved = try await h.savedScreen(storage, user: user)
        XCTAssertEqual(saved, .showWebView(second), "still the second login")

        let restarted = SampleApp(h.config(user), storage: storage)
        defer { restarted.kill() }
        XCTAssertEqual(restarted.controller.restore(), .resume, "restore")
        _ = try await restarted.awaitWebView("the second login, restored") { $0 == second }
    }

    @MainActor
    func testReplacingOrSigningOutCancelsTheOldFlowClosingDoesNot() async throws {
        let h = try Harness()
        let user = h.user("lifecycle")
        try await h.sandbox.script(user, "never")
        let flows = SpyFlowFactory(config: h.config(user))
        let app = SampleApp(flows: flows)
        defer { app.finish() }

        app.controller.signIn()
        let first = try await app.awaitWebView("first bank page")
        app.controller.signIn()
        _ = try await app.awaitWebView("second bank page") { $0 != first }
        XCTAssertEqual(flows.flows.count, 2, "flows created")
        XCTAssertEqual(flows.flows[0].cancelCount, 1, "the replaced login is cancelled")
        XCTAssertEqual(flows.flows[1].cancelCount, 0, "the new one runs")
        try await eventually("the replaced login has ended") { flows.flows[0].inner.onRestore() == .discard }

        app.controller.signOut()
        XCTAssertEqual(flows.flows[1].cancelCount, 1, "sign-out cancels")
        XCTAssertEqual(app.controller.screen, .idle, "after sign-out")

        app.controller.signIn()
        _ = try await app.awaitWebView("third bank page")
        let third = flows.flows[2]
        app.controller.close()
        XCTAssertEqual(third.cancelCount, 0, "closing (the process ends) does not cancel")
        XCTAssertEqual(third.inner.onRestore(), .resume, "still in progress for the next launch")
        third.inner.cancel()
    }

    @MainActor
    func testUniversalLinksWithoutALoginOrNotOurs() async throws {
        let h = try Harness()
        let user = h.user("stray")
        try await h.sandbox.script(user, "never")
        let app = SampleApp(h.config(user))
        defer { app.finish() }

        let link = try XCTUnwrap(URL(string: "\(SampleConfig.defaultRedirectUrl)?code=abc"))
        XCTAssertEqual(app.controller.handleUniversalLink(link), .noLoginInProgress, "no login")
        XCTAssertEqual(app.controller.notice, "That sign-in link is no longer in use. Start the sign-in again.")
        app.controller.dismissNotice()
        XCTAssertNil(app.controller.notice, "dismissed")

        app.controller.signIn()
        let settings = try XCTUnwrap(URL(string: "https://app.example.com/settings"))
        XCTAssertEqual(app.controller.handleUniversalLink(settings), .notOurs, "other path")
        XCTAssertNil(app.controller.notice, "a foreign link is the app's own business")
    }

    @MainActor
    func testAUniversalLinkWithACodeTheProviderNeverIssuedIsNeverExchanged() async throws {
        let h = try Harness()
        let user = h.user("forged")
        try await h.sandbox.script(user, "page")
        let before = try await h.sandbox.successfulExchanges()
        let app = SampleApp(h.config(user))
        defer { app.finish() }

        app.controller.signIn()
        let page = try await app.awaitWebView("bank page")
        let forged = try XCTUnwrap(URL(string: "\(SampleConfig.defaultRedirectUrl)?code=forged"))
        XCTAssertEqual(app.controller.handleUniversalLink(forged), .handled, "link")
        // A redirect is only a hint: the provider's status says the user is still at the bank,
        // so the forged code is never exchanged and the login keeps waiting.
        try await Task.sleep(nanoseconds: 500_000_000)
        guard case .showWebView = app.controller.screen else {
            return XCTFail("left the bank page: \(app.controller.screen)")
        }
        let unchanged = try await h.sandbox.successfulExchanges()
        XCTAssertEqual(unchanged, before, "no exchange of the forged code")
        _ = try await h.sandbox.decide(page, "approve")
        _ = try await app.awaitSuccess("signed in with the session's own code")
        let after = try await h.sandbox.successfulExchanges()
        XCTAssertEqual(after, before + 1, "one exchange, the session's")
    }

    @MainActor
    func testAForgedRedirectIsRefusedWithANoticeAndTheLoginWaits() async throws {
        let h = try Harness()
        let user = h.user("mismatch")
        try await h.sandbox.script(user, "never")
        let app = SampleApp(h.config(user))
        defer { app.finish() }

        app.controller.signIn()
        let page = try await app.awaitWebView("bank page")
        // A redirect without a code (or with someone else's state) is ours but refused.
        let result = app.controller.handleUniversalLink(redirect)
        guard case let .rejected(detail) = result else {
            return XCTFail("a redirect without a code: \(result)")
        }
        XCTAssertFalse(detail.isEmpty, "the refusal says why")
        XCTAssertEqual(app.controller.notice, "The sign-in link was refused: \(detail)")
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertEqual(app.controller.screen, .showWebView(page), "the login goes on waiting")
    }

    @MainActor
    func testTheObserverSeesEachScreenOnceInOrder() async throws {
        let h = try Harness()
        let user = h.user("observer")
        try await h.sandbox.script(user, "approve", delayMs: 300)
        let app = SampleApp(h.config(user))
        defer { app.finish() }

        app.controller.signIn()
        let success = try await app.awaitSuccess("signed in")
        // SignInModel mirrors exactly these calls into @Published: no repeats, success last.
        XCTAssertEqual(app.shown.first, .idle, "before sign-in")
        XCTAssertEqual(app.shown.last?.success, success, "the last screen")
        XCTAssertTrue(app.shown.contains(.loading("Starting…")), "\(app.shown)")
        XCTAssertTrue(app.shown.contains { $0.webViewUrl != nil }, "the bank page was shown: \(app.shown)")
        for (previous, next) in zip(app.shown, app.shown.dropFirst()) {
            XCTAssertNotEqual(previous, next, "a repeated screen in \(app.shown)")
        }
    }
}
