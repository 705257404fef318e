// Holds the sign-in across configuration changes and connects the plain-Kotlin controller to
// Android: the Keystore storage, the ViewModel's scope, the build's API URL.
package dev.obauth.sample.android

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import dev.obauth.sample.BuildConfig
import dev.obauth.sample.core.DeepLinkResult
import dev.obauth.sample.core.NavigationAction
import dev.obauth.Secret
import dev.obauth.sample.core.FixedAppToken
import dev.obauth.sample.core.SampleConfig
import dev.obauth.sample.core.SignInController
import dev.obauth.sample.core.SupervisedSignInFactory
import dev.obauth.sample.core.UiState
import kotlinx.coroutines.flow.StateFlow

/**
 * Restores from the snapshot in Keystore-backed storage, not from a SavedStateHandle: the
 * snapshot holds secrets, and a SavedStateHandle's Bundle is written to disk unencrypted by the
 * system; storage also survives what a Bundle does not (a cold start from an App Link after the
 * task was swiped away).
 */
class SignInViewModel(application: Application) : AndroidViewModel(application) {
    private val controller = SignInController(
        flows = SupervisedSignInFactory(
            SampleConfig(
                apiUrl = BuildConfig.OBAUTH_API_URL,
                relayUrl = BuildConfig.OBAUTH_RELAY_URL,
                appTokens = FixedAppToken(Secret(BuildConfig.OBAUTH_APP_TOKEN)),
            ),
        ),
        storage = KeystoreStorage(application),
        scope = viewModelScope,
    )

    val ui: StateFlow<UiState> = controller.ui

    init {
        // Before the Activity hands over the intent it was started with: an App Link that
        // relaunched the app after process death must find the restored login.
        controller.restore()
    }

    fun signIn() = controller.signIn()

    fun retry() = controller.retry()

    fun cancel() = controller.cancel()

    fun signOut() = controller.signOut()

    fun onNavigation(url: String, mainFrame: Boolean): NavigationAction = controller.onNavigation(url, mainFrame)

    fun onDeepLink(url: String): DeepLinkResult = controller.onDeepLink(url)

    override fun onCleared() = controller.close()
}
