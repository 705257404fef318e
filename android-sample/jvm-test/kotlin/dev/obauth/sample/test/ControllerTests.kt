// The SignInController end to end: the real library (JNA) against the sandbox, driving the
// same calls the Android glue makes (signIn, onNavigation from shouldOverrideUrlLoading,
// onDeepLink from the App Link intent, retry, cancel).
package dev.obauth.sample.test

import dev.obauth.ErrorCategory
import dev.obauth.sample.core.DeepLinkResult
import dev.obauth.sample.core.MemoryStorage
import dev.obauth.sample.core.NavigationAction
import dev.obauth.sample.core.RestoreAction
import dev.obauth.sample.core.SampleConfig
import dev.obauth.sample.core.UiState
import kotlinx.coroutines.delay
import java.time.Instant

class ControllerTests(private val sandbox: SandboxControl) {
    private val h = Harness(sandbox)

    fun all(): List<Test> = listOf(
        Test("sign in: the status poll completes it, success shows the token expiry") { byPoll() },
        Test("sign in in the WebView: the redirect is intercepted, one exchange") { byWebViewRedirect() },
        Test("sign in by App Link: the deep link completes it, duplicates are ignored") { byAppLink() },
        Test("navigation: bank app links open externally, javascript: is blocked") { navigation() },
        Test("navigation: unlisted hosts, intent: and subframe redirects or app links are blocked") { navigationAllowlists() },
        Test("user cancels at the bank: error with retry, retry starts a new login") { userCancelsThenRetries() },
        Test("cancel in the app goes back to Idle") { hostCancels() },
        Test("wrong client secret: fatal error, no retry") { wrongSecret() },
        Test("the emulator alias 10.0.2.2 is refused: InvalidInput apiUrl, no retry") { emulatorAlias() },
        Test("the deadline passes: timed-out error with retry") { timesOut() },
        Test("signing in again replaces the login in progress and its snapshot") { replaces() },
        Test("deep links without a login, or not ours") { strayDeepLinks() },
        Test("an App Link with a code the provider never issued is never exchanged; the login completes") { forgedCode() },
    )

    private suspend fun byPoll() {
        val user = h.user("poll")
        sandbox.script(user, "approve", delayMs = 200)
        val before = sandbox.successfulExchanges()
        val app = App(h.config(user))
        try {
            app.controller.signIn()
            val success = app.controller.awaitScreen<UiState.Success>("signed in")
            check(success.sessionExpires.isAfter(Instant.now())) { "session already expired: $success" }
            check(success.loginExpires.isAfter(Instant.now())) { "login token already expired: $success" }
            check(success.providerId.isNotEmpty()) { "no provider" }
            check((app.storage as MemoryStorage).values.isNotEmpty()) { "nothing persisted" }
            expectEqual(before + 1, sandbox.successfulExchanges(), "exchanges")
        } finally {
            app.finish()
        }
    }

    private suspend fun byWebViewRedirect() {
        val user = h.user("webview")
        sandbox.script(user, "page")
        sandbox.fault("status", "delay", delayMs = 1500) // the redirect wins the race
        val before = sandbox.successfulExchanges()
        val app = App(h.config(user))
        try {
            app.controller.signIn()
            val page = app.controller.awaitScreen<UiState.ShowWebView>("bank page")
            expectEqual(NavigationAction.Load, app.controller.onNavigation(page.url), "the bank page")
            val location = sandbox.decide(page.url, "approve")
            expectEqual(NavigationAction.Intercepted, app.controller.onNavigation(location), "the redirect")
            app.controller.awaitScreen<UiState.Success>("signed in")
            expectEqual(before + 1, sandbox.successfulExchanges(), "exactly one exchange")
            expectEqual(DeepLinkResult.Ignored("FLOW_FINISHED"), app.controller.onDeepLink(location), "the same link again")
        } finally {
            app.finish()
        }
    }

    private suspend fun byAppLink() {
        val user = h.user("applink")
        sandbox.script(user, "page")
        sandbox.fault("status", "delay", delayMs = 1500)
        val before = sandbox.successfulExchanges()
        val app = App(h.config(user))
        try {
            app.controller.signIn()
            val page = app.controller.awaitScreen<UiState.ShowWebView>("bank page")
            val location = sandbox.decide(page.url, "approve") // the bank app opened the App Link
            expectEqual(DeepLinkResult.Handled, app.controller.onDeepLink(location), "App Link")
            app.controller.awaitScreen<UiState.Success>("signed in")
            val again = app.controller.onDeepLink(location)
            check(again is DeepLinkResult.Ignored) { "a duplicate App Link: $again" }
            expectEqual(before + 1, sandbox.successfulExchanges(), "exactly one exchange")
        } finally {
            app.finish()
        }
    }

