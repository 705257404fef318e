// The pure parts of the sample's logic: states → screens, errors → retry, navigation → action,
// redirect outcome → deep-link result, restore policy, retirable storage. No sandbox needed.
package dev.obauth.sample.test

import dev.obauth.CancelOrigin
import dev.obauth.CodeSource
import dev.obauth.ErrorCategory
import dev.obauth.LoginState
import dev.obauth.ObAuthException
import dev.obauth.Secret
import dev.obauth.ffi.IgnoredReason
import dev.obauth.ffi.Navigation
import dev.obauth.ffi.RedirectOutcome
import dev.obauth.sample.core.DeepLinkResult
import dev.obauth.sample.core.ExpiryText
import dev.obauth.sample.core.MemoryStorage
import dev.obauth.sample.core.NavigationAction
import dev.obauth.sample.core.RestoreAction
import dev.obauth.sample.core.RestorePolicy
import dev.obauth.sample.core.RetirableStorage
import dev.obauth.sample.core.SampleConfig
import dev.obauth.sample.core.UiMapping
import dev.obauth.sample.core.UiState
import java.time.Instant

class MappingTests {
    private val later = Instant.parse("2030-01-01T00:00:00Z")
    private val authenticated = LoginState.Authenticated(CodeSource.POLL, later, later.plusSeconds(3600), "sandbox-bank")
    private val userCancelled = ObAuthException.UserAction("cancelled_by_user", "cancelled by the user", null)

    fun all(): List<Test> = listOf(
        Test("every login state maps to its screen") { statesToScreens() },
        Test("retry is offered by error category, with the category's label") { retryByCategory() },
        Test("navigation decisions become WebView actions") { navigationActions() },
        Test("redirect outcomes become deep-link results") { deepLinkResults() },
        Test("restore policy: resume in progress, show signed in, discard the rest") { restorePolicy() },
        Test("a retired storage drops late writes of a replaced flow") { retiredStorage() },
        Test("the sample config never prints its secret") { configToString() },
        Test("token expiry reads as a coarse duration") { expiryText() },
    )

    private fun statesToScreens() {
        val cases = listOf(
            LoginState.Created to UiState.Loading("Starting…"),
            LoginState.Initializing to UiState.Loading("Contacting your bank…"),
            LoginState.AwaitingUser("https://bank.example.com/start", "s1") to UiState.ShowWebView("https://bank.example.com/start"),
            LoginState.CodeReceived(CodeSource.REDIRECT) to UiState.Loading("Completing sign-in…"),
            LoginState.Exchanging(CodeSource.POLL) to UiState.Loading("Completing sign-in…"),
            authenticated to UiState.Success("sandbox-bank", later, later.plusSeconds(3600)),
            LoginState.Cancelled(CancelOrigin.HOST) to UiState.Idle,
        )
        for ((state, screen) in cases) expectEqual(screen, UiMapping.fromLoginState(state), "$state")

        val byUser = UiMapping.fromLoginState(LoginState.Cancelled(CancelOrigin.USER)) as UiState.Error
        expectEqual(ErrorCategory.USER_ACTION to true, byUser.category to byUser.canRetry, "cancelled at the bank")
        val timedOut = UiMapping.fromLoginState(LoginState.TimedOut) as UiState.Error
        expectEqual("timed_out" to true, timedOut.code to timedOut.canRetry, "timed out")
        val notApplicable = UiMapping.fromLoginState(LoginState.NotApplicable) as UiState.Error
        expectEqual(false, notApplicable.canRetry, "not applicable")
        val failed = UiMapping.fromLoginState(LoginState.Failed(ObAuthException.Reauthenticate("code_expired", "x", null)))
        check(failed is UiState.Error && failed.code == "code_expired" && failed.retryLabel == "Sign in again") { "$failed" }
    }

    private fun retryByCategory() {
        val cases = listOf(
            ObAuthException.RetryLater("rate_limited", "slow down", 3000uL, null) to "Try again",
            ObAuthException.UserAction("login_failed", "x", null) to "Start again",
            ObAuthException.Reauthenticate("code_expired", "x", null) to "Sign in again",
            ObAuthException.InvalidInput("apiUrl", "invalid_input", "x", null) to null,
            ObAuthException.Fatal("bad_client_credentials", "x", null) to null,
        )
        for ((error, label) in cases) {
            val screen = UiMapping.fromError(error)
            expectEqual(label, screen.retryLabel, "label for ${error.javaClass.simpleName}")
            expectEqual(label != null, screen.canRetry, "canRetry for ${error.javaClass.simpleName}")
        }
        expectEqual(3000L, UiMapping.fromError(cases[0].first).retryAfterMs, "Retry-After")
        expectEqual(
            "The app is misconfigured (apiUrl).",
            UiMapping.fromError(ObAuthException.InvalidInput("apiUrl", "invalid_input", "x", null)).message,
            "names the field",
        )
    }

