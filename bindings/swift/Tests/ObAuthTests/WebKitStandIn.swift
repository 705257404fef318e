// Where WebKit is missing (Linux), a stand-in with the shape of the WKWebView API the README
// quick starts and their app use: `WKWebView.load(_:)`, `navigationDelegate`,
// `WKNavigationDelegate.webView(_:decidePolicyFor:decisionHandler:)`, `WKNavigationAction`,
// `WKNavigationActionPolicy`, and the ObAuth layer's `decidePolicy(for:openExternally:)` over
// them (the decision, `shouldLoad(navigationTo:openExternally:)`, is the layer's own code).
//
// Its user approves whatever the provider's page asks, through the sandbox (the bank page: a
// decision; a hosted OAuth page: a consent), like the stub WebView of the Kotlin QuickStarts.
// As in WebKit, every navigation — the app's own load() and the provider's redirect back to
// the app alike — is first put to the navigation delegate, and only an allowed one is loaded.

#if !canImport(WebKit)
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import ObAuth

/// WebKit's handle of a navigation.
final class WKNavigation: Sendable {}

/// What the navigation delegate decides.
enum WKNavigationActionPolicy: Sendable {
    case cancel
    case allow
}

/// A navigation the WebView is about to perform.
final class WKNavigationAction: Sendable {
    let request: URLRequest

    init(request: URLRequest) {
        self.request = request
    }
}

/// The navigation delegate: asked before every navigation.
@MainActor
protocol WKNavigationDelegate: AnyObject {
    func webView(
        _ webView: WKWebView,
        decidePolicyFor navigationAction: WKNavigationAction,
        decisionHandler: @escaping @MainActor @Sendable (WKNavigationActionPolicy) -> Void
    )
}

/// A WebView whose user approves whatever the provider's page asks.
@MainActor
final class WKWebView {
    weak var navigationDelegate: (any WKNavigationDelegate)?
    /// Every URL loaded (allowed by the delegate), in order.
    private(set) var loaded: [String] = []
    /// Every URL the delegate cancelled, in order.
    private(set) var cancelled: [String] = []
    /// What went wrong on the user's side (the sandbox's pages), if anything.
    private(set) var userErrors: [String] = []
    private let user: Sandbox

    /// A WebView whose user acts on `user`'s pages.
    init(user: Sandbox) {
        self.user = user
    }

    @discardableResult
    func load(_ request: URLRequest) -> WKNavigation? {
        navigate(request)
        return WKNavigation()
    }

    private func navigate(_ request: URLRequest) {
        guard let delegate = navigationDelegate else { return show(request) }
        delegate.webView(self, decidePolicyFor: WKNavigationAction(request: request)) { policy in
            switch policy {
            case .allow: self.show(request)
            case .cancel: self.cancelled.append(request.url?.absoluteString ?? "")
            }
        }
    }

    /// Loads the page; on a provider page, the user approves and the page answers with a
    /// redirect, which is the next navigation.
    private func show(_ request: URLRequest) {
        guard let url = request.url else { return }
        loaded.append(url.absoluteString)
        guard url.absoluteString.hasPrefix(user.baseUrl + "/") else { return } // not the provider's
        let bankPage = url.path.hasPrefix("/v1/authentication/start")
        Task { @MainActor in
            do {
                let next = bankPage
                    ? try await self.user.decide(url.absoluteString, "approve")
                    : try await self.user.consent(url.absoluteString, "approve")
                guard let nextUrl = URL(string: next, relativeTo: url)?.absoluteURL else {
                    throw TestFailure("the page redirected to no URL: \(next)")
                }
                self.navigate(URLRequest(url: nextUrl))
            } catch {
                self.userErrors.append("\(error)")
            }
        }
    }
}

extension WebViewFlow {
    /// The ObAuth layer's `decidePolicy(for:openExternally:)`, for the stand-in's types: the
    /// layer's own answer (`shouldLoad(navigationTo:openExternally:)`) in the stand-in's policy.
    @MainActor
    func decidePolicy(for navigationAction: WKNavigationAction, openExternally: (URL) -> Void) -> WKNavigationActionPolicy {
        shouldLoad(navigationTo: navigationAction.request.url, openExternally: openExternally) ? .allow : .cancel
    }
}
#endif
