// The Swift quick starts of the READMEs, compiled and run: the code between
// "// snippet: NAME" and "// end snippet" is, after trimIndent(), the README's block under
// "<!-- snippet: NAME -->" (README.md and bindings/README.md; checked by the last test here
// and by the Kotlin QuickStartTests). Change them together.
//
// The app's side is stubbed: the Keychain-backed storage (in memory), the UI calls (recorded)
// and the WKWebView. Where WebKit is missing (Linux), the WebView is the stand-in of
// WebKitStandIn.swift, whose user approves the provider's page through the sandbox, and the
// quick starts sign in against it. With WebKit (Apple platforms) they compile against the real
// WKWebView, which has no scripted user: the sign-in tests are skipped there.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
#if canImport(WebKit)
import WebKit
#endif
@testable import ObAuth

/// The app's Keychain-backed storage; in memory here.
final class Keychain: SecureStorage, Sendable {
    private let values = Locked<[String: String]>([:])

    func save(key: String, value: String) throws {
        values.withLock { $0[key] = value }
    }

    func load(key: String) throws -> String? {
        values[key]
    }

    func remove(key: String) throws {
        values.withLock { $0[key] = nil }
    }
}

/// The app's back end, as the relay quick start asks it for an app token: the token minted for
/// `sw-quickstart` by the test script.
enum Backend {
    static func appToken(fresh: Bool) throws -> String {
        try RelaySetup.load().token("sw-quickstart")
    }
}

/// The app: its WebView, storage and UI, recording what happened. Its navigation delegate hands
/// every URL of the WebView to the current flow (`webViewFlow`).
@MainActor
final class QuickStartApp: NSObject, WKNavigationDelegate {
    let webView: WKWebView
    let keychain = Keychain()
    /// The flow whose pages the WebView shows (set by the quick starts).
    var webViewFlow: (any WebViewFlow)?
    private(set) var shown: [String] = []
    private(set) var openedExternally: [URL] = []
    private(set) var bearer: String?

    init(webView: WKWebView) {
        self.webView = webView
        super.init()
        webView.navigationDelegate = self
    }

    func webView(
        _ webView: WKWebView,
        decidePolicyFor navigationAction: WKNavigationAction,
        decisionHandler: @escaping @MainActor @Sendable (WKNavigationActionPolicy) -> Void
    ) {
        decisionHandler(webViewFlow?.decidePolicy(for: navigationAction) { openExternally($0) } ?? .cancel)
    }

    func openExternally(_ url: URL) { openedExternally.append(url) }
    func showRetry() { shown.append("retry") }
    func showStartAgain() { shown.append("start again") }
    func showError(_ code: String) { shown.append("error \(code)") }
    func useApi(bearer: String) { self.bearer = bearer }

    func supervisedQuickStart(apiUrl: String, clientId: String, clientSecret: String) async throws {
        // snippet: swift-supervised
        let client = try ObAuthClient(config: ClientConfig(apiUrl: apiUrl, clientId: clientId, clientSecret: Secret(clientSecret)))
        let login = try client.supervisedLogin(params: SupervisedLoginParams(
            userHash: "test-user-id",
            redirectUrl: "https://app.example.com/aiia/callback"
        ))
        // The WKNavigationDelegate, in webView(_:decidePolicyFor:decisionHandler:), asks webViewFlow:
        //     decisionHandler(webViewFlow?.decidePolicy(for: navigationAction) { UIApplication.shared.open($0) } ?? .cancel)
        webViewFlow = login
        Task { @MainActor in
            for await state in login.states() {
                if case let .awaitingUser(authUrl, _) = state, let url = URL(string: authUrl) {
                    webView.load(URLRequest(url: url)) // the bank's page
                }
            }
        }
        // Universal Link into the app: _ = login.handleRedirect(url: url.absoluteString)
        do {
            let tokens = try await login.signIn() // start + await; cancelling the Task cancels the login
            try keychain.save(key: "obauth.session", value: tokens.accessToken.expose()) // prints as [redacted]
        } catch let error as ObAuthError {
            switch error.category {
            case .retryLater: showRetry()
            case .userAction: showStartAgain()
            default: showError(error.code)
            }
        }
        // end snippet
    }