    private fun navigationActions() {
        val url = "https://x.example.com/"
        expectEqual(NavigationAction.Load, NavigationAction.of(url, Navigation.Allow), "allow")
        expectEqual(
            NavigationAction.Intercepted,
            NavigationAction.of(url, Navigation.Intercept(RedirectOutcome.CodeAccepted)),
            "intercept",
        )
        expectEqual(NavigationAction.OpenExternally(url), NavigationAction.of(url, Navigation.OpenExternally), "external")
        expectEqual(NavigationAction.Blocked, NavigationAction.of(url, Navigation.Block), "block")
        expectEqual(
            listOf(false, true, true, true),
            listOf(NavigationAction.Load, NavigationAction.Intercepted, NavigationAction.OpenExternally(url), NavigationAction.Blocked)
                .map { it.stopsWebView },
            "shouldOverrideUrlLoading",
        )
    }

    private fun deepLinkResults() {
        expectEqual(DeepLinkResult.NotOurs, DeepLinkResult.of(RedirectOutcome.NotForThisFlow), "not ours")
        expectEqual(DeepLinkResult.Handled, DeepLinkResult.of(RedirectOutcome.CodeAccepted), "code")
        expectEqual(DeepLinkResult.Handled, DeepLinkResult.of(RedirectOutcome.ProviderError(userCancelled)), "provider error")
        expectEqual(
            DeepLinkResult.Ignored("FLOW_FINISHED"),
            DeepLinkResult.of(RedirectOutcome.Ignored(IgnoredReason.FLOW_FINISHED)),
            "ignored",
        )
        val rejected = DeepLinkResult.of(RedirectOutcome.Rejected(ObAuthException.Fatal("state_mismatch", "forged", null)))
        expectEqual(DeepLinkResult.Rejected("forged"), rejected, "rejected")
    }

    private fun restorePolicy() {
        val cases = listOf(
            LoginState.Created to RestoreAction.DISCARD,
            LoginState.Initializing to RestoreAction.RESUME,
            LoginState.AwaitingUser("https://bank.example.com/", "s") to RestoreAction.RESUME,
            LoginState.Exchanging(CodeSource.REDIRECT) to RestoreAction.RESUME,
            authenticated to RestoreAction.SHOW,
            LoginState.Failed(userCancelled) to RestoreAction.DISCARD,
            LoginState.Cancelled(CancelOrigin.HOST) to RestoreAction.DISCARD,
            LoginState.TimedOut to RestoreAction.DISCARD,
        )
        for ((state, action) in cases) expectEqual(action, RestorePolicy.forLoginState(state), "$state")
    }

    private fun retiredStorage() {
        val inner = MemoryStorage()
        val old = RetirableStorage(inner)
        old.save("k", "old")
        old.retire()
        inner.save("k", "new flow")
        old.save("k", "late write of the old flow")
        old.remove("k")
        expectEqual("new flow", inner.load("k"), "after retirement")
        expectEqual("new flow", old.load("k"), "reads still go through")
    }

    private fun configToString() {
        val config = SampleConfig(clientSecret = Secret("hunter2"))
        for (text in listOf(config.toString(), config.clientConfig().toString())) check("hunter2" !in text) { text }
        val keyed = SampleConfig(snapshotKey = Secret("integrity-key-0123456789-0123456789-abc"))
        for (text in listOf(keyed.toString(), keyed.clientConfig().toString())) check("integrity-key" !in text) { text }
        expectEqual("hunter2", config.clientConfig().clientSecret.expose(), "the core still gets it")
    }

    private fun expiryText() {
        val now = Instant.parse("2030-01-01T00:00:00Z")
        val cases = listOf(
            -5L to "expired",
            0L to "expired",
            30L to "in less than a minute",
            59 * 60L to "in 59 min",
            5 * 3600L to "in 5 h",
            90 * 86400L to "in 90 days",
        )
        for ((seconds, text) in cases) expectEqual(text, ExpiryText.describe(now.plusSeconds(seconds), now), "$seconds s")
    }
}
