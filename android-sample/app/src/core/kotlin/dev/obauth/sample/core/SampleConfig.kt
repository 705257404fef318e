// What the sample signs in with. Plain Kotlin (no Android SDK), shared by the app and the JVM
// tests in android-sample/jvm-test.
package dev.obauth.sample.core

import dev.obauth.ClientConfig
import dev.obauth.ObAuthClient
import dev.obauth.ObAuthException
import dev.obauth.Secret
import dev.obauth.SupervisedLoginParams
import dev.obauth.ffi.AppTokenProvider

/**
 * The provider, the app's credentials and the user.
 *
 * Relay mode is the default, as in production: the app talks to its relay (`obauth relay`,
 * [relayUrl]), which holds the partner credentials and derives the user from the app's own
 * token ([appTokens]); the device holds no client secret and no userHash. With `relayUrl = null`
 * the partner fields below are used instead (local experiments against the sandbox only: a
 * secret in an APK is a secret anyone can read).
 *
 * Why `http://127.0.0.1:8080` and not the emulator's `10.0.2.2` alias for the host: the core
 * refuses plain http to any host that is not loopback (`ObAuthException.InvalidInput`, field
 * `apiUrl`), and `10.0.2.2` is not loopback. `adb reverse tcp:8080 tcp:8080` makes the
 * emulator's own 127.0.0.1:8080 reach the sandbox on the host (see the README).
 */
data class SampleConfig(
    val apiUrl: String = "http://127.0.0.1:8080",
    val clientId: String = "sandbox-client-id",
    /**
     * A sandbox credential. A real app gets its secret from its own back end, never a literal. A
     * [Secret]: this class's toString() prints it as `[redacted]`, as ClientConfig's does.
     */
    val clientSecret: Secret = Secret("sandbox-client-secret"),
    /** `^[a-zA-Z0-9-]{8,64}$`: identifies the user at the provider. */
    val userHash: String = "sample-user-0001",
    /** The App Link registered in the manifest (intent filter with autoVerify). */
    val redirectUrl: String = REDIRECT_URL,
    /** Banks' app-link domains: their links leave the WebView for the bank's app. */
    val externalAppHosts: List<String> = emptyList(),
    /** Banks' login domains the WebView may show (besides the provider's page); others are blocked. */
    val webHosts: List<String> = emptyList(),
    /** App schemes (e.g. `bankid`) the WebView may hand to the OS; others are blocked. */
    val externalSchemes: List<String> = emptyList(),
    /**
     * The snapshot integrity key (at least 32 characters). A real app generates it once and keeps
     * it in the Android Keystore-backed storage, apart from the snapshot; null: unsealed snapshots.
     */
    val snapshotKey: Secret? = null,
    /** Long-poll window; null: the core's default (30 s). */
    val pollTimeoutMs: Long? = null,
    /** Overall deadline; null: the core's default (15 min). */
    val timeoutMs: Long? = null,
    /** The app's relay; null: partner mode (the fields above). `adb reverse tcp:8081 tcp:8081`. */
    val relayUrl: String? = DEFAULT_RELAY_URL,
    /** Relay mode: the app's own token, from the app's sign-in (its back end issues it). */
    val appTokens: AppTokenProvider = NoAppToken,
) {
    /** Whether the sample talks to its relay (the default). */
    val usesRelay: Boolean get() = relayUrl != null

    /** The client of this configuration: through the relay, or with partner credentials. */
    fun client(): ObAuthClient = when (val relay = relayUrl) {
        null -> ObAuthClient(clientConfig())
        else -> ObAuthClient.relay(
            relay,
            appTokens,
            externalAppHosts = externalAppHosts,
            webHosts = webHosts,
            externalSchemes = externalSchemes,
            snapshotKey = snapshotKey,
        )
    }

    /** Partner mode's configuration (not used in relay mode). */
    fun clientConfig() = ClientConfig(
        apiUrl = apiUrl,
        clientId = clientId,
        clientSecret = clientSecret,
        externalAppHosts = externalAppHosts,
        webHosts = webHosts,
        externalSchemes = externalSchemes,
        snapshotKey = snapshotKey,
    )

    fun supervisedLoginParams() = SupervisedLoginParams(
        // Relay mode: the relay derives the user from the app token.
        userHash = if (usesRelay) "" else userHash,
        redirectUrl = redirectUrl,
        pollTimeoutMs = pollTimeoutMs?.toULong(),
        timeoutMs = timeoutMs?.toULong(),
    )

    companion object {
        const val REDIRECT_URL = "https://app.example.com/aiia/callback"
        /** `obauth relay --listen 127.0.0.1:8081 …` on the host (see the README). */
        const val DEFAULT_RELAY_URL = "http://127.0.0.1:8081"
    }
}

/** No app token yet (the user has not signed in to the app): every login ends in "Sign in again". */
object NoAppToken : AppTokenProvider {
    override fun appToken(forceRefresh: Boolean): Secret =
        throw ObAuthException.Reauthenticate("app_token_rejected", "sign in to the app first", null)
}

/**
 * One app token handed to the sample (a development build's `obauthAppToken`): there is no
 * fresher one to ask for, so a token the relay refuses ends the login in "Sign in again". A real
 * app asks its back end for a new token when `forceRefresh` is set.
 */
class FixedAppToken(private val token: Secret) : AppTokenProvider {
    override fun appToken(forceRefresh: Boolean): Secret {
        if (forceRefresh || token.expose().isEmpty()) return NoAppToken.appToken(forceRefresh)
        return token
    }

    override fun toString() = "FixedAppToken([redacted])"
}