    func relayQuickStart(relayUrl: String) async throws {
        // snippet: swift-relay
        /// The app's own token (a JWT from its sign-in); a fresh one from its back end when asked.
        final class AppTokens: AppTokenProvider {
            func appToken(forceRefresh: Bool) throws -> Secret { Secret(try Backend.appToken(fresh: forceRefresh)) }
        }
        // No client id, secret or userHash on the device: the relay holds the partner credentials.
        let client = try ObAuthClient.relay(relayUrl: relayUrl, appTokenProvider: AppTokens())
        let login = try client.supervisedLogin(params: SupervisedLoginParams(
            userHash: "", // the relay derives the user from the app token
            redirectUrl: "https://app.example.com/aiia/callback"
        ))
        webViewFlow = login // the WebView, Universal Links and states as above
        Task { @MainActor in
            for await state in login.states() {
                if case let .awaitingUser(authUrl, _) = state, let url = URL(string: authUrl) {
                    webView.load(URLRequest(url: url))
                }
            }
        }
        // A token the relay refuses, also a fresh one: ObAuthError.Reauthenticate, code app_token_rejected.
        let tokens = try await login.signIn()
        try keychain.save(key: "obauth.session", value: tokens.accessToken.expose())
        // end snippet
    }

    func connectQuickStart(apiUrl: String, clientId: String, clientSecret: String) async throws {
        // snippet: swift-connect
        let client = try ObAuthClient(config: ClientConfig(apiUrl: apiUrl, clientId: clientId, clientSecret: Secret(clientSecret)))
        let flow = try client.connectFlow(params: AuthorizationParams(
            redirectUri: "https://app.example.com/aiia-callback/connect",
            redirectPattern: "https://app.example.com/aiia-callback/*"
        ))
        // The WKNavigationDelegate, in webView(_:decidePolicyFor:decisionHandler:), asks webViewFlow:
        //     decisionHandler(webViewFlow?.decidePolicy(for: navigationAction) { UIApplication.shared.open($0) } ?? .cancel)
        webViewFlow = flow
        Task { @MainActor in
            for await state in flow.states() {
                if case let .awaitingUser(authorizeUrl) = state, let url = URL(string: authorizeUrl) {
                    webView.load(URLRequest(url: url)) // the consent page
                }
            }
        }
        do {
            let tokens = try await flow.signIn() // TokenSet: access + refresh token, consentId
            let manager = client.connectTokens(tokens: tokens) // renews 60 s before expiry
            try manager.persistTo(storage: keychain, key: "obauth.tokens") // saved now and after every renewal
            let fresh = try await manager.freshToken() // before each API call
            useApi(bearer: fresh.accessToken.expose())
        } catch let error as ObAuthError {
            switch error.category {
            case .retryLater: showRetry()
            case .userAction, .reauthenticate: showStartAgain()
            default: showError(error.code)
            }
        }
        // end snippet
    }
}

#if canImport(WebKit)
/// Why the sign-in tests are skipped where WebKit is real.
private func noScriptedUser() -> XCTSkip {
    XCTSkip("a real WKWebView has no scripted user (the quick starts run on Linux)")
}
#else
/// Runs a quick start's test `body` (bounded, on the main actor) with the sandbox and an app
/// over a stand-in WebView whose user approves the provider's pages.
private func signingInThroughTheWebView(
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: @escaping @MainActor @Sendable (Sandbox, WKWebView, QuickStartApp) async throws -> Void
) async throws {
    try await bounded(file: file, line: line) { @MainActor in
        let sandbox = try sandbox()
        let webView = WKWebView(user: sandbox)
        try await body(sandbox, webView, QuickStartApp(webView: webView))
    }
}

/// Runs a supervised quick start (`quickStart`) and checks what every supervised sign-in
/// through the WebView shows: no error on the user's side, the session token saved, the bank
/// page loaded, one more successful code exchange at the sandbox.
@MainActor
private func expectSupervisedSignIn(
    _ sandbox: Sandbox,
    _ webView: WKWebView,
    _ app: QuickStartApp,
    _ quickStart: @MainActor () async throws -> Void
) async throws {
    let before = try await sandbox.successfulExchanges()
    try await quickStart()
    XCTAssertEqual(webView.userErrors, [], "the user's side")
    let session = try app.keychain.load(key: "obauth.session")
    XCTAssertFalse((session ?? "").isEmpty, "no session token saved")
    XCTAssertTrue(
        webView.loaded.contains { $0.contains("/v1/authentication/start") },
        "the bank page was not loaded: \(webView.loaded)"
    )
    try await assertEqual(await sandbox.successfulExchanges(), before + 1, "exchanges at the sandbox")
}
#endif

