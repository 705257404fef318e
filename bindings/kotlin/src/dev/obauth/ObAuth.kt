// The idiomatic Kotlin layer over the generated bindings (package dev.obauth.ffi).
//
// Why a layer: the generated API is callback-shaped (a StateObserver the host implements) and
// exceptions carry their category only in their subclass. Apps want coroutines: a
// Flow<LoginState> to collect from a ViewModel, suspend calls that respect structured
// concurrency, and `e.category` on any ObAuthException. Everything here is a thin adapter;
// decisions stay in the Rust core.
//
// Secrets: SupervisedTokens holds the access and login tokens as plain strings. Put them in the
// Android Keystore-backed storage at once and never log the record (its generated toString()
// prints every field). The same holds for ClientConfig, which carries the client secret.
package dev.obauth

import dev.obauth.ffi.ErrorCategory
import dev.obauth.ffi.LogLevel
import dev.obauth.ffi.LogRecord
import dev.obauth.ffi.LogSink
import dev.obauth.ffi.LoginState
import dev.obauth.ffi.ObAuthException
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

/**
 * Every state of the login from now on, in order, starting with the current one; the flow
 * completes after the terminal state. Cold: each collection registers its own observer. No
 * state is dropped (unbounded buffer: a login has a handful of states).
 */
fun SupervisedLogin.states(): Flow<LoginState> = callbackFlow {
    val observer = object : StateObserver {
        override fun onState(state: LoginState) {
            trySend(state)
            if (state.isTerminal) channel.close()
        }
    }
    addObserver(observer)
    // The core stops calling the observer after the terminal state; nothing to unregister.
    awaitClose { }
}.buffer(Channel.UNLIMITED)

/**
 * Starts the login (if not started) and suspends until it ends: the tokens, or an
 * [ObAuthException]. Structured concurrency: if the calling coroutine is cancelled, the login is
 * cancelled too (unlike [SupervisedLogin.awaitTokens], which leaves it running).
 */
suspend fun SupervisedLogin.signIn(): SupervisedTokens {
    start()
    try {
        return awaitTokens()
    } catch (e: CancellationException) {
        cancel()
        throw e
    }
}

/** Sends the core's logs (secrets already redacted) at [level] and above to [sink]. */
fun setLogSink(level: LogLevel, sink: (LogRecord) -> Unit) {
    dev.obauth.ffi.setLogSink(
        object : LogSink {
            override fun log(record: LogRecord) = sink(record)
        },
        level,
    )
}
