// The sample's sign-in logic, free of the Android SDK: it owns the flow's lifecycle and turns it
// into one StateFlow<UiState>. The Android ViewModel wraps it; the JVM tests drive it against
// the real library and a live sandbox.
package dev.obauth.sample.core

import dev.obauth.ObAuthException
import dev.obauth.code
import dev.obauth.ffi.SecureStorage
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/**
 * Owns at most one flow at a time.
 *
 * - [restore] at launch, before handling the launch's deep link: a login the OS killed while the
 *   user was at the bank continues from its snapshot in [storage]; a finished one shows as
 *   signed in.
 * - [signIn] / [retry] start a new flow (replacing any other), persisted to [storage] from the
 *   first moment, so the app may die at any point after.
 * - [onNavigation] and [onDeepLink] hand URLs to the flow's core and say what the glue must do.
 * - [ui] follows the flow's states; the glue only renders it.
 *
 * Thread-safe; the states are collected in [scope] (the ViewModel's scope on Android).
 */
class SignInController(
    private val flows: SignInFlowFactory,
    private val storage: SecureStorage,
    private val scope: CoroutineScope,
) : AutoCloseable {
    private class Active(val flow: SignInFlow, val storage: RetirableStorage, val job: Job)

    private val lock = Any()
    private var current: Active? = null
    private val state = MutableStateFlow<UiState>(UiState.Idle)

    /** The screen to show. */
    val ui: StateFlow<UiState> = state.asStateFlow()

    /**
     * Picks up the saved flow, if any. Returns what was done with it, or null if nothing was
     * saved (or storage failed, which [ui] then shows). Call once, at launch.
     */
    fun restore(): RestoreAction? {
        val snapshot = try {
            storage.load(flows.storageKey)
        } catch (e: Exception) {
            show(storageError(e))
            return null
        } ?: return null
        val flow = try {
            flows.restore(snapshot)
        } catch (e: ObAuthException) {
            if (e.code !in UNREADABLE_SNAPSHOT) {
                // The app, not the snapshot, is at fault (e.g. a misconfigured API URL): keep the
                // saved login for a fixed build and say what is wrong.
                show(UiMapping.fromError(e))
                return null
            }
            // Corrupt, written by a newer app version, or for another client id: nothing to continue.
            forget()
            return RestoreAction.DISCARD
        }
        val action = flow.onRestore()
        if (action == RestoreAction.DISCARD) {
            flow.close()
            forget()
            return action
        }
        if (activate(flow) && action == RestoreAction.RESUME) flow.resume()
        return action
    }

    /** Starts a new sign-in, cancelling one in progress. */
    fun signIn() {
        retire(cancel = true)
        show(UiState.Loading("Starting…"))
        val flow = try {
            flows.create()
        } catch (e: ObAuthException) {
            show(UiMapping.fromError(e))
            return
        }
        if (activate(flow)) flow.start()
    }

    /** Starts again if the error on screen allows it; returns whether it did. */
    fun retry(): Boolean {
        val error = ui.value as? UiState.Error ?: return false
        if (!error.canRetry) return false
        signIn()
        return true
    }

    /** The user gave up: the flow ends as cancelled by the app and the screen goes back to Idle. */
    fun cancel() {
        val active = synchronized(lock) { current }
        if (active == null) show(UiState.Idle) else active.flow.cancel()
    }

    /** Forgets the sign-in: the flow and its snapshot (which holds the tokens) are gone. */
    fun signOut() {
        retire(cancel = true)
        forget()
        show(UiState.Idle)
    }

    /**
     * What the WebView must do with [url], in the main frame or a subframe ([mainFrame] false:
     * never the redirect, never anything outside the app). Without a flow, nothing is loaded.
     */
    fun onNavigation(url: String, mainFrame: Boolean = true): NavigationAction =
        synchronized(lock) { current }?.flow?.navigation(url, mainFrame) ?: NavigationAction.Blocked

    /** Hands a URL the app was opened with (App Link / Universal Link) to the flow. */
    fun onDeepLink(url: String): DeepLinkResult =
        synchronized(lock) { current }?.flow?.deepLink(url) ?: DeepLinkResult.NoLoginInProgress

    /**
     * Lets go of the flow without cancelling it (the ViewModel is cleared). Its snapshot stays
     * saved, and so do the saves still on their way (nothing replaces this flow), so the next
     * launch resumes it where it got to; the deadline still applies.
     */
    override fun close() {
        retire(cancel = false, dropLateSaves = false)
        flows.close()
    }

    /** Makes [flow] the current one: persisted first, then its states drive [ui]. */
    private fun activate(flow: SignInFlow): Boolean {
        retire(cancel = true)
        val guarded = RetirableStorage(storage)
        try {
            flow.persistTo(guarded, flows.storageKey)
        } catch (e: ObAuthException) {
            // Without a saved snapshot the login would not survive the app being killed.
            flow.close()
            show(UiMapping.fromError(e))
            return false
        }
        lateinit var active: Active
        val job = scope.launch(start = CoroutineStart.LAZY) {
            flow.screens().collect { screen ->
                synchronized(lock) { if (current === active) state.value = screen }
            }
        }
        active = Active(flow, guarded, job)
        synchronized(lock) { current = active }
        job.start()
        return true
    }

    /**
     * Drops the current flow: its states are ignored from now on and, when another flow takes
     * its storage key (or none should have it), its late snapshot writes are discarded.
     */
    private fun retire(cancel: Boolean, dropLateSaves: Boolean = true) {
        val old = synchronized(lock) { current.also { current = null } } ?: return
        if (dropLateSaves) old.storage.retire()
        if (cancel) old.flow.cancel()
        old.job.cancel()
        // Released only once the collector has stopped: a collection that was just starting
        // still registers its observer (Flow producers start atomically), which needs the object.
        old.job.invokeOnCompletion { old.flow.close() }
    }

    private fun forget() {
        try {
            storage.remove(flows.storageKey)
        } catch (e: Exception) {
            show(storageError(e))
        }
    }

    private fun show(screen: UiState) = synchronized(lock) { state.value = screen }

    private companion object {
        /** The codes of `restoreSupervisedLogin` for a snapshot that can never be restored. */
        val UNREADABLE_SNAPSHOT = setOf("invalid_snapshot", "unsupported_snapshot_version")
    }

    private fun storageError(e: Exception): UiState.Error = UiMapping.fromError(
        e as? ObAuthException ?: ObAuthException.RetryLater("storage", e.message ?: e.toString(), null, null),
    )
}
