// From the core's states and errors to the sample's screens. Pure functions: the JVM tests
// check every state without a sandbox.
package dev.obauth.sample.core

import dev.obauth.CancelOrigin
import dev.obauth.ErrorCategory
import dev.obauth.LoginState
import dev.obauth.ObAuthException
import dev.obauth.category
import dev.obauth.code

object UiMapping {
    /** The screen for a supervised-login state. */
    fun fromLoginState(state: LoginState): UiState = when (state) {
        LoginState.Created -> UiState.Loading("Starting…")
        LoginState.Initializing -> UiState.Loading("Contacting your bank…")
        is LoginState.AwaitingUser -> UiState.ShowWebView(state.authUrl)
        is LoginState.CodeReceived, is LoginState.Exchanging -> UiState.Loading("Completing sign-in…")
        is LoginState.Authenticated -> UiState.Success(
            providerId = state.providerId,
            sessionExpires = state.sessionExpires,
            loginExpires = state.loginExpires,
        )
        is LoginState.Failed -> fromError(state.error)
        // The app cancelled (the user tapped Cancel in the app): back to the start, no error.
        is LoginState.Cancelled -> when (state.by) {
            CancelOrigin.HOST -> UiState.Idle
            CancelOrigin.USER -> errorScreen(
                "You cancelled the sign-in at your bank.", "cancelled_by_user", ErrorCategory.USER_ACTION,
            )
        }
        LoginState.TimedOut -> errorScreen(
            "The sign-in took too long and was stopped.", "timed_out", ErrorCategory.RETRY_LATER,
        )
        LoginState.NotApplicable -> errorScreen(
            "This bank does not need a sign-in session.", "not_applicable", ErrorCategory.FATAL,
        )
    }

    /** The screen for an error, whether from a state, a redirect or a call that threw. */
    fun fromError(e: ObAuthException): UiState.Error {
        val retryAfter = (e as? ObAuthException.RetryLater)?.retryAfterMs?.toLong()
        return errorScreen(message(e), e.code, e.category, retryAfter)
    }

    /** Words for the user; the code stays available for support and logs (it has no secret). */
    private fun message(e: ObAuthException): String = when (e) {
        is ObAuthException.InvalidInput ->
            if (e.field.isEmpty()) "The saved sign-in could not be read." else "The app is misconfigured (${e.field})."
        is ObAuthException.RetryLater -> when (e.code) {
            "storage" -> "The app could not save the sign-in securely."
            else -> "Your bank or the network is not answering right now."
        }
        is ObAuthException.UserAction -> when (e.code) {
            "cancelled_by_user" -> "You cancelled the sign-in at your bank."
            else -> "The sign-in at your bank did not succeed."
        }
        is ObAuthException.Reauthenticate -> "The sign-in expired before it completed."
        is ObAuthException.Fatal -> when (e.code) {
            "bad_client_credentials" -> "The app's credentials were refused by the provider."
            else -> "Sign-in is not possible right now."
        }
    }

    private fun errorScreen(message: String, code: String, category: ErrorCategory, retryAfterMs: Long? = null) =
        UiState.Error(
            message = message,
            code = code,
            category = category,
            canRetry = Retry.isPossible(category),
            retryLabel = Retry.label(category),
            retryAfterMs = retryAfterMs,
        )
}
