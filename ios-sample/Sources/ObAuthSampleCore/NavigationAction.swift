// What the WebView does with a URL, as the WKWebView glue executes it. The decision is the
// core's (`decideNavigation`); this only names the things the glue can do.

import Foundation
import ObAuth

public enum NavigationAction: Equatable, Sendable {
    /// Let the WebView load it.
    case load
    /// This login's redirect, already handed to the core: cancel it in the WebView. The state
    /// stream shows what follows (exchanging, success, error), so the glue does nothing else.
    case intercepted
    /// Hand it to the OS (the bank's app, `tel:`, `bankid:`); cancel it in the WebView.
    case openExternally(URL)
    /// Never load it (`javascript:`, plain http to a remote host, `file:`).
    case blocked

    /// Whether the WebView must cancel the navigation (`decisionHandler(.cancel)`): everything
    /// but `load`.
    public var cancelsNavigation: Bool { self != .load }

    public static func from(_ navigation: Navigation, url: URL) -> NavigationAction {
        switch navigation {
        case .allow: return .load
        case .intercept: return .intercepted
        case .openExternally: return .openExternally(url)
        case .block: return .blocked
        }
    }
}
