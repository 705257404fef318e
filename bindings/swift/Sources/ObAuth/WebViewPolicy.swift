// WKWebView glue: the navigation policy decided by the core, in the shape WebKit asks for.
//
// Why here and not in the app: every app would otherwise write the same switch; the decision
// itself (allow / intercept this flow's redirect / open outside / block) is the core's. Every
// flow that shows pages in a WebView (SupervisedLogin, AuthorizationFlow) conforms to
// `WebViewFlow`, so the glue is written once.

import Foundation
import ObAuthFFI
#if canImport(WebKit)
import WebKit
#endif

/// A flow whose pages run in a WebView and that decides, for every URL the WebView is about to
/// load, what to do with it: `SupervisedLogin` and `AuthorizationFlow` (connect, PKCE).
public protocol WebViewFlow: AnyObject, Sendable {
    /// The core's navigation policy for `url` (a redirect of this flow is handed to the flow).
    func decideNavigation(url: String) -> Navigation
}

extension SupervisedLogin: WebViewFlow {}
extension AuthorizationFlow: WebViewFlow {}

extension WebViewFlow {
    /// The core's navigation policy for `url`, carried out: `true` if the web view should load
    /// it; `false` if not: a redirect of this flow (handed to the core), a blocked URL, or an
    /// app link / non-http scheme (handed to `openExternally`). The WebKit-independent half of
    /// `decidePolicy(for:openExternally:)`, for any other web view.
    public func shouldLoad(_ url: URL, openExternally: (URL) -> Void) -> Bool {
        switch decideNavigation(url: url.absoluteString) {
        case .allow:
            return true
        case .intercept, .block:
            return false
        case .openExternally:
            openExternally(url)
            return false
        }
    }

    /// `decidePolicy(for:openExternally:)` as a `Bool`, for a navigation to `url` (`nil`, a
    /// request without a URL, is never loaded). Free of WebKit's types, so that a stand-in of
    /// them (the tests' on Linux) answers with this very code.
    func shouldLoad(navigationTo url: URL?, openExternally: (URL) -> Void) -> Bool {
        guard let url else { return false }
        return shouldLoad(url, openExternally: openExternally)
    }
}

#if canImport(WebKit)
extension WebViewFlow {
    /// Answers `webView(_:decidePolicyFor:decisionHandler:)` for `navigationAction`. A redirect
    /// of this flow is handed to the core (and cancelled in the WebView); app links and
    /// non-http schemes are opened by the OS through `openExternally`.
    @MainActor
    public func decidePolicy(
        for navigationAction: WKNavigationAction,
        openExternally: (URL) -> Void
    ) -> WKNavigationActionPolicy {
        shouldLoad(navigationTo: navigationAction.request.url, openExternally: openExternally) ? .allow : .cancel
    }
}
#endif
