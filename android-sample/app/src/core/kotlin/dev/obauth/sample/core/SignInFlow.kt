// The seam between the controller and the SDK's flows. The supervised login is the one flow
// today; a connect (authorization-code) flow becomes a second implementation of SignInFlow and
// SignInFlowFactory, and the controller, the screens and the Android glue stay as they are.
package dev.obauth.sample.core

import dev.obauth.LoginState
import dev.obauth.ffi.SecureStorage
import dev.obauth.isTerminal
import kotlinx.coroutines.flow.Flow

/** One sign-in of the SDK, as the controller drives it. Methods may be called from any thread. */
interface SignInFlow : AutoCloseable {
    /** Begins (does nothing if already begun). */
    fun start()

    /** Continues a flow restored from its snapshot (polling, an exchange in flight). */
    fun resume()

    /** The screens from the current state on; completes after the terminal state. */
    fun screens(): Flow<UiState>

    /** What to do with this flow when it was restored at launch. */
    fun onRestore(): RestoreAction

    /**
     * The core's navigation policy for a URL the WebView is about to load, in the main frame or
     * (`mainFrame = false`, `WebResourceRequest.isForMainFrame`) a subframe.
     */
    fun navigation(url: String, mainFrame: Boolean = true): NavigationAction

    /** Hands an App Link (or any URL the app was opened with) to the flow. */
    fun deepLink(url: String): DeepLinkResult

    /** Ends the flow; nothing is exchanged afterwards. No-op once finished. */
    fun cancel()

    /** Saves the snapshot under [key] now and after every state change. */
    fun persistTo(storage: SecureStorage, key: String)
}

/** Creates and restores one kind of flow. */
interface SignInFlowFactory : AutoCloseable {
    /**
     * Where this kind of flow keeps its snapshot. One key per kind: a snapshot restores only as
     * the kind that wrote it.
     */
    val storageKey: String

    /** A new flow, not started. Throws ObAuthException for a bad configuration. */
    fun create(): SignInFlow

    /** The flow a snapshot describes. Throws ObAuthException.InvalidInput if it is unreadable. */
    fun restore(snapshot: String): SignInFlow
}

/** What a flow restored at launch is good for. */
enum class RestoreAction {
    /** In progress when the app died: continue it (and show its current screen). */
    RESUME,

    /** Finished with tokens: show the signed-in screen; nothing to continue. */
    SHOW,

    /**
     * Nothing worth showing: never started, or ended without tokens before the app died (the
     * user saw that then). Removed from storage.
     */
    DISCARD,
}

object RestorePolicy {
    fun forLoginState(state: LoginState): RestoreAction = when {
        state is LoginState.Authenticated -> RestoreAction.SHOW
        state is LoginState.Created || state.isTerminal -> RestoreAction.DISCARD
        else -> RestoreAction.RESUME
    }
}
