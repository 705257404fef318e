// The WebView's navigation hook: every URL the bank's pages navigate to goes to the core's
// policy first. The Activity supplies what to do; nothing here decides.
package dev.obauth.sample.android

import android.webkit.WebResourceRequest
import android.webkit.WebView
import android.webkit.WebViewClient
import dev.obauth.sample.core.NavigationAction

class SignInWebViewClient(
    /** The core's decision for a URL and whether it is for the main frame. */
    private val decide: (String, Boolean) -> NavigationAction,
    private val openExternally: (String) -> Unit,
) : WebViewClient() {
    /**
     * Called for link clicks and server redirects (the bank's 302 to our App Link among them),
     * not for `loadUrl` itself. Returning true keeps the WebView from loading the URL: the
     * core intercepted it (the state stream moves the screen on), blocked it, or the OS opens it.
     * Subframe navigations come here too (non-http schemes, API 24+): the core never lets a
     * subframe deliver the redirect or leave the app, so [WebResourceRequest.isForMainFrame]
     * goes with the URL.
     */
    override fun shouldOverrideUrlLoading(view: WebView, request: WebResourceRequest): Boolean {
        val action = decide(request.url.toString(), request.isForMainFrame)
        if (action is NavigationAction.OpenExternally) openExternally(action.url)
        return action.stopsWebView
    }
}
