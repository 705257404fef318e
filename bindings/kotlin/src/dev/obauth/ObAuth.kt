// The idiomatic Kotlin layer over the generated bindings: the FFI crate's objects and records in
// package dev.obauth.ffi, and the core's own states, tokens, enums and errors (generated from
// obauth-protocol's UniFFI derives) in this package, dev.obauth.
//
// Why a layer: the generated API is callback-shaped (a StateObserver the host implements) and
// exceptions carry their category only in their subclass. Apps want coroutines: a
// Flow<LoginState> to collect from a ViewModel, suspend calls that respect structured
// concurrency, and `e.category` on any ObAuthException. Everything here is a thin adapter;
// decisions stay in the Rust core.
//
// Secrets: every secret in a record (ClientConfig and ClientCredentialsConfig: the client secret;
// SupervisedTokens and TokenSet: the tokens) is a Secret (Secret.kt), which prints "[redacted]";
// expose() gives the value, for the Keystore-backed storage or an Authorization header.
package dev.obauth

import dev.obauth.ffi.AuthorizationFlow
import dev.obauth.ffi.AuthorizationStateObserver
import dev.obauth.ffi.LogLevel
import dev.obauth.ffi.LogRecord
import dev.obauth.ffi.LogSink
import dev.obauth.ffi.Navigation
import dev.obauth.ffi.StateObserver
import dev.obauth.ffi.SupervisedLogin
import dev.obauth.ffi.SupervisedTokens
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow

// Re-exported so that apps import dev.obauth only.
typealias ObAuthClient = dev.obauth.ffi.ObAuthClient
typealias ClientConfig = dev.obauth.ffi.ClientConfig
typealias SupervisedLoginParams = dev.obauth.ffi.SupervisedLoginParams
typealias OidcClient = dev.obauth.ffi.OidcClient
typealias AuthorizationParams = dev.obauth.ffi.AuthorizationParams
typealias PkceConfig = dev.obauth.ffi.PkceConfig
typealias ClientCredentialsConfig = dev.obauth.ffi.ClientCredentialsConfig
typealias AppTokenProvider = dev.obauth.ffi.AppTokenProvider

/** What the app should do next about this error: the subclass, as an enum. */
val ObAuthException.category: ErrorCategory
    get() = when (this) {
        is ObAuthException.InvalidInput -> ErrorCategory.INVALID_INPUT
        is ObAuthException.RetryLater -> ErrorCategory.RETRY_LATER
        is ObAuthException.UserAction -> ErrorCategory.USER_ACTION
        is ObAuthException.Reauthenticate -> ErrorCategory.REAUTHENTICATE
        is ObAuthException.Fatal -> ErrorCategory.FATAL
    }

/** The stable machine-readable code (e.g. `bad_client_credentials`, `cancelled_by_user`). */
val ObAuthException.code: String
    get() = when (this) {
        is ObAuthException.InvalidInput -> code
        is ObAuthException.RetryLater -> code
        is ObAuthException.UserAction -> code
        is ObAuthException.Reauthenticate -> code
        is ObAuthException.Fatal -> code
    }

/** The human-readable explanation (never contains a secret). */
val ObAuthException.detail: String
    get() = when (this) {
        is ObAuthException.InvalidInput -> detail
        is ObAuthException.RetryLater -> detail
        is ObAuthException.UserAction -> detail
        is ObAuthException.Reauthenticate -> detail
        is ObAuthException.Fatal -> detail
    }

/** Whether the login has ended (no further state will come). */
val LoginState.isTerminal: Boolean
    get() = when (this) {
        is LoginState.Authenticated, is LoginState.Failed, is LoginState.Cancelled,
        LoginState.NotApplicable, LoginState.TimedOut -> true
        else -> false
    }

/** Whether the authorization flow has ended (no further state will come). */
val AuthorizationState.isTerminal: Boolean
    get() = when (this) {
        is AuthorizationState.Authenticated, is AuthorizationState.Failed,
        is AuthorizationState.Cancelled, AuthorizationState.TimedOut -> true
        else -> false
    }

/**
 * A flow's states as a cold Flow: [register] adds an observer that calls the given function;
 * the Flow completes after the terminal state. Unbounded buffer: a flow has a handful of states.
 */
private fun <S> statesOf(isTerminal: (S) -> Boolean, register: (deliver: (S) -> Unit) -> Unit): Flow<S> =
    callbackFlow {
        register { state ->
            trySend(state)
            if (isTerminal(state)) channel.close()
        }
        // The core stops calling the observer after the terminal state; nothing to unregister.
        awaitClose { }
    }.buffer(Channel.UNLIMITED)