    private suspend fun navigationAllowlists() {
        val user = h.user("nav2")
        sandbox.script(user, "never")
        val app = App(h.config(user))
        try {
            app.controller.signIn()
            val page = app.controller.awaitScreen<UiState.ShowWebView>("bank page")
            expectEqual(NavigationAction.Load, app.controller.onNavigation(page.url, mainFrame = false), "the provider's page in a frame")
            expectEqual(NavigationAction.Blocked, app.controller.onNavigation("https://phish.example.net/login"), "an unlisted host")
            expectEqual(NavigationAction.Blocked, app.controller.onNavigation("intent://x#Intent;component=com.evil/.A;end"), "intent:")
            expectEqual(NavigationAction.Blocked, app.controller.onNavigation("market://details?id=com.evil"), "an unlisted scheme")
            expectEqual(NavigationAction.Blocked, app.controller.onNavigation("tel:+4512345678", mainFrame = false), "tel: from a frame")
            val bankApp = "https://$BANK_APP_HOST/authorize?x=1"
            expectEqual(NavigationAction.Blocked, app.controller.onNavigation(bankApp, mainFrame = false), "an app link from a frame")
            // The redirect from a subframe is never handed to the login.
            val forged = "${SampleConfig.REDIRECT_URL}?error=access_denied"
            expectEqual(NavigationAction.Blocked, app.controller.onNavigation(forged, mainFrame = false), "the redirect in a frame")
            delay(300)
            check(app.controller.ui.value is UiState.ShowWebView) { "a subframe redirect reached the login: ${app.controller.ui.value}" }
        } finally {
            app.finish()
        }
    }

    private suspend fun navigation() {
        val user = h.user("nav")
        sandbox.script(user, "never")
        val app = App(h.config(user))
        try {
            expectEqual(NavigationAction.Blocked, app.controller.onNavigation("https://bank.example.com/"), "no login yet")
            app.controller.signIn()
            app.controller.awaitScreen<UiState.ShowWebView>("bank page")
            val bankApp = "https://$BANK_APP_HOST/authorize?x=1"
            expectEqual(NavigationAction.OpenExternally(bankApp), app.controller.onNavigation(bankApp), "bank app link")
            expectEqual(NavigationAction.OpenExternally("tel:+4512345678"), app.controller.onNavigation("tel:+4512345678"), "tel:")
            expectEqual(NavigationAction.Blocked, app.controller.onNavigation("javascript:alert(1)"), "javascript:")
            expectEqual(NavigationAction.Load, app.controller.onNavigation("https://bank.example.com/step2"), "bank page")
            // Ours without a code: refused, and the login goes on waiting.
            expectEqual(NavigationAction.Intercepted, app.controller.onNavigation(SampleConfig.REDIRECT_URL), "no code")
            check(app.controller.ui.value is UiState.ShowWebView) { "a refused redirect ended the login: ${app.controller.ui.value}" }
        } finally {
            app.finish()
        }
    }

    private suspend fun userCancelsThenRetries() {
        val user = h.user("usercancel")
        sandbox.script(user, "page")
        sandbox.fault("status", "delay", delayMs = 1500)
        val app = App(h.config(user))
        try {
            app.controller.signIn()
            val first = app.controller.awaitScreen<UiState.ShowWebView>("bank page")
            val location = sandbox.decide(first.url, "cancel")
            expectEqual(NavigationAction.Intercepted, app.controller.onNavigation(location), "the error redirect")
            val error = app.controller.awaitScreen<UiState.Error>("cancelled at the bank")
            expectEqual(ErrorCategory.USER_ACTION, error.category, "category")
            expectEqual("Start again", error.retryLabel, "retry label")
            check(app.controller.retry()) { "retry refused" }
            val second = app.controller.awaitScreen<UiState.ShowWebView>("a new bank page") { it.url != first.url }
            check(second.url != first.url) { "retry reused the session" }
        } finally {
            app.finish()
        }
    }

