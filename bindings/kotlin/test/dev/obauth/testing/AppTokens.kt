// What the integrator's back end and the relay compute, for tests that talk to a real
// `obauth relay`: HS256 app tokens (javax.crypto) and the userHash the relay derives from a
// token's subject. No dependencies beyond the JDK, so the sample's JVM tests compile it too
// (android-sample/scripts/test-jvm.sh).
package dev.obauth.testing

import java.nio.ByteBuffer
import java.util.Base64
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec

/** Mints app tokens signed with [appSecret] for [audience]; derives userHashes with [relayKey]. */
class AppTokens(private val appSecret: String, private val audience: String, private val relayKey: String) {
    private fun b64(bytes: ByteArray) = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)

    private fun hmac(key: String, vararg parts: ByteArray): ByteArray {
        val mac = Mac.getInstance("HmacSHA256")
        mac.init(SecretKeySpec(key.toByteArray(), "HmacSHA256"))
        parts.forEach(mac::update)
        return mac.doFinal()
    }

    /** An HS256 app token for [sub], valid for [expiresIn] seconds (negative: already expired). */
    fun mint(sub: String, expiresIn: Long = 600, audience: String = this.audience, secret: String = appSecret): String {
        val exp = System.currentTimeMillis() / 1000 + expiresIn
        val header = b64("""{"alg":"HS256","typ":"JWT"}""".toByteArray())
        val claims = b64("""{"sub":"$sub","aud":"$audience","exp":$exp}""".toByteArray())
        val signature = b64(hmac(secret, "$header.$claims".toByteArray()))
        return "$header.$claims.$signature"
    }

    /** The userHash the relay derives for [sub] (no issuer): HMAC-SHA256 over label and lengths. */
    fun userHash(sub: String): String {
        fun framed(s: String): ByteArray {
            val bytes = s.toByteArray()
            return ByteBuffer.allocate(4 + bytes.size).putInt(bytes.size).put(bytes).array()
        }
        val digest = hmac(relayKey, "obauth-relay/v1/user-hash\u0000".toByteArray(), framed(""), framed(sub))
        return digest.joinToString("") { "%02x".format(it) }
    }

    companion object {
        /** From the -Dobauth.relay* properties the test scripts pass; null without a relay. */
        fun fromProperties(): AppTokens? {
            val secret = System.getProperty("obauth.relayAppSecret") ?: return null
            return AppTokens(
                appSecret = secret,
                audience = System.getProperty("obauth.relayAudience") ?: error("no -Dobauth.relayAudience"),
                relayKey = System.getProperty("obauth.relayKey") ?: error("no -Dobauth.relayKey"),
            )
        }
    }
}
