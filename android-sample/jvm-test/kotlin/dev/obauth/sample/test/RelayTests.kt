// The sample in relay mode, its default: the controller signs in through a real `obauth relay`
// (started by android-sample/scripts/test-jvm.sh) in front of the sandbox, with app tokens only.
package dev.obauth.sample.test

import dev.obauth.ErrorCategory
import dev.obauth.Secret
import dev.obauth.sample.core.FixedAppToken
import dev.obauth.sample.core.NoAppToken
import dev.obauth.sample.core.SampleConfig
import dev.obauth.sample.core.UiState
import dev.obauth.testing.AppTokens
import java.time.Instant

class SampleRelayTests(private val sandbox: SandboxControl, private val relayUrl: String) {
    private val tokens = AppTokens.fromProperties() ?: error("no -Dobauth.relayAppSecret")
    private var subjects = 0

    private fun subject(tag: String) = "sample-relay-$tag-${++subjects}-${System.nanoTime() % 100000}"

    /** The sample's default configuration, pointed at this run's relay, without partner secrets. */
    private fun config(appTokens: dev.obauth.ffi.AppTokenProvider) = SampleConfig(
        clientSecret = Secret(""),
        externalAppHosts = listOf(BANK_APP_HOST),
        relayUrl = relayUrl,
        appTokens = appTokens,
    )

    fun all(): List<Test> = listOf(
        Test("relay is the default: no client secret and no userHash leave the device") { defaults() },
        Test("relay: signs in by poll through the app's relay") { byPoll() },
        Test("relay: a refused app token ends in 'Sign in again', nothing exchanged") { refused() },
        Test("relay: no app token yet ends in 'Sign in again', nothing sent") { noToken() },
    )

    private fun defaults() {
        val config = SampleConfig()
        check(config.usesRelay) { "the default is partner mode" }
        expectEqual(SampleConfig.DEFAULT_RELAY_URL, config.relayUrl, "relayUrl")
        expectEqual("", config.supervisedLoginParams().userHash, "userHash sent in relay mode")
        val token = FixedAppToken(Secret("eyJ.secret-app-token"))
        check("secret-app-token" !in token.toString()) { "the app token prints" }
        check("secret-app-token" !in config.copy(appTokens = token).toString()) { "the config prints the app token" }
    }

    private suspend fun byPoll() {
        val sub = subject("poll")
        sandbox.script(tokens.userHash(sub), "approve", delayMs = 200)
        val before = sandbox.successfulExchanges()
        val app = App(config(FixedAppToken(Secret(tokens.mint(sub)))))
        try {
            app.controller.signIn()
            val success = app.controller.awaitScreen<UiState.Success>("signed in")
            check(success.sessionExpires.isAfter(Instant.now())) { "session already expired: $success" }
            expectEqual(before + 1, sandbox.successfulExchanges(), "exchanges")
        } finally {
            app.finish()
        }
    }

    private suspend fun refused() {
        val sub = subject("refused")
        val forged = tokens.mint(sub, secret = "not-the-app-secret-0123456789abcdef-0123")
        val before = sandbox.successfulExchanges()
        val app = App(config(FixedAppToken(Secret(forged))))
        try {
            app.controller.signIn()
            val error = app.controller.awaitScreen<UiState.Error>("refused")
            expectEqual(ErrorCategory.REAUTHENTICATE, error.category, "category")
            expectEqual("app_token_rejected", error.code, "code")
            expectEqual("Sign in again", error.retryLabel, "retry label")
            check(forged !in error.toString()) { "the app token is on screen" }
            expectEqual(before, sandbox.successfulExchanges(), "exchanges")
        } finally {
            app.finish()
        }
    }

    private suspend fun noToken() {
        val before = sandbox.successfulExchanges()
        val app = App(config(NoAppToken))
        try {
            app.controller.signIn()
            val error = app.controller.awaitScreen<UiState.Error>("no token")
            expectEqual(ErrorCategory.REAUTHENTICATE, error.category, "category")
            expectEqual("app_token_rejected", error.code, "code")
            expectEqual(before, sandbox.successfulExchanges(), "exchanges")
        } finally {
            app.finish()
        }
    }
}