    private suspend fun hostCancels() {
        val user = h.user("cancel")
        sandbox.script(user, "never")
        val app = App(h.config(user))
        try {
            app.controller.signIn()
            app.controller.awaitScreen<UiState.ShowWebView>("bank page")
            app.controller.cancel()
            app.controller.awaitScreen<UiState.Idle>("back to the start")
            check(!app.controller.retry()) { "retry from Idle" }
        } finally {
            app.finish()
        }
    }

    private suspend fun wrongSecret() {
        val app = App(h.config(h.user("badsecret"), secret = "not-the-secret"))
        try {
            app.controller.signIn()
            val error = app.controller.awaitScreen<UiState.Error>("refused")
            expectEqual(ErrorCategory.FATAL, error.category, "category")
            expectEqual("bad_client_credentials", error.code, "code")
            expectEqual(false, error.canRetry, "canRetry")
            check("not-the-secret" !in error.toString()) { "the secret is on screen" }
            check(!app.controller.retry()) { "retry of a fatal error" }
        } finally {
            app.finish()
        }
    }

    private suspend fun emulatorAlias() {
        val storage = MemoryStorage()
        val app = App(h.config(h.user("alias")).copy(apiUrl = "http://10.0.2.2:8080"), storage)
        try {
            app.controller.signIn()
            val error = app.controller.awaitScreen<UiState.Error>("refused configuration")
            expectEqual(ErrorCategory.INVALID_INPUT, error.category, "category")
            expectEqual("The app is misconfigured (apiUrl).", error.message, "message")
            expectEqual(false, error.canRetry, "canRetry")
            check(storage.values.isEmpty()) { "a refused login was saved" }
        } finally {
            app.finish()
        }
    }

    private suspend fun timesOut() {
        val user = h.user("timeout")
        sandbox.script(user, "never")
        val app = App(h.config(user, timeoutMs = 1_500))
        try {
            app.controller.signIn()
            val error = app.controller.awaitScreen<UiState.Error>("timed out")
            expectEqual("timed_out", error.code, "code")
            expectEqual("Try again", error.retryLabel, "retry label")
        } finally {
            app.finish()
        }
    }

    private suspend fun replaces() {
        val user = h.user("replace")
        sandbox.script(user, "never")
        val storage = MemoryStorage()
        val app = App(h.config(user), storage)
        try {
            app.controller.signIn()
            val first = app.controller.awaitScreen<UiState.ShowWebView>("first bank page")
            app.controller.signIn()
            val second = app.controller.awaitScreen<UiState.ShowWebView>("second bank page") { it.url != first.url }
            // The first login was cancelled; its late snapshot writes must not win.
            eventually("the second login is saved") { h.savedScreen(storage, user) == second }
            delay(300)
            val restarted = App(h.config(user), storage)
            try {
                expectEqual(RestoreAction.RESUME, restarted.controller.restore(), "restore")
                restarted.controller.awaitScreen<UiState.ShowWebView>("the second login, restored") { it == second }
            } finally {
                restarted.kill()
            }
        } finally {
            app.finish()
        }
    }

    private fun strayDeepLinks() {
        val app = App(h.config(h.user("stray")))
        try {
            expectEqual(
                DeepLinkResult.NoLoginInProgress,
                app.controller.onDeepLink("${SampleConfig.REDIRECT_URL}?code=abc"),
                "no login",
            )
            app.controller.signIn()
            expectEqual(DeepLinkResult.NotOurs, app.controller.onDeepLink("https://app.example.com/settings"), "other path")
        } finally {
            app.finish()
        }
    }

    private suspend fun forgedCode() {
        val user = h.user("forged")
        sandbox.script(user, "page")
        val before = sandbox.successfulExchanges()
        val app = App(h.config(user))
        try {
            app.controller.signIn()
            val page = app.controller.awaitScreen<UiState.ShowWebView>("bank page")
            expectEqual(DeepLinkResult.Handled, app.controller.onDeepLink("${SampleConfig.REDIRECT_URL}?code=forged"), "link")
            // A redirect is only a hint: the provider's status says the user is still at the
            // bank, so the forged code is never exchanged and the login keeps waiting.
            delay(500)
            check(app.controller.ui.value is UiState.ShowWebView) { "left the bank page: ${app.controller.ui.value}" }
            expectEqual(before, sandbox.successfulExchanges(), "no exchange of the forged code")
            sandbox.decide(page.url, "approve")
            app.controller.awaitScreen<UiState.Success>("signed in with the session's own code")
            expectEqual(before + 1, sandbox.successfulExchanges(), "one exchange, the session's")
        } finally {
            app.finish()
        }
    }
}
