// Printing a record that carries a secret never prints the secret. A record's generated
// toString() (Kotlin data class) prints every field, so every secret field (client secret;
// access, refresh, ID and login tokens) has a type whose toString() is "[redacted]" and whose
// value comes out only through an explicit expose(). Each record is built with a known marker in
// every secret field; the marker must not appear however the record is printed: toString(),
// string templates, inside collections and String.format.
package dev.obauth.test

import dev.obauth.ClientAuth
import dev.obauth.ClientConfig
import dev.obauth.ClientCredentialsConfig
import dev.obauth.CodeSource
import dev.obauth.Secret
import dev.obauth.TokenSet
import dev.obauth.ffi.SupervisedTokens
import java.time.Instant

/** A secret as the record fields take it. */
private fun secret(value: String) = Secret(value)

/** Every way an app or a crash reporter commonly turns a value into text. */
private fun printed(value: Any): List<String> = listOf(
    value.toString(),
    "$value",
    listOf(value).toString(),
    mapOf("value" to value).toString(),
    String.format("%s", value),
    arrayOf(value).contentToString(),
)

private fun expectHidden(what: String, value: Any, vararg markers: String) {
    for (text in printed(value)) {
        for (marker in markers) check(marker !in text) { "$what printed the secret $marker: $text" }
    }
}

class RedactionTests : Suite() {
    private val clientConfig = test("redaction: ClientConfig prints no client secret") {
        val config = ClientConfig(apiUrl = "https://api.example.com", clientId = "id", clientSecret = secret("MARKER-client-secret"))
        expectHidden("ClientConfig", config, "MARKER-client-secret")
        expectHidden("ClientConfig.copy", config.copy(clientId = "other"), "MARKER-client-secret")
        expectEqual("MARKER-client-secret", config.clientSecret.expose(), "expose()")
    }

    private val clientCredentialsConfig = test("redaction: ClientCredentialsConfig prints no client secret") {
        val config = ClientCredentialsConfig(
            clientId = "id",
            clientSecret = secret("MARKER-cc-secret"),
            clientAuth = ClientAuth.BASIC,
            issuer = "https://id.example.com",
        )
        expectHidden("ClientCredentialsConfig", config, "MARKER-cc-secret")
        expectEqual("MARKER-cc-secret", config.clientSecret.expose(), "expose()")
    }

    private val tokenSet = test("redaction: TokenSet prints no access, refresh or ID token") {
        val tokens = TokenSet(
            accessToken = secret("MARKER-access"),
            expiresAt = Instant.ofEpochSecond(1_900_000_000),
            refreshToken = secret("MARKER-refresh"),
            scope = "accounts",
            idToken = secret("MARKER-id"),
            consentId = "consent",
        )
        expectHidden("TokenSet", tokens, "MARKER-access", "MARKER-refresh", "MARKER-id")
        expectEqual("MARKER-refresh", tokens.refreshToken?.expose(), "expose()")
    }

    private val supervisedTokens = test("redaction: SupervisedTokens prints no access or login token") {
        val tokens = SupervisedTokens(
            accessToken = secret("MARKER-session"),
            accessTokenExpires = Instant.ofEpochSecond(1_900_000_000),
            loginToken = secret("MARKER-login"),
            loginTokenExpires = Instant.ofEpochSecond(1_900_086_400),
            providerId = "DemoBank",
            supportsUnattended = true,
            label = "label",
            subjectId = null,
            completedVia = CodeSource.REDIRECT,
        )
        expectHidden("SupervisedTokens", tokens, "MARKER-session", "MARKER-login")
        expectEqual("MARKER-login", tokens.loginToken.expose(), "expose()")
    }

    private val secretItself = test("redaction: a Secret prints [redacted]; expose() gives the value; equal by value") {
        val secret = Secret("MARKER-secret")
        expectHidden("Secret", secret, "MARKER-secret")
        expectEqual("[redacted]", secret.toString(), "toString()")
        expectEqual("MARKER-secret", secret.expose(), "expose()")
        expectEqual(Secret("MARKER-secret"), secret, "equality")
        expectEqual(Secret("MARKER-secret").hashCode(), secret.hashCode(), "hashCode")
        check(Secret("other") != secret) { "different secrets are equal" }
    }
}
