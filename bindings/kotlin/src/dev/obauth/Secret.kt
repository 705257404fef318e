// The Kotlin face of the core's `Secret` (a UniFFI custom type; root uniffi.toml maps it here).
package dev.obauth

/**
 * A value that must never be printed: a client secret, or an access, refresh, ID or login token.
 *
 * [toString] is `[redacted]`, so a record that holds one ([ClientConfig], [ClientCredentialsConfig],
 * `TokenSet`, `SupervisedTokens`) prints no secret in its generated `toString()`: a
 * `Log.d("$tokens")` or a crash report shows `accessToken=[redacted]`. The value comes out only
 * through [expose]; call it where it goes into secure storage or an `Authorization` header.
 * Equal when the values are equal.
 */
class Secret(private val value: String) {
    /** The secret value itself. Never log it. */
    fun expose(): String = value

    override fun toString(): String = REDACTED

    override fun equals(other: Any?): Boolean = other is Secret && other.value == value

    override fun hashCode(): Int = value.hashCode()

    private companion object {
        const val REDACTED = "[redacted]"
    }
}
