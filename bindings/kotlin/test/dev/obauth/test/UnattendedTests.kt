// Unattended login, resumeSession, the connect flow's "start again" and correlation ids through
// the Kotlin bindings, against the sandbox.
package dev.obauth.test

import dev.obauth.AuthorizationState
import dev.obauth.ClientConfig
import dev.obauth.CodeSource
import dev.obauth.ErrorCategory
import dev.obauth.LoginState
import dev.obauth.ObAuthClient
import dev.obauth.ObAuthException
import dev.obauth.Secret
import dev.obauth.SupervisedLoginParams
import dev.obauth.SupervisedLoginReason
import dev.obauth.category
import dev.obauth.code
import dev.obauth.correlationId
import dev.obauth.ffi.RedirectOutcome
import dev.obauth.ffi.SessionAccess
import dev.obauth.ffi.SupervisedTokens
import dev.obauth.ffi.supervisedTokensFromJson
import dev.obauth.ffi.supervisedTokensToJson
import java.time.Instant

class UnattendedTests(private val sandbox: Sandbox) : Suite() {
    private var users = 0
    private fun user(tag: String) = "kt-$tag-${++users}-${System.nanoTime() % 100000}".take(64)

    private fun client() = ObAuthClient(
        ClientConfig(apiUrl = sandbox.baseUrl, clientId = sandbox.clientId, clientSecret = Secret(sandbox.clientSecret)),
    )

    /** A supervised login by poll for [user]. */
    private suspend fun signedIn(client: ObAuthClient, user: String): SupervisedTokens {
        sandbox.script(user, "approve", delayMs = 50)
        val login = client.supervisedLogin(SupervisedLoginParams(userHash = user, redirectUrl = REDIRECT))
        login.start()
        val tokens = login.awaitTokens().seen()
        val id = login.correlationId() ?: throw TestFailure("no correlation id after start()")
        check(id.startsWith("|obauth-") && id.endsWith(".")) { "correlation id $id" }
        return tokens
    }

    private fun SupervisedTokens.expired() = copy(accessTokenExpires = Instant.EPOCH)

    private val unattended = test("unattended login replaces the login token; a spent one is login_token_rejected") {
        val client = client()
        val user = user("unatt")
        val first = signedIn(client, user)
        val second = client.unattendedLogin(user, first.loginToken)
        expectEqual(CodeSource.UNATTENDED, second.completedVia, "completedVia")
        check(second.loginToken != first.loginToken) { "the login token was not replaced" }
        check(!second.toString().contains(second.loginToken.expose())) { "tokens printed: $second" }
        val e = expectThrows<ObAuthException.Reauthenticate>("the spent login token") {
            client.unattendedLogin(user, first.loginToken)
        }
        expectEqual("login_token_rejected", e.code, "code")
        expectEqual(ErrorCategory.REAUTHENTICATE, e.category, "category")
        check(!e.toString().contains(first.loginToken.expose())) { "the login token is in the error" }
        val bad = expectThrows<ObAuthException.InvalidInput>("a bad userHash") {
            client.unattendedLogin("no", second.loginToken)
        }
        expectEqual("userHash", bad.field, "field")
    }

    private val resume = test("resumeSession: current, renewed, supervised login required") {
        val client = client()
        val user = user("resume")
        val tokens = signedIn(client, user)
        val current = client.resumeSession(user, tokens)
        check(current is SessionAccess.Current && current.tokens.accessToken == tokens.accessToken) { "$current" }
        val renewed = client.resumeSession(user, tokens.expired()) as? SessionAccess.Renewed
            ?: throw TestFailure("not renewed")
        check(renewed.tokens.loginToken != tokens.loginToken) { "the login token was not replaced" }
        // The old login token is spent now.
        val refused = client.resumeSession(user, tokens.expired())
        expectEqual(
            SessionAccess.SupervisedLoginRequired(SupervisedLoginReason.LOGIN_TOKEN_REJECTED) as SessionAccess,
            refused, "with the spent token",
        )
        sandbox.expireLoginTokens()
        expectEqual(
            SessionAccess.SupervisedLoginRequired(SupervisedLoginReason.LOGIN_TOKEN_EXPIRED) as SessionAccess,
            client.resumeSession(user, renewed.tokens.expired()), "after the provider expired it",
        )
        // A bank without unattended logins: decided without a request.
        val noUnattended = user("nounatt")
        sandbox.unattendedSupport(noUnattended, false)
        val other = signedIn(client, noUnattended)
        check(!other.supportsUnattended) { "supportsUnattended" }
        val before = sandbox.stat("unattendedRequests")
        expectEqual(
            SessionAccess.SupervisedLoginRequired(SupervisedLoginReason.UNATTENDED_NOT_SUPPORTED) as SessionAccess,
            client.resumeSession(noUnattended, other.expired()), "a bank without unattended logins",
        )
        expectEqual(before, sandbox.stat("unattendedRequests"), "unattended requests")
    }

