// Token sets and TokenManager through the Kotlin bindings, against the sandbox: client
// credentials (Post with a token URL, Basic through discovery), the fresh-token call with
// single-flight renewal, forceRenewal and a revoked grant, supervised-session tokens with a
// sliding expiry, and persistTo with host storage.
package dev.obauth.test

import dev.obauth.ClientAuth
import dev.obauth.ClientCredentialsConfig
import dev.obauth.CodeSource
import dev.obauth.ErrorCategory
import dev.obauth.ObAuthException
import dev.obauth.OidcClient
import dev.obauth.Secret
import dev.obauth.TokenSet
import dev.obauth.category
import dev.obauth.code
import dev.obauth.detail
import dev.obauth.ffi.SupervisedTokens
import dev.obauth.ffi.tokenSetFromJson
import dev.obauth.ffi.tokenSetToJson
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import java.io.IOException
import java.time.Instant
import java.time.temporal.ChronoUnit

/** Now, to the millisecond: the core's instants carry milliseconds. */
private fun nowMs(): Instant = Instant.now().truncatedTo(ChronoUnit.MILLIS)

class TokenTests(private val sandbox: Sandbox) : Suite() {
    private fun client() = sandboxClient(sandbox)

    private fun credentials(
        auth: ClientAuth,
        tokenUrl: String? = null,
        issuer: String? = null,
        secret: String = sandbox.clientSecret,
        scope: String? = null,
    ) = ClientCredentialsConfig(
        clientId = sandbox.clientId,
        clientSecret = Secret(secret),
        clientAuth = auth,
        tokenUrl = tokenUrl,
        issuer = issuer,
        scope = scope,
    )

    private val clientCredentialsPost = test("client credentials: Post with a token URL; the token is reused until it nears expiry") {
        val grants = sandbox.stat("clientCredentialsGrants")
        val posts = sandbox.stat("clientSecretPostRequests")
        val manager = OidcClient().clientCredentials(
            credentials(ClientAuth.POST, tokenUrl = "${sandbox.baseUrl}/connect/token", scope = "banking.ais.read"),
        )
        expectEqual(null, manager.current(), "current() before the first token")
        val token = manager.freshToken().seen()
        check(token.accessToken.expose().isNotEmpty()) { "empty access token" }
        expectEqual(null, token.refreshToken, "refresh token (client credentials have none)")
        expectEqual("banking.ais.read", token.scope, "scope")
        check(token.expiresAt?.isAfter(Instant.now().plusSeconds(600)) == true) { "expiresAt ${token.expiresAt}" }
        expectEqual(token, manager.freshToken().seen(), "the second freshToken()")
        expectEqual(1uL, manager.renewals(), "renewals")
        expectEqual(grants + 1, sandbox.stat("clientCredentialsGrants"), "client-credentials grants")
        expectEqual(posts + 1, sandbox.stat("clientSecretPostRequests"), "client_secret_post requests")
        expectEqual("client_secret_post", sandbox.lastTokenAuthMethod(), "authMethod")
    }

    private val clientCredentialsBasic = test("client credentials: Basic with an issuer (discovery); wrong secret is Fatal") {
        val oidc = OidcClient()
        val basic = sandbox.stat("clientSecretBasicRequests")
        val manager = oidc.clientCredentials(credentials(ClientAuth.BASIC, issuer = sandbox.issuer))
        val token = manager.freshToken().seen()
        check(token.accessToken.expose().isNotEmpty()) { "empty access token" }
        expectEqual(basic + 1, sandbox.stat("clientSecretBasicRequests"), "client_secret_basic requests")
        expectEqual("client_secret_basic", sandbox.lastTokenAuthMethod(), "authMethod")

        val wrong = oidc.clientCredentials(credentials(ClientAuth.BASIC, issuer = sandbox.issuer, secret = "not-the-secret"))
        val e = expectThrows<ObAuthException.Fatal>("freshToken with a wrong secret") { wrong.freshToken().seen() }
        expectEqual("bad_client_credentials", e.code, "code")
        check("not-the-secret" !in e.toString()) { "the secret leaked into $e" }

        val both = expectThrows<ObAuthException.InvalidInput>("token URL and issuer") {
            oidc.clientCredentials(credentials(ClientAuth.POST, tokenUrl = "${sandbox.baseUrl}/connect/token", issuer = sandbox.issuer))
        }
        expectEqual("tokenUrl", both.field, "field")
    }

    private val freshAndForced = test("fresh token: current token until expiry, forceRenewal refreshes once") {
        val tokens = signInByConnect(sandbox, client())
        val manager = client().connectTokens(tokens, skewMs = 60_000uL)
        expectEqual(tokens, manager.freshToken().seen(), "fresh token well before expiry")
        expectEqual(0uL, manager.renewals(), "renewals before forceRenewal")
        val grants = sandbox.stat("refreshGrants")
        val renewed = manager.forceRenewal().seen()
        check(renewed.accessToken != tokens.accessToken) { "forceRenewal kept the access token" }
        expectEqual(grants + 1, sandbox.stat("refreshGrants"), "refresh grants at the sandbox")
        expectEqual(1uL, manager.renewals(), "renewals")
        expectEqual(tokens.consentId, renewed.consentId, "consentId kept across the refresh")
        expectEqual(renewed, manager.current(), "current()")
        expectEqual(renewed.accessToken, manager.freshToken().seen().accessToken, "freshToken() after the renewal")
    }

