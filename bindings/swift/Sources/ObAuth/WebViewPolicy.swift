// WKWebView glue: the navigation policy decided by the core, in the shape WebKit asks for.
//
// Why here and not in the app: every app would otherwise write the same switch; the decision
// itself (allow / intercept this flow's redirect / open outside / block) is the core's. Every
// flow that shows pages in a WebView (SupervisedLogin, AuthorizationFlow) conforms to
// `WebViewFlow`, so the glue is written once.

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
        guard let url = navigationAction.request.url else { return .cancel }
        switch decideNavigation(url: url.absoluteString) {
        case .allow:
            return .allow
        case .intercept:
            return .cancel
        case .openExternally:
            openExternally(url)
            return .cancel
        case .block:
            return .cancel
        }
    }
}
#endif
