// The pure parts of the sample's logic: states -> screens, errors -> retry, navigation -> action,
// redirect outcome -> deep-link result, restore policy, retirable storage, configuration, expiry
// text. No sandbox needed. Ported from android-sample/jvm-test/.../MappingTests.kt.

import Foundation
import ObAuth
import ObAuthSampleCore
import XCTest

final class MappingTests: XCTestCase {
    private let later = Date(timeIntervalSince1970: 1_893_456_000) // 2030-01-01T00:00:00Z
    private var authenticated: LoginState {
        .authenticated(via: .poll, sessionExpires: later, loginExpires: later.addingTimeInterval(3600), providerId: "sandbox-bank")
    }
    private let userCancelled = ObAuthError.UserAction(code: "cancelled_by_user", detail: "cancelled by the user", correlationId: nil)

    func testEveryLoginStateMapsToItsScreen() throws {
        let bank = try XCTUnwrap(URL(string: "https://bank.example.com/start"))
        let cases: [(LoginState, UiState)] = [
            (.created, .loading("Starting…")),
            (.initializing, .loading("Contacting your bank…")),
            (.awaitingUser(authUrl: bank.absoluteString, sessionId: "s1"), .showWebView(bank)),
            (.codeReceived(via: .redirect), .loading("Completing sign-in…")),
            (.exchanging(via: .poll), .loading("Completing sign-in…")),
            (authenticated, .success(providerId: "sandbox-bank", sessionExpires: later, loginExpires: later.addingTimeInterval(3600))),
            (.cancelled(by: .host), .idle),
        ]
        for (state, screen) in cases {
            XCTAssertEqual(UiMapping.screen(for: state), screen, "\(state)")
        }

        let byUser = try XCTUnwrap(UiMapping.screen(for: .cancelled(by: .user)).errorScreen)
        XCTAssertEqual(byUser.category, .userAction, "cancelled at the bank")
        XCTAssertTrue(byUser.canRetry, "cancelled at the bank")
        let timedOut = try XCTUnwrap(UiMapping.screen(for: .timedOut).errorScreen)
        XCTAssertEqual(timedOut.code, "timed_out")
        XCTAssertTrue(timedOut.canRetry, "timed out")
        let notApplicable = try XCTUnwrap(UiMapping.screen(for: .notApplicable).errorScreen)
        XCTAssertFalse(notApplicable.canRetry, "not applicable")
        let failed = try XCTUnwrap(
            UiMapping.screen(for: .failed(error: .Reauthenticate(code: "code_expired", detail: "x", correlationId: nil))).errorScreen
        )
        XCTAssertEqual(failed.code, "code_expired")
        XCTAssertEqual(failed.retryLabel, "Sign in again")
        // A bank page the core hands over must be a URL; if not, an error rather than a blank WebView.
        let badUrl = try XCTUnwrap(UiMapping.screen(for: .awaitingUser(authUrl: "", sessionId: "s")).errorScreen)
        XCTAssertEqual(badUrl.code, "invalid_auth_url")
    }

    func testRetryIsOfferedByErrorCategoryWithTheCategoryLabel() {
        let cases: [(ObAuthError, String?)] = [
            (.RetryLater(code: "rate_limited", detail: "slow down", retryAfterMs: 3000, correlationId: nil), "Try again"),
            (.UserAction(code: "login_failed", detail: "x", correlationId: nil), "Start again"),
            (.Reauthenticate(code: "code_expired", detail: "x", correlationId: nil), "Sign in again"),
            (.InvalidInput(field: "apiUrl", code: "invalid_input", detail: "x", correlationId: nil), nil),
            (.Fatal(code: "bad_client_credentials", detail: "x", correlationId: nil), nil),
        ]
        for (error, label) in cases {
            let screen = UiMapping.errorScreen(for: error)
            XCTAssertEqual(screen.retryLabel, label, "label for \(error.category)")
            XCTAssertEqual(screen.canRetry, label != nil, "canRetry for \(error.category)")
        }
        XCTAssertEqual(UiMapping.errorScreen(for: cases[0].0).retryAfter, 3.0, "Retry-After")
        XCTAssertNil(UiMapping.errorScreen(for: cases[1].0).retryAfter, "no Retry-After")
        XCTAssertEqual(
            UiMapping.errorScreen(for: ObAuthError.InvalidInput(field: "apiUrl", code: "invalid_input", detail: "x", correlationId: nil)).message,
            "The app is misconfigured (apiUrl).",
            "names the field"
        )
        // Whatever a storage throws, the app's own storage calls report the core's storage error.
        let storage = UiMapping.storageErrorScreen(for: FailingStorage.Locked())
        XCTAssertEqual(storage.code, "storage")
        XCTAssertEqual(storage.category, .retryLater)
        XCTAssertEqual(storage.message, "The app could not save the sign-in securely.")
        // Not an ObAuthError: nothing a retry could fix.
        XCTAssertEqual(UiMapping.errorScreen(for: FailingStorage.Locked()).code, "internal")
        XCTAssertFalse(UiMapping.errorScreen(for: FailingStorage.Locked()).canRetry)
    }

