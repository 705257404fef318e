// What the controller tests share: sample configs for the sandbox, controllers with their own
// coroutine scope (a "process"), and waiting for a screen.
package dev.obauth.sample.test

import dev.obauth.Secret
import dev.obauth.ffi.SecureStorage
import dev.obauth.sample.core.MemoryStorage
import dev.obauth.sample.core.SampleConfig
import dev.obauth.sample.core.SignInController
import dev.obauth.sample.core.SupervisedSignInFactory
import dev.obauth.sample.core.UiState
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withTimeoutOrNull

const val BANK_APP_HOST = "mobilebank.example.com"

class Harness(val sandbox: SandboxControl) {
    private var users = 0

    /** A fresh userHash per login, so sandbox scripts never leak between tests. */
    fun user(tag: String) = "sample-$tag-${++users}-${System.nanoTime() % 100000}".take(64)

    /** The first screen of the login saved in [storage], restored by a throwaway client. */
    suspend fun savedScreen(storage: SecureStorage, user: String): UiState? {
        val probe = SupervisedSignInFactory(config(user))
        try {
            val snapshot = storage.load(probe.storageKey) ?: return null
            return probe.restore(snapshot).use { it.screens().first() }
        } finally {
            probe.close()
        }
    }

    /** Partner mode against the sandbox (the relay-mode tests are in RelayTests). */
    fun config(user: String, secret: String = "sandbox-client-secret", timeoutMs: Long? = null) = SampleConfig(
        relayUrl = null,
        apiUrl = sandbox.baseUrl,
        clientSecret = Secret(secret),
        userHash = user,
        externalAppHosts = listOf(BANK_APP_HOST),
        webHosts = listOf("bank.example.com"),
        externalSchemes = listOf("tel", "bankid"),
        pollTimeoutMs = if (timeoutMs != null) 1_000 else null,
        timeoutMs = timeoutMs,
    )
}

/** A controller in its own scope, as the ViewModel has one; [kill] ends both like process death. */
class App(config: SampleConfig, val storage: SecureStorage = MemoryStorage()) {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val controller = SignInController(SupervisedSignInFactory(config), storage, scope)

    /** The OS kills the process: nothing is cancelled, nothing more runs. */
    fun kill() {
        controller.close()
        scope.cancel()
    }

    /** The user leaves for good: cancel what runs, then release. */
    fun finish() {
        controller.cancel()
        kill()
    }
}

/** Waits for the first screen that matches, failing with the last screen seen. */
suspend inline fun <reified T : UiState> SignInController.awaitScreen(
    what: String,
    timeoutMs: Long = 20_000,
    crossinline matches: (T) -> Boolean = { true },
): T {
    val screen = withTimeoutOrNull(timeoutMs) { ui.first { it is T && matches(it) } }
    return screen as? T ?: throw TestFailure("$what: still on ${ui.value} after $timeoutMs ms")
}

/** Retries [block] until it returns true (for things that trail by design, e.g. the last save). */
suspend fun eventually(what: String, block: suspend () -> Boolean) {
    repeat(150) {
        if (block()) return
        delay(20)
    }
    throw TestFailure("$what: never happened")
}