    private val resumeStored = test("resumeStoredSession replaces the stored tokens") {
        val client = client()
        val user = user("stored")
        val tokens = signedIn(client, user)
        val storage = MemoryStorage()
        storage.save("login", supervisedTokensToJson(tokens.expired()))
        val renewed = client.resumeStoredSession(storage, "login", user) as? SessionAccess.Renewed
            ?: throw TestFailure("not renewed")
        val stored = supervisedTokensFromJson(storage.values["login"]!!)
        expectEqual(renewed.tokens.loginToken, stored.loginToken, "the stored login token")
        expectEqual(
            SessionAccess.SupervisedLoginRequired(SupervisedLoginReason.NO_STORED_LOGIN) as SessionAccess,
            client.resumeStoredSession(storage, "nothing", user), "nothing stored",
        )
    }

    private val startAgain = test("connect redirect without code ends the flow with start_again") {
        sandbox.consentScript("return_without_code")
        try {
            val flow = sandboxClient(sandbox).connect()
            flow.start()
            val location = sandbox.followToApp(flow.authorizeUrl(), CONNECT_REDIRECT)
            check(queryParam(location, "state") != null && queryParam(location, "code") == null) { location }
            val forged = location.replace(Regex("([?&]state=)"), "$1x")
            val rejected = flow.handleRedirect(forged) as? RedirectOutcome.Rejected
                ?: throw TestFailure("the forged redirect was not rejected")
            expectEqual("state_mismatch", rejected.error.code, "forged")
            check(flow.state() is AuthorizationState.AwaitingUser) { "${flow.state()}" }
            val outcome = flow.handleRedirect(location) as? RedirectOutcome.ProviderError
                ?: throw TestFailure("not a provider error")
            expectEqual("start_again", outcome.error.code, "code")
            expectEqual(ErrorCategory.USER_ACTION, outcome.error.category, "category")
            val e = expectThrows<ObAuthException.UserAction>("awaitTokens") { flow.awaitTokens().seen() }
            expectEqual("start_again", e.code, "code")
            check(flow.state() is AuthorizationState.Failed) { "${flow.state()}" }
        } finally {
            sandbox.consentScript("page")
        }
    }

    private val correlation = test("every request of a login carries its correlation id") {
        val client = client()
        val user = user("corr")
        sandbox.script(user, "approve", delayMs = 50)
        val before = sandbox.correlationIds("tokens").size
        val login = client.supervisedLogin(SupervisedLoginParams(userHash = user, redirectUrl = REDIRECT))
        expectEqual(null, login.correlationId(), "before start()")
        login.start()
        login.awaitTokens().seen()
        val id = login.correlationId()!!
        val exchanges = sandbox.correlationIds("tokens").drop(before)
        expectEqual(listOf<String?>(id), exchanges, "the exchange's id")
        check(sandbox.correlationIds("initialize").contains(id)) { "initialize did not carry $id" }
        check(sandbox.correlationIds("status").contains(id)) { "no status poll carried $id" }
    }

    private val failedCorrelation = test("a login failed at the bank quotes its correlation id") {
        val user = user("corrfail")
        sandbox.script(user, "fail", delayMs = 50)
        val login = client().supervisedLogin(SupervisedLoginParams(userHash = user, redirectUrl = REDIRECT))
        login.start()
        val e = expectThrows<ObAuthException.UserAction>("awaitTokens") { login.awaitTokens() }
        val id = login.correlationId() ?: throw TestFailure("no correlation id after start()")
        expectEqual("login_failed", e.code, "code")
        expectEqual(id, e.correlationId, "the thrown error's correlationId")
        val state = login.state()
        val failed = state as? LoginState.Failed ?: throw TestFailure("state $state")
        expectEqual(id, failed.error.correlationId, "the Failed state's correlationId")
        check(sandbox.correlationIds("initialize").contains(id)) { "initialize did not carry $id" }
        check(sandbox.correlationIds("status").contains(id)) { "no status poll carried $id" }
    }
}
