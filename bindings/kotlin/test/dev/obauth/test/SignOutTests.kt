// Revocation (RFC 7009) and sign-out through the Kotlin bindings, against the sandbox's OIDC
// side: OidcClient.signOut revokes the refresh token, then the access token, forgets the tokens
// (memory and storage) even when the provider fails, says what happened to each token, and
// builds the RP-initiated logout URL (a Secret: it carries the ID token).
package dev.obauth.test

import dev.obauth.AuthorizationParams
import dev.obauth.ObAuthException
import dev.obauth.OidcClient
import dev.obauth.PkceConfig
import dev.obauth.Secret
import dev.obauth.TokenSet
import dev.obauth.TokenTypeHint
import dev.obauth.ffi.RedirectOutcome
import dev.obauth.ffi.RevocationOutcome
import dev.obauth.ffi.SignOutParams
import dev.obauth.signIn
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse

class SignOutTests(private val sandbox: Sandbox) : Suite() {
    private fun config() = PkceConfig(issuer = sandbox.issuer, clientId = sandbox.publicClientId)

    private suspend fun signedIn(oidc: OidcClient): TokenSet {
        val flow = oidc.pkceFlow(config(), AuthorizationParams(redirectUri = PKCE_REDIRECT, scope = "openid offline_access"))
        flow.start()
        val location = sandbox.consent(flow.authorizeUrl(), "approve")
        expectEqual(RedirectOutcome.CodeAccepted, flow.handleRedirect(location), "redirect")
        val tokens = flow.signIn().seen()
        check(tokens.refreshToken != null && tokens.idToken != null) { "no refresh or ID token" }
        return tokens
    }

    private val signOut = test("sign-out: revokes refresh then access token, clears storage, logout URL with state") {
        val oidc = OidcClient()
        val tokens = signedIn(oidc)
        val manager = oidc.pkceTokens(config(), tokens)
        val storage = MemoryStorage()
        manager.persistTo(storage, "tokens")
        check(storage.values.containsKey("tokens")) { "not persisted" }
        val revocations = sandbox.stat("revocationRequests")

        val outcome = oidc.signOut(
            config(),
            manager,
            SignOutParams(endSession = true, postLogoutRedirectUri = PKCE_REDIRECT, state = "kt-bye"),
        )
        expectEqual(RevocationOutcome.Revoked, outcome.refreshToken, "refresh token")
        expectEqual(RevocationOutcome.Revoked, outcome.accessToken, "access token")
        expectEqual(null, outcome.storageError, "storage")
        expectEqual(revocations + 2, sandbox.stat("revocationRequests"), "revocation requests")
        check(!storage.values.containsKey("tokens")) { "stored tokens not removed" }
        expectEqual(null, manager.current(), "tokens in memory")
        val reauth = expectThrows<ObAuthException.Reauthenticate>("a token after sign-out") { manager.freshToken().seen() }
        expectEqual("invalid_grant", reauth.code, "code")
        // The refresh token is dead at the provider too.
        expectThrows<ObAuthException.Reauthenticate>("the revoked refresh token") {
            oidc.pkceTokens(config(), tokens).forceRenewal().seen()
        }

        val logout = outcome.endSessionUrl ?: throw TestFailure("no logout URL")
        check(!outcome.toString().contains(tokens.idToken!!.expose())) { "toString shows the ID token: $outcome" }
        expectEqual(tokens.idToken!!.expose(), queryParam(logout.expose(), "id_token_hint"), "id_token_hint")
        val http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build()
        val answer = http.send(HttpRequest.newBuilder(URI.create(logout.expose())).GET().build(), HttpResponse.BodyHandlers.ofString())
        expectEqual(302, answer.statusCode(), "logout answer")
        val back = answer.headers().firstValue("location").orElseThrow()
        check(back.startsWith(PKCE_REDIRECT)) { "sent back to $back" }
        expectEqual("kt-bye", queryParam(back, "state"), "state")

        // Revoking one token by hand; an empty token is refused before anything is sent.
        val other = signedIn(oidc)
        oidc.revoke(config(), other.refreshToken!!, TokenTypeHint.REFRESH_TOKEN)
        val before = sandbox.stat("revocationRequests")
        expectThrows<ObAuthException.InvalidInput>("an empty token") {
            oidc.revoke(config(), Secret(""), TokenTypeHint.ACCESS_TOKEN)
        }
        expectEqual(before, sandbox.stat("revocationRequests"), "nothing sent for an empty token")
    }

    private val failedRevocation = test("sign-out: a failed revocation is reported and the tokens are forgotten anyway") {
        val oidc = OidcClient()
        val manager = oidc.pkceTokens(config(), signedIn(oidc))
        sandbox.fault("revocation", "server_error")
        val outcome = oidc.signOut(config(), manager)
        val failed = outcome.refreshToken as? RevocationOutcome.Failed ?: throw TestFailure("expected Failed, got $outcome")
        check(failed.error is ObAuthException.RetryLater) { "a 503 is worth retrying: ${failed.error}" }
        expectEqual(RevocationOutcome.Revoked, outcome.accessToken, "access token")
        expectEqual(null, outcome.endSessionUrl, "no logout URL unless asked")
        expectEqual(null, manager.current(), "forgotten anyway")
    }
}
