// The Swift quick starts of bindings/README.md, compiled with the tests (`swift test` on a Mac;
// syntax-checked here): the code between "// snippet: NAME" and "// end snippet" is the README's
// block under "<!-- snippet: NAME -->" (the Kotlin test QuickStartTests checks that they match).
// Change them together. The app's side (WKWebView, Keychain storage, UI) is stubbed below.

#if canImport(WebKit)
import Foundation
import WebKit
import ObAuth

/// The app's Keychain-backed storage; in memory here.
final class Keychain: SecureStorage, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: String] = [:]

    func save(key: String, value: String) throws {
        lock.lock()
        defer { lock.unlock() }
        values[key] = value
    }

    func load(key: String) throws -> String? {
        lock.lock()
        defer { lock.unlock() }
        return values[key]
    }

    func remove(key: String) throws {
        lock.lock()
        defer { lock.unlock() }
        values[key] = nil
    }
}

@MainActor
final class QuickStartApp {
    let webView = WKWebView()
    let keychain = Keychain()

    func showRetry() {}
    func showStartAgain() {}
    func showError(_ code: String) {}
    func useApi(bearer: String) {}

    func supervisedQuickStart(apiUrl: String, clientId: String, clientSecret: String) async throws {
        // snippet: swift-supervised
        let client = try ObAuthClient(config: ClientConfig(apiUrl: apiUrl, clientId: clientId, clientSecret: clientSecret))
        let login = try client.supervisedLogin(params: SupervisedLoginParams(
            userHash: "test-user-id",
            redirectUrl: "https://app.example.com/aiia/callback"
        ))
        Task { @MainActor in
            for await state in login.states() {
                if case let .awaitingUser(authUrl, _) = state, let url = URL(string: authUrl) {
                    webView.load(URLRequest(url: url)) // the bank's page
                }
            }
        }
        // WKNavigationDelegate, webView(_:decidePolicyFor:decisionHandler:):
        //     decisionHandler(login.decidePolicy(for: navigationAction) { UIApplication.shared.open($0) })
        // Universal Link into the app: _ = login.handleRedirect(url: url.absoluteString)
        do {
            let tokens = try await login.signIn() // start + await; cancelling the Task cancels the login
            try keychain.save(key: "obauth.session", value: tokens.accessToken) // secure storage only, never log
        } catch let error as ObAuthError {
            switch error.category {
            case .retryLater: showRetry()
            case .userAction: showStartAgain()
            default: showError(error.code)
            }
        }
        // end snippet
    }

    func connectQuickStart(apiUrl: String, clientId: String, clientSecret: String) async throws {
        // snippet: swift-connect
        let client = try ObAuthClient(config: ClientConfig(apiUrl: apiUrl, clientId: clientId, clientSecret: clientSecret))
        let flow = try client.connectFlow(params: AuthorizationParams(
            redirectUri: "https://app.example.com/aiia-callback/connect",
            redirectPattern: "https://app.example.com/aiia-callback/*"
        ))
        Task { @MainActor in
            for await state in flow.states() {
                if case let .awaitingUser(authorizeUrl) = state, let url = URL(string: authorizeUrl) {
                    webView.load(URLRequest(url: url)) // the consent page
                }
            }
        }
        // WKNavigationDelegate, webView(_:decidePolicyFor:decisionHandler:):
        //     decisionHandler(flow.decidePolicy(for: navigationAction) { UIApplication.shared.open($0) })
        do {
            let tokens = try await flow.signIn() // TokenSet: access + refresh token, consentId
            let manager = client.connectTokens(tokens: tokens) // renews 60 s before expiry
            try manager.persistTo(storage: keychain, key: "obauth.tokens") // saved now and after every renewal
            let fresh = try await manager.freshToken() // before each API call
            useApi(bearer: fresh.accessToken)
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
#endif
