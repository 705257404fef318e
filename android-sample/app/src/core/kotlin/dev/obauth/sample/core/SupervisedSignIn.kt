// The supervised login (Aiia Enterprise) as a SignInFlow: one line per method, every decision
// is the core's.
package dev.obauth.sample.core

import dev.obauth.ObAuthClient
import dev.obauth.ffi.SecureStorage
import dev.obauth.ffi.SupervisedLogin
import dev.obauth.states
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.map

class SupervisedSignIn(private val login: SupervisedLogin) : SignInFlow {
    override fun start() = login.start()

    override fun resume() = login.resume()

    override fun screens(): Flow<UiState> = login.states().map(UiMapping::fromLoginState)

    override fun onRestore(): RestoreAction = RestorePolicy.forLoginState(login.state())

    override fun navigation(url: String, mainFrame: Boolean): NavigationAction =
        NavigationAction.of(url, login.decideFrameNavigation(url, mainFrame))

    override fun deepLink(url: String): DeepLinkResult = DeepLinkResult.of(login.handleRedirect(url))

    override fun cancel() = login.cancel()

    override fun persistTo(storage: SecureStorage, key: String) = login.persistTo(storage, key)

    override fun close() = login.close()
}

/**
 * Supervised logins of one client. The client is built on first use, so that a bad
 * configuration surfaces as an error screen (InvalidInput naming the field) instead of a crash
 * at start-up; a failed build is tried again on the next use.
 */
class SupervisedSignInFactory(private val config: SampleConfig) : SignInFlowFactory {
    override val storageKey = "obauth.sample.supervised-login"

    private var built: ObAuthClient? = null

    @Synchronized
    private fun client(): ObAuthClient = built ?: config.client().also { built = it }

    override fun create(): SignInFlow = SupervisedSignIn(client().supervisedLogin(config.supervisedLoginParams()))

    override fun restore(snapshot: String): SignInFlow = SupervisedSignIn(client().restoreSupervisedLogin(snapshot))

    @Synchronized
    override fun close() {
        built?.close()
        built = null
    }
}