final class QuickStartTests: ObAuthTestCase {
    /// README quick start (Swift): supervised login, signed in through the WebView.
    func testReadmeQuickStartSwiftSupervisedLogin() async throws {
        #if canImport(WebKit)
        throw noScriptedUser()
        #else
        try await signingInThroughTheWebView { sandbox, webView, app in
            try await expectSupervisedSignIn(sandbox, webView, app) {
                try await app.supervisedQuickStart(
                    apiUrl: sandbox.baseUrl, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret
                )
            }
            XCTAssertEqual(app.shown, [], "UI errors")
            XCTAssertFalse(webView.loaded.contains { $0.hasPrefix(REDIRECT) }, "the redirect was loaded in the WebView")
            // The redirect reaches the delegate once the user approved (the poll may have won).
            await eventually { webView.cancelled.contains { $0.hasPrefix(REDIRECT) } }
            XCTAssertTrue(webView.cancelled.contains { $0.hasPrefix(REDIRECT) }, "the redirect was not intercepted")
            XCTAssertEqual(app.openedExternally, [], "opened externally")
        }
        #endif
    }

    /// README quick start (Swift): relay mode, through a real relay (app tokens minted by the
    /// test script).
    func testReadmeQuickStartSwiftRelayMode() async throws {
        #if canImport(WebKit)
        throw noScriptedUser()
        #else
        try await signingInThroughTheWebView { sandbox, webView, app in
            let relay = try RelaySetup.load()
            try await expectSupervisedSignIn(sandbox, webView, app) {
                try await app.relayQuickStart(relayUrl: relay.urls[0])
            }
        }
        #endif
    }

    /// README quick start (Swift): connect, then the TokenManager's fresh-token call.
    func testReadmeQuickStartSwiftConnectAndTokenManager() async throws {
        #if canImport(WebKit)
        throw noScriptedUser()
        #else
        try await signingInThroughTheWebView { sandbox, webView, app in
            try await app.connectQuickStart(
                apiUrl: sandbox.baseUrl, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret
            )
            XCTAssertEqual(app.shown, [], "UI errors")
            XCTAssertEqual(webView.userErrors, [], "the user's side")
            let json = try unwrap(try app.keychain.load(key: "obauth.tokens"), "no tokens saved")
            let saved = try tokenSetFromJson(json: json)
            XCTAssertNotNil(saved.refreshToken, "saved tokens without a refresh token")
            XCTAssertNotNil(saved.consentId, "saved tokens without a consentId")
            // The saved JSON reads back to the same tokens, expiry to the millisecond.
            assertSameTokens(try tokenSetFromJson(json: try tokenSetToJson(tokens: saved)), saved, "saved JSON")
            XCTAssertEqual(app.bearer, saved.accessToken.expose(), "the token used for the API")
            XCTAssertTrue(
                webView.loaded.contains { $0.hasPrefix("\(sandbox.baseUrl)/v1/oauth/connect?") },
                "the consent page was not loaded: \(webView.loaded)"
            )
            XCTAssertFalse(
                webView.loaded.contains { $0.hasPrefix(CONNECT_REDIRECT) }, "the redirect was loaded in the WebView"
            )
            XCTAssertTrue(
                webView.cancelled.contains { $0.hasPrefix(CONNECT_REDIRECT) }, "the redirect was not intercepted"
            )
        }
        #endif
    }

    /// The READMEs' Swift snippet blocks (README.md and bindings/README.md) are the marked
    /// regions of this file, and every region here is in bindings/README.md.
    func testReadmeQuickStartsAreTheCodeCompiledHere() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent() // ObAuthTests
            .deletingLastPathComponent() // Tests
            .deletingLastPathComponent() // swift
            .deletingLastPathComponent() // bindings
            .deletingLastPathComponent()
        let source = try String(contentsOf: here, encoding: .utf8)
        let regions = Dictionary(
            matches(
                #"// snippet: ([a-z-]+)\n(.*?)\n\s*// end snippet"#, in: source, options: [.dotMatchesLineSeparators]
            ).map { ($0[1], $0[2]) },
            uniquingKeysWith: { first, _ in first }
        )
        XCTAssertEqual(regions.keys.sorted(), ["swift-connect", "swift-relay", "swift-supervised"], "regions in \(here.lastPathComponent)")
        for path in ["bindings/README.md", "README.md"] {
            let readme = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            let blocks = matches(
                #"<!-- snippet: ([a-z-]+) -->\s*```(\w+)\n(.*?)\n```"#, in: readme, options: [.dotMatchesLineSeparators]
            ).filter { $0[2] == "swift" }
            XCTAssertFalse(blocks.isEmpty, "no Swift quick-start block in \(path)")
            for block in blocks {
                let (name, text) = (block[1], block[3])
                guard let region = regions[name] else {
                    XCTFail("\(path): no region '\(name)' in \(here.lastPathComponent)")
                    continue
                }
                XCTAssertEqual(trimIndent(text), trimIndent(region), "\(path) block '\(name)'")
            }
            if path == "bindings/README.md" {
                XCTAssertEqual(Set(blocks.map { $0[1] }), Set(regions.keys), "the Swift blocks of \(path)")
            }
        }
    }
}
