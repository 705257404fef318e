// The bank's pages in a WKWebView whose every navigation asks the core's policy first
// (SignInController.navigation(for:), through SignInModel).

import SwiftUI
import UIKit
import WebKit

struct SignInWebView: UIViewRepresentable {
    let url: URL
    /// The core's decision for a URL the WebView is about to load, and whether it is for the
    /// main frame.
    let decide: @MainActor (URL, Bool) -> NavigationAction

    func makeCoordinator() -> Coordinator {
        Coordinator(decide: decide)
    }

    func makeUIView(context: Context) -> WKWebView {
        let configuration = WKWebViewConfiguration()
        // The persistent store: localStorage (which the provider recommends enabling for its
        // pages) works and survives the app being relaunched.
        configuration.websiteDataStore = .default()
        configuration.defaultWebpagePreferences.allowsContentJavaScript = true
        let webView = WKWebView(frame: .zero, configuration: configuration)
        webView.navigationDelegate = context.coordinator
        webView.uiDelegate = context.coordinator
        context.coordinator.load(url, in: webView)
        return webView
    }

    func updateUIView(_ webView: WKWebView, context: Context) {
        context.coordinator.decide = decide
        context.coordinator.load(url, in: webView)
    }

    /// WebKit calls its delegates on the main thread; the SDK declares both protocols
    /// `@MainActor` (WK_SWIFT_UI_ACTOR), and so is this class.
    @MainActor
    final class Coordinator: NSObject, WKNavigationDelegate, WKUIDelegate {
        var decide: @MainActor (URL, Bool) -> NavigationAction
        /// The auth URL the WebView was given; later pages are the bank's own navigation.
        private var loaded: URL?

        init(decide: @escaping @MainActor (URL, Bool) -> NavigationAction) {
            self.decide = decide
            super.init()
            // The policy method below is an optional Objective-C requirement: with a signature
            // that does not match the SDK's exactly, it is silently never called and WebKit loads
            // everything, our redirect and javascript: URLs included. Fail loudly in debug builds.
            assert(
                Self.instancesRespond(to: NSSelectorFromString("webView:decidePolicyForNavigationAction:decisionHandler:")),
                "SignInWebView.Coordinator does not implement the navigation policy WebKit calls"
            )
        }

        func load(_ url: URL, in webView: WKWebView) {
            guard loaded != url else { return }
            loaded = url
            webView.load(URLRequest(url: url))
        }

        /// Asked for every navigation, server redirects included (the bank's 302 to our Universal
        /// Link among them). The handler's type is the SDK's (`WK_SWIFT_UI_ACTOR void (^)(…)`
        /// imports as `@MainActor @Sendable`); see the assertion in `init`.
        func webView(
            _ webView: WKWebView,
            decidePolicyFor navigationAction: WKNavigationAction,
            decisionHandler: @escaping @MainActor @Sendable (WKNavigationActionPolicy) -> Void
        ) {
            guard let url = navigationAction.request.url else {
                decisionHandler(.cancel)
                return
            }
            // A subframe (an iframe of the page) never delivers the redirect nor opens an app:
            // the core decides that too, so it must know which frame asks. `targetFrame` is nil
            // for a new window, which `createWebViewWith` below loads in the main frame.
            let mainFrame = navigationAction.targetFrame?.isMainFrame ?? true
            let action = decide(url, mainFrame)
            // Intercepted: the core has the redirect; the state stream moves the screen on.
            decisionHandler(action.cancelsNavigation ? .cancel : .allow)
            if case let .openExternally(external) = action {
                UIApplication.shared.open(external)
            }
        }

        /// `target="_blank"`: load it here (through the policy above) instead of a new window.
        func webView(
            _ webView: WKWebView,
            createWebViewWith configuration: WKWebViewConfiguration,
            for navigationAction: WKNavigationAction,
            windowFeatures: WKWindowFeatures
        ) -> WKWebView? {
            if navigationAction.targetFrame == nil {
                webView.load(navigationAction.request)
            }
            return nil
        }
    }
}
