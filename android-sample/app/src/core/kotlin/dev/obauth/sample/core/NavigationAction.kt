// What the WebView does with a URL, as the Android glue executes it. The decision is the core's
// (`decideNavigation`); this only names the three things the glue can do.
package dev.obauth.sample.core

import dev.obauth.ffi.Navigation

sealed class NavigationAction {
    /** Let the WebView load it (`shouldOverrideUrlLoading` returns false). */
    object Load : NavigationAction() {
        override fun toString() = "Load"
    }

    /**
     * This login's redirect, already handed to the core: do not load it. The state stream
     * shows what follows (exchanging, success, error), so the glue does nothing else.
     */
    object Intercepted : NavigationAction() {
        override fun toString() = "Intercepted"
    }

    /** Hand it to the OS (the bank's app, `tel:`, `bankid:`); do not load it. */
    data class OpenExternally(val url: String) : NavigationAction()

    /** Never load it (`javascript:`, plain http to a remote host, `file:`). */
    object Blocked : NavigationAction() {
        override fun toString() = "Blocked"
    }

    /** Whether `shouldOverrideUrlLoading` must return true (the WebView must not load it). */
    val stopsWebView: Boolean get() = this != Load

    companion object {
        fun of(url: String, navigation: Navigation): NavigationAction = when (navigation) {
            Navigation.Allow -> Load
            is Navigation.Intercept -> Intercepted
            Navigation.OpenExternally -> OpenExternally(url)
            Navigation.Block -> Blocked
        }
    }
}