    func testNavigationDecisionsBecomeWebViewActions() throws {
        let url = try XCTUnwrap(URL(string: "https://x.example.com/"))
        XCTAssertEqual(NavigationAction.from(.allow, url: url), .load, "allow")
        XCTAssertEqual(NavigationAction.from(.intercept(outcome: .codeAccepted), url: url), .intercepted, "intercept")
        XCTAssertEqual(NavigationAction.from(.openExternally, url: url), .openExternally(url), "external")
        XCTAssertEqual(NavigationAction.from(.block, url: url), .blocked, "block")
        XCTAssertEqual(
            [NavigationAction.load, .intercepted, .openExternally(url), .blocked].map(\.cancelsNavigation),
            [false, true, true, true],
            "decisionHandler(.cancel)"
        )
    }

    func testRedirectOutcomesBecomeDeepLinkResults() {
        XCTAssertEqual(DeepLinkResult.from(.notForThisFlow), .notOurs, "not ours")
        XCTAssertEqual(DeepLinkResult.from(.codeAccepted), .handled, "code")
        XCTAssertEqual(DeepLinkResult.from(.providerError(error: userCancelled)), .handled, "provider error")
        XCTAssertEqual(DeepLinkResult.from(.ignored(reason: .flowFinished)), .ignored(.flowFinished), "ignored")
        XCTAssertEqual(
            DeepLinkResult.from(.rejected(error: .Fatal(code: "state_mismatch", detail: "forged", correlationId: nil))),
            .rejected("forged"),
            "rejected"
        )
    }

    func testRestorePolicyResumesInProgressShowsSignedInDiscardsTheRest() {
        let cases: [(LoginState, RestoreAction)] = [
            (.created, .discard),
            (.initializing, .resume),
            (.awaitingUser(authUrl: "https://bank.example.com/", sessionId: "s"), .resume),
            (.codeReceived(via: .redirect), .resume),
            (.exchanging(via: .redirect), .resume),
            (authenticated, .show),
            (.failed(error: userCancelled), .discard),
            (.cancelled(by: .host), .discard),
            (.timedOut, .discard),
            (.notApplicable, .discard),
        ]
        for (state, action) in cases {
            XCTAssertEqual(RestorePolicy.action(for: state), action, "\(state)")
        }
    }

    func testARetiredStorageDropsLateWritesOfAReplacedFlow() throws {
        let inner = MemoryStorage()
        let old = RetirableStorage(inner)
        try old.save(key: "k", value: "old")
        XCTAssertEqual(try inner.load(key: "k"), "old", "before retirement")
        old.retire()
        try inner.save(key: "k", value: "new flow")
        try old.save(key: "k", value: "late write of the old flow")
        try old.remove(key: "k")
        XCTAssertEqual(try inner.load(key: "k"), "new flow", "after retirement")
        XCTAssertEqual(try old.load(key: "k"), "new flow", "reads still go through")
    }

    func testTheSampleConfigNeverPrintsItsSecret() {
        let config = SampleConfig(clientSecret: Secret("hunter2"))
        var dumped = ""
        dump(config, to: &dumped)
        for text in ["\(config)", String(reflecting: config), dumped] {
            XCTAssertFalse(text.contains("hunter2"), text)
            XCTAssertTrue(text.contains("sandbox-client-id"), text)
        }
        XCTAssertEqual(config.clientConfig.clientSecret.expose(), "hunter2", "the core still gets it")
    }

    func testTheApiUrlComesFromInfoPlistWhenSet() {
        XCTAssertEqual(SampleConfig.fromInfo("https://api.example.com").apiUrl, "https://api.example.com")
        // An unset build setting arrives as "", a missing key as nil: the sandbox on the Mac.
        XCTAssertEqual(SampleConfig.fromInfo("").apiUrl, SampleConfig.defaultApiUrl)
        XCTAssertEqual(SampleConfig.fromInfo(nil).apiUrl, SampleConfig.defaultApiUrl)
        XCTAssertEqual(SampleConfig.fromInfo(42).apiUrl, SampleConfig.defaultApiUrl)
        let config = SampleConfig.fromInfo("https://api.example.com")
        XCTAssertEqual(config.loginParams.redirectUrl, "https://app.example.com/aiia/callback")
        XCTAssertEqual(config.clientConfig.apiUrl, "https://api.example.com")
        XCTAssertNil(config.loginParams.timeoutMs, "the core's default deadline")
    }

    func testTokenExpiryReadsAsACoarseDuration() {
        let now = later
        let cases: [(TimeInterval, String)] = [
            (-5, "expired"),
            (0, "expired"),
            (30, "in less than a minute"),
            (59 * 60, "in 59 min"),
            (5 * 3600, "in 5 h"),
            (90 * 86400, "in 90 days"),
        ]
        for (seconds, text) in cases {
            XCTAssertEqual(ExpiryText.describe(now.addingTimeInterval(seconds), now: now), text, "\(seconds) s")
        }
    }
}
