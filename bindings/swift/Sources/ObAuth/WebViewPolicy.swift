// WKWebView glue: the navigation policy decided by the core, in the shape WebKit asks for.
//
// Why here and not in the app: every app would otherwise write the same switch; the decision
// itself (allow / intercept this login's redirect / open outside / block) is the core's.

#if canImport(WebKit)
import WebKit

extension SupervisedLogin {
    /// Answers `webView(_:decidePolicyFor:decisionHandler:)` for `navigationAction`. A redirect
    /// of this login is handed to the core (and cancelled in the WebView); app links and
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
