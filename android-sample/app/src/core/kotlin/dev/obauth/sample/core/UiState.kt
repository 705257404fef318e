// What the sample's screen shows. The Android glue renders it; the JVM tests assert on it.
package dev.obauth.sample.core

import dev.obauth.ErrorCategory
import java.time.Instant

/** One screen of the sample. Derived from the flow's states by [UiMapping]. */
sealed class UiState {
    /** Nothing in progress: the sign-in button. */
    object Idle : UiState() {
        override fun toString() = "Idle"
    }

    /** Work the user waits for (starting, exchanging the code). */
    data class Loading(val message: String) : UiState()

    /** The bank's page: load [url] in the WebView (once; later pages are the WebView's own). */
    data class ShowWebView(val url: String) : UiState()

    /** Signed in. The session token's expiry slides with use; the login token's does not. */
    data class Success(
        val providerId: String,
        val sessionExpires: Instant,
        val loginExpires: Instant,
    ) : UiState()

    /**
     * Ended without tokens. [canRetry] comes from the error's category (see [Retry]):
     * a retry starts a new sign-in, which only helps for transient failures, a user who stopped
     * at the bank, or an expired grant.
     */
    data class Error(
        val message: String,
        val code: String,
        val category: ErrorCategory,
        val canRetry: Boolean,
        val retryLabel: String?,
        /** The provider's Retry-After, when it sent one: wait before offering the retry. */
        val retryAfterMs: Long? = null,
    ) : UiState()
}

/** What a retry means for each error category; the same table as the iOS sample's. */
object Retry {
    fun isPossible(category: ErrorCategory): Boolean = label(category) != null

    /** The retry button's label, or null when retrying cannot help (fix the app instead). */
    fun label(category: ErrorCategory): String? = when (category) {
        ErrorCategory.RETRY_LATER -> "Try again"
        ErrorCategory.USER_ACTION -> "Start again"
        ErrorCategory.REAUTHENTICATE -> "Sign in again"
        ErrorCategory.INVALID_INPUT, ErrorCategory.FATAL -> null
    }
}