/** Starts a flow and awaits its end; cancelling the calling coroutine cancels the flow. */
private suspend inline fun <T> startAndAwait(start: () -> Unit, cancel: () -> Unit, await: () -> T): T {
    start()
    try {
        return await()
    } catch (e: CancellationException) {
        cancel()
        throw e
    }
}

/**
 * Every state of the login from now on, in order, starting with the current one; the flow
 * completes after the terminal state. Cold: each collection registers its own observer. No
 * state is dropped (unbounded buffer: a login has a handful of states).
 */
fun SupervisedLogin.states(): Flow<LoginState> = statesOf(LoginState::isTerminal) { deliver ->
    addObserver(
        object : StateObserver {
            override fun onState(state: LoginState) = deliver(state)
        },
    )
}

/**
 * Starts the login (if not started) and suspends until it ends: the tokens, or an
 * [ObAuthException]. Structured concurrency: if the calling coroutine is cancelled, the login is
 * cancelled too (unlike [SupervisedLogin.awaitTokens], which leaves it running).
 */
suspend fun SupervisedLogin.signIn(): SupervisedTokens = startAndAwait(this::start, this::cancel) { awaitTokens() }

/**
 * Every state of the authorization flow (connect, PKCE) from now on, in order, starting with
 * the current one; the flow completes after the terminal state. Cold: each collection registers
 * its own observer. No state is dropped.
 */
fun AuthorizationFlow.states(): Flow<AuthorizationState> = statesOf(AuthorizationState::isTerminal) { deliver ->
    addObserver(
        object : AuthorizationStateObserver {
            override fun onState(state: AuthorizationState) = deliver(state)
        },
    )
}

/**
 * Starts the authorization flow (if not started) and suspends until it ends: the [TokenSet], or
 * an [ObAuthException]. Structured concurrency: if the calling coroutine is cancelled, the flow
 * is cancelled too (unlike [AuthorizationFlow.awaitTokens], which leaves it running).
 */
suspend fun AuthorizationFlow.signIn(): TokenSet = startAndAwait(this::start, this::cancel) { awaitTokens() }

/**
 * The answer for `WebViewClient.shouldOverrideUrlLoading`: `false` lets the WebView load it;
 * `true` keeps it out (this flow's redirect, already handed to the flow; a blocked URL; or an
 * app link / non-http scheme, handed to [openExternally], e.g.
 * `startActivity(Intent(Intent.ACTION_VIEW, Uri.parse(it)))`).
 */
private fun Navigation.overridesLoading(url: String, openExternally: (String) -> Unit): Boolean = when (this) {
    Navigation.Allow -> false
    Navigation.OpenExternally -> {
        openExternally(url)
        true
    }
    is Navigation.Intercept, Navigation.Block -> true
}

/**
 * `WebViewClient.shouldOverrideUrlLoading` for this login's WebView: the core's navigation policy
 * ([SupervisedLogin.decideFrameNavigation]; pass `request.isForMainFrame` as [isMainFrame]: a
 * subframe never delivers the redirect nor opens an app) as the Boolean Android asks for. `false`: load [url];
 * `true`: do not (the login's redirect, already handed to it; blocked; or given to
 * [openExternally]).
 */
fun SupervisedLogin.shouldOverrideUrlLoading(
    url: String,
    isMainFrame: Boolean = true,
    openExternally: (String) -> Unit,
): Boolean = decideFrameNavigation(url, isMainFrame).overridesLoading(url, openExternally)

/**
 * `WebViewClient.shouldOverrideUrlLoading` for this flow's WebView: the core's navigation policy
 * ([AuthorizationFlow.decideFrameNavigation]; pass `request.isForMainFrame` as [isMainFrame]) as
 * the Boolean Android asks for. `false`: load [url];
 * `true`: do not (the flow's redirect, already handed to it; blocked; or given to
 * [openExternally]).
 */
fun AuthorizationFlow.shouldOverrideUrlLoading(
    url: String,
    isMainFrame: Boolean = true,
    openExternally: (String) -> Unit,
): Boolean = decideFrameNavigation(url, isMainFrame).overridesLoading(url, openExternally)

/** Sends the core's logs (secrets already redacted) at [level] and above to [sink]. */
fun setLogSink(level: LogLevel, sink: (LogRecord) -> Unit) {
    dev.obauth.ffi.setLogSink(
        object : LogSink {
            override fun log(record: LogRecord) = sink(record)
        },
        level,
    )
}
