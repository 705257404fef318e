// What the sample signs in with. Plain Kotlin (no Android SDK), shared by the app and the JVM
// tests in android-sample/jvm-test.
package dev.obauth.sample.core

import dev.obauth.ClientConfig
import dev.obauth.Secret
import dev.obauth.SupervisedLoginParams

/**
 * The provider, the app's credentials and the user.
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
) {
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
        userHash = userHash,
        redirectUrl = redirectUrl,
        pollTimeoutMs = pollTimeoutMs?.toULong(),
        timeoutMs = timeoutMs?.toULong(),
    )

    companion object {
        const val REDIRECT_URL = "https://app.example.com/aiia/callback"
    }
}
