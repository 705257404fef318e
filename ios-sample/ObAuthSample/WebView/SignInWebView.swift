// The bank's pages in a WKWebView whose every navigation asks the core's policy first.

import SwiftUI
import UIKit
import WebKit

struct SignInWebView: UIViewRepresentable {
    let url: URL
    /// The core's decision for a URL (SignInModel.navigation(for:)).
    let decide: (URL) -> NavigationAction

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

    final class Coordinator: NSObject, WKNavigationDelegate, WKUIDelegate {
        var decide: (URL) -> NavigationAction
        /// The auth URL the WebView was given; later pages are the bank's own navigation.
        private var loaded: URL?

        init(decide: @escaping (URL) -> NavigationAction) {
            self.decide = decide
        }

        func load(_ url: URL, in webView: WKWebView) {
            guard loaded != url else { return }
            loaded = url
            webView.load(URLRequest(url: url))
        }

        /// Asked for every navigation, server redirects included (the bank's 302 to our
        /// Universal Link among them).
        func webView(
            _ webView: WKWebView,
            decidePolicyFor navigationAction: WKNavigationAction,
            decisionHandler: @escaping (WKNavigationActionPolicy) -> Void
        ) {
            guard let url = navigationAction.request.url else {
                decisionHandler(.cancel)
                return
            }
            switch decide(url) {
            case .load:
                decisionHandler(.allow)
            case .intercepted, .blocked:
                // Intercepted: the core has the redirect; the state stream moves the screen on.
                decisionHandler(.cancel)
            case let .openExternally(external):
                decisionHandler(.cancel)
                Task { @MainActor in
                    UIApplication.shared.open(external)
                }
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