    private val singleFlight = test("fresh token: concurrent freshToken() calls share one renewal") {
        val tokens = signInByConnect(sandbox, client())
        // Held tokens that have already expired: every caller needs a renewal.
        val manager = client().connectTokens(tokens.copy(expiresAt = Instant.now().minusSeconds(5)))
        val grants = sandbox.stat("refreshGrants")
        val results = coroutineScope {
            (1..8).map { async(Dispatchers.Default) { manager.freshToken().seen() } }.awaitAll()
        }
        expectEqual(1, results.map { it.accessToken }.toSet().size, "distinct tokens handed out")
        check(results[0].accessToken != tokens.accessToken) { "the expired token was handed out" }
        expectEqual(1uL, manager.renewals(), "renewals")
        expectEqual(grants + 1, sandbox.stat("refreshGrants"), "refresh grants at the sandbox")
    }

    private val revoked = test("fresh token: a revoked refresh token is Reauthenticate / invalid_grant, storage cleared") {
        val tokens = signInByConnect(sandbox, client())
        val manager = client().connectTokens(tokens)
        val storage = MemoryStorage()
        manager.persistTo(storage, "obauth.tokens")
        expectEqual(tokens, tokenSetFromJson(storage.values.getValue("obauth.tokens")), "saved tokens")
        check(sandbox.revokeRefreshTokens() >= 1) { "nothing revoked" }
        val e = expectThrows<ObAuthException.Reauthenticate>("forceRenewal after revocation") { manager.forceRenewal().seen() }
        expectEqual(ErrorCategory.REAUTHENTICATE, e.category, "category")
        expectEqual("invalid_grant", e.code, "code")
        val again = expectThrows<ObAuthException.Reauthenticate>("freshToken after invalid_grant") { manager.freshToken().seen() }
        expectEqual("invalid_grant", again.code, "code of the later call")
        expectEqual(null, manager.current(), "current() after invalid_grant")
        expectEqual(null, storage.values["obauth.tokens"], "stored tokens after invalid_grant")
    }

    private val sessionTokens = test("session tokens: sliding expiry via applyExpiryHeader, session_expired after it") {
        val supervised = SupervisedTokens(
            accessToken = Secret("session-access-token"),
            accessTokenExpires = nowMs().plusSeconds(600),
            loginToken = Secret("login-token"),
            loginTokenExpires = nowMs().plusSeconds(86_400),
            providerId = "DemoBank",
            supportsUnattended = true,
            label = null,
            subjectId = null,
            completedVia = CodeSource.POLL,
        )
        val manager = client().sessionTokens(supervised)
        val fresh = manager.freshToken().seen()
        expectEqual("session-access-token", fresh.accessToken.expose(), "session token")
        expectEqual(supervised.accessTokenExpires, fresh.expiresAt, "expiry")
        val slid = manager.applyExpiryHeader("2031-01-02T03:04:05.1230000Z")
        expectEqual(Instant.parse("2031-01-02T03:04:05.123Z"), slid, "new expiry")
        expectEqual(slid, manager.current()?.expiresAt, "current().expiresAt")
        val bad = expectThrows<ObAuthException.Fatal>("malformed header") { manager.applyExpiryHeader("tomorrow") }
        expectEqual("malformed_response", bad.code, "code")
        expectEqual(slid, manager.current()?.expiresAt, "expiry after a malformed header")
        manager.applyExpiryHeader("2020-01-01T00:00:00Z")
        val expired = expectThrows<ObAuthException.Reauthenticate>("freshToken after expiry") { manager.freshToken().seen() }
        expectEqual("session_expired", expired.code, "code")
        expectEqual(0uL, manager.renewals(), "renewals (sessions never renew)")
    }

    private val persistence = test("TokenManager.persistTo: saved JSON reads back; a throwing storage is a typed error") {
        val tokens = TokenSet(
            accessToken = Secret("at-123"),
            expiresAt = nowMs().plusSeconds(3600),
            refreshToken = Secret("rt-456"),
            scope = "accounts offline_access",
            consentId = "consent-1",
        )
        expectEqual(tokens, tokenSetFromJson(tokenSetToJson(tokens)), "JSON round trip")
        val storage = MemoryStorage()
        client().connectTokens(tokens).persistTo(storage, "k")
        expectEqual(tokenSetToJson(tokens), storage.values["k"], "saved value")

        val untyped = expectThrows<ObAuthException>("persistTo with a throwing storage") {
            client().connectTokens(tokens).persistTo(FailingStorage { IOException("keystore locked") }, "k")
        }
        expectEqual(ErrorCategory.RETRY_LATER, untyped.category, "category")
        expectEqual("storage", untyped.code, "code")
        check("keystore locked" in untyped.detail) { "detail: ${untyped.detail}" }
        val typed = expectThrows<ObAuthException.RetryLater>("persistTo with a storage throwing ObAuthException") {
            client().connectTokens(tokens).persistTo(
                FailingStorage { ObAuthException.Fatal("keystore", "user not authenticated", null) },
                "k",
            )
        }
        expectEqual("storage", typed.code, "code")
        check("user not authenticated" in typed.detail) { "detail: ${typed.detail}" }
        val notJson = expectThrows<ObAuthException.InvalidInput>("tokenSetFromJson of garbage") { tokenSetFromJson("nope") }
        expectEqual("invalid_snapshot", notJson.code, "code")
    }
}
