// Authorization-code flows through the Kotlin bindings, end to end against the sandbox: Aiia
// Data connect (ObAuthClient.connectFlow) and PKCE for a public client (OidcClient.pkceFlow),
// with the sandbox's hosted consent / sign-in pages played like a browser (Sandbox.consent).
package dev.obauth.test

import dev.obauth.AuthorizationParams
import dev.obauth.AuthorizationState
import dev.obauth.CancelOrigin
import dev.obauth.ErrorCategory
import dev.obauth.ObAuthClient
import dev.obauth.ObAuthException
import dev.obauth.OidcClient
import dev.obauth.PkceConfig
import dev.obauth.TokenSet
import dev.obauth.category
import dev.obauth.code
import dev.obauth.ffi.AuthorizationFlow
import dev.obauth.ffi.AuthorizationStateObserver
import dev.obauth.ffi.IgnoredReason
import dev.obauth.ffi.Navigation
import dev.obauth.ffi.RedirectOutcome
import dev.obauth.isTerminal
import dev.obauth.signIn
import dev.obauth.states
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withTimeoutOrNull
import java.net.URI
import java.net.URLDecoder
import java.time.Instant
import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger

/** A concrete redirect below the sandbox's registered wildcard pattern [CONNECT_PATTERN]. */
const val CONNECT_REDIRECT = "https://app.example.com/aiia-callback/connect"
const val CONNECT_PATTERN = "https://app.example.com/aiia-callback/*"
const val PKCE_REDIRECT = "https://app.example.com/oidc/callback"

/** The decoded value of query parameter [name] in [url], or null. */
fun queryParam(url: String, name: String): String? =
    URI.create(url).rawQuery?.split('&')
        ?.map { it.split('=', limit = 2) }
        ?.firstOrNull { it[0] == name }
        ?.let { URLDecoder.decode(it.getOrElse(1) { "" }, "UTF-8") }

/** The URL the flow waits at (it must be in AwaitingUser). */
fun AuthorizationFlow.authorizeUrl(): String {
    val state = state()
    return (state as? AuthorizationState.AwaitingUser)?.authorizeUrl
        ?: throw TestFailure("expected AwaitingUser, got $state")
}

fun ObAuthClient.connect(): AuthorizationFlow = connectFlow(
    AuthorizationParams(redirectUri = CONNECT_REDIRECT, redirectPattern = CONNECT_PATTERN),
    accountsGroupName = "kt-group",
)

/** A whole connect flow, the user approving: the tokens. */
suspend fun signInByConnect(sandbox: Sandbox, client: ObAuthClient): TokenSet {
    val flow = client.connect()
    flow.start()
    val outcome = flow.handleRedirect(sandbox.consent(flow.authorizeUrl(), "approve"))
    expectEqual(RedirectOutcome.CodeAccepted, outcome, "the connect redirect")
    return flow.awaitTokens().seen()
}

class AuthorizationTests(private val sandbox: Sandbox) : Suite() {
    private fun client(secret: String = sandbox.clientSecret) = sandboxClient(sandbox, secret)

    private fun pkceConfig() = PkceConfig(issuer = sandbox.issuer, clientId = sandbox.publicClientId)

    private fun pkceParams() = AuthorizationParams(redirectUri = PKCE_REDIRECT, scope = "openid offline_access")

    private fun shape(state: AuthorizationState): String = state::class.simpleName ?: "?"

    private val connectSequence = listOf("Created", "AwaitingUser", "CodeReceived", "Exchanging", "Authenticated")

    private val connectHappyPath = test("connect: consent page, redirect through decideNavigation, tokens with consentId") {
        val exchanges = sandbox.stat("oauthCodeExchanges")
        val flow = client().connect()
        expectEqual(AuthorizationState.Created, flow.state(), "state before start")
        flow.start()
        val url = flow.authorizeUrl()
        check(url.startsWith("${sandbox.baseUrl}/v1/oauth/connect?")) { "authorize URL $url" }
        expectEqual("kt-group", queryParam(url, "accountsGroupName"), "accountsGroupName")
        expectEqual(Navigation.Allow, flow.decideNavigation(url), "the provider's page")
        val location = sandbox.consent(url, "approve")
        check(location.startsWith(CONNECT_REDIRECT)) { "unexpected Location $location" }
        val consentId = queryParam(location, "consentId") ?: throw TestFailure("no consentId in $location")
        expectEqual(
            Navigation.Intercept(RedirectOutcome.CodeAccepted),
            flow.decideNavigation(location),
            "the redirect back to the app",
        )
        val tokens = flow.awaitTokens().seen()
        expectEqual(consentId, tokens.consentId, "consentId")
        check(tokens.accessToken.expose().isNotEmpty() && tokens.refreshToken != null) { "tokens incomplete" }
        check(tokens.tokenType.equals("bearer", ignoreCase = true)) { "tokenType ${tokens.tokenType}" }
        check(tokens.expiresAt?.isAfter(Instant.now().plusSeconds(600)) == true) { "expiresAt ${tokens.expiresAt}" }
        val state = flow.state()
        check(state is AuthorizationState.Authenticated && state.consentId == consentId && state.refreshable) {
            "state $state"
        }
        expectEqual(
            RedirectOutcome.Ignored(IgnoredReason.FLOW_FINISHED),
            flow.handleRedirect(location),
            "the same redirect again",
        )
        expectEqual(exchanges + 1, sandbox.stat("oauthCodeExchanges"), "code exchanges at the sandbox")
    }

    private val forgedState = test("connect: a forged state is Rejected(state_mismatch), nothing exchanged; the genuine redirect completes") {
        val flow = client().connect()
        flow.start()
        val genuine = sandbox.consent(flow.authorizeUrl(), "approve")
        check(queryParam(genuine, "state") != null) { "no state in $genuine" }
        val forged = genuine.replace(Regex("([?&]state=)[^&]*"), "$1forged-by-an-attacker")
        val stateless = genuine.replace(Regex("[?&]state=[^&]*"), "").let {
            if ('?' in it) it else it.replaceFirst('&', '?')
        }
        val tokenRequests = sandbox.tokenRequestCount()
        val tokenStat = sandbox.stat("oauthTokenRequests")

        val outcome = flow.handleRedirect(forged) as? RedirectOutcome.Rejected
            ?: throw TestFailure("the forged redirect was not rejected")
        expectEqual("state_mismatch", outcome.error.code, "code")
        expectEqual(ErrorCategory.FATAL, outcome.error.category, "category")
        val missing = (flow.decideNavigation(stateless) as? Navigation.Intercept)?.outcome as? RedirectOutcome.Rejected
            ?: throw TestFailure("a redirect without state was not intercepted and rejected")
        expectEqual("state_mismatch", missing.error.code, "code without state")
        check(flow.state() is AuthorizationState.AwaitingUser) { "a forged redirect must not end the flow: ${flow.state()}" }
        delay(300) // time for a (wrong) exchange to reach the sandbox
        expectEqual(tokenRequests, sandbox.tokenRequestCount(), "token requests after the forged redirects")
        expectEqual(tokenStat, sandbox.stat("oauthTokenRequests"), "oauthTokenRequests after the forged redirects")

        expectEqual(RedirectOutcome.CodeAccepted, flow.handleRedirect(genuine), "the genuine redirect")
        val tokens = flow.awaitTokens().seen()
        check(tokens.accessToken.expose().isNotEmpty()) { "no access token" }
        expectEqual(tokenRequests + 1, sandbox.tokenRequestCount(), "exactly one token request")
    }

    private val cancels = test("connect: user cancels at the consent page, cancel(), coroutine cancellation of signIn()") {
        val atBank = client().connect()
        atBank.start()
        val location = sandbox.consent(atBank.authorizeUrl(), "cancel")
        expectEqual("access_denied", queryParam(location, "error"), "error on the redirect")
        val outcome = atBank.handleRedirect(location)
        check(outcome is RedirectOutcome.ProviderError && outcome.error.code == "cancelled_by_user") { "outcome $outcome" }
        expectEqual(AuthorizationState.Cancelled(CancelOrigin.USER), atBank.state(), "state after the user cancelled")
        val byUser = expectThrows<ObAuthException.UserAction>("awaitTokens") { atBank.awaitTokens().seen() }
        expectEqual("cancelled_by_user", byUser.code, "code")

        val byApp = client().connect()
        byApp.start()
        byApp.cancel()
        val e = expectThrows<ObAuthException>("awaitTokens after cancel()") { byApp.awaitTokens().seen() }
        expectEqual(ErrorCategory.USER_ACTION, e.category, "category")
        expectEqual("cancelled_by_app", e.code, "code")
        expectEqual(AuthorizationState.Cancelled(CancelOrigin.HOST), byApp.state(), "state after cancel()")

        val abandoned = client().connect()
        expectEqual(null, withTimeoutOrNull(300) { abandoned.signIn().seen() }, "signIn() result")
        expectEqual(AuthorizationState.Cancelled(CancelOrigin.HOST), abandoned.state(), "state after the timeout")
    }

    private val connectWrongSecret = test("connect: wrong client secret fails the exchange with Fatal / bad_client_credentials") {
        val flow = client(secret = "not-the-secret").connect()
        flow.start()
        expectEqual(RedirectOutcome.CodeAccepted, flow.handleRedirect(sandbox.consent(flow.authorizeUrl(), "approve")), "redirect")
        val e = expectThrows<ObAuthException.Fatal>("awaitTokens") { flow.awaitTokens().seen() }
        expectEqual("bad_client_credentials", e.code, "code")
        check(!e.toString().contains("not-the-secret")) { "the secret leaked into $e" }
        val state = flow.state()
        check(state is AuthorizationState.Failed && state.error.category == ErrorCategory.FATAL) { "state $state" }
    }

    private val navigationPolicy = test("connect: navigation policy (wildcard redirect, allow, external, block)") {
        val flow = client().connect()
        check(flow.redirectUrl().startsWith("https://app.example.com/aiia-callback/")) { "redirectUrl ${flow.redirectUrl()}" }
        val cases = listOf(
            "https://bank.example.com/login" to Navigation.Allow,
            "about:blank" to Navigation.Allow,
            "https://app.example.com/aiia/callback?code=x" to Navigation.Allow, // another app URL
            "https://$BANK_APP_HOST/authorize?x=1" to Navigation.OpenExternally,
            "bankid:///?autostarttoken=abc" to Navigation.OpenExternally,
            "javascript:alert(1)" to Navigation.Block,
            "http://bank.example.com/" to Navigation.Block,
            "data:text/html,hi" to Navigation.Block,
            // Anything below the wildcard pattern is this flow's redirect.
            "https://app.example.com/aiia-callback/other?code=x&state=y" to
                Navigation.Intercept(RedirectOutcome.Ignored(IgnoredReason.NOT_WAITING_FOR_REDIRECT)),
        )
        for ((url, expected) in cases) expectEqual(expected, flow.decideNavigation(url), url)
        flow.start()
        expectEqual(Navigation.Allow, flow.decideNavigation(flow.authorizeUrl()), "the authorize URL (loopback http)")
        val early = flow.decideNavigation("$CONNECT_REDIRECT?code=abc")
        check(early is Navigation.Intercept && early.outcome is RedirectOutcome.Rejected) { "a redirect without state: $early" }
        check(flow.state() is AuthorizationState.AwaitingUser) { "a rejected redirect must not end the flow" }
        flow.cancel()
    }

    private val observerSequence = test("connect: observer and Flow<AuthorizationState> see every state in order; a throwing observer too") {
        val flow = client().connect()
        val seen = Collections.synchronizedList(mutableListOf<AuthorizationState>())
        val throwingCalls = AtomicInteger()
        flow.addObserver(object : AuthorizationStateObserver {
            override fun onState(state: AuthorizationState) {
                seen.add(state)
            }
        })
        flow.addObserver(object : AuthorizationStateObserver {
            override fun onState(state: AuthorizationState) {
                throwingCalls.incrementAndGet()
                throw IllegalStateException("host observer broke on $state")
            }
        })
        val collected = collectStates(flow.states())
        val tokens = async { flow.signIn().seen() }
        val awaiting = flow.states().filterIsInstance<AuthorizationState.AwaitingUser>().first()
        expectEqual(
            RedirectOutcome.CodeAccepted,
            flow.handleRedirect(sandbox.consent(awaiting.authorizeUrl, "approve")),
            "redirect",
        )
        check(tokens.await().accessToken.expose().isNotEmpty()) { "no access token" }
        val states = collected.await()
        expectEqual(connectSequence, states.map(::shape), "Flow<AuthorizationState>")
        check(states.last().isTerminal) { "the flow did not end on a terminal state" }
        // Observers run on their own thread; the terminal state may trail signIn().
        repeat(100) { if (seen.size < connectSequence.size || throwingCalls.get() < connectSequence.size) delay(20) }
        expectEqual(connectSequence, seen.map(::shape), "observed states")
        expectEqual(connectSequence.size, throwingCalls.get(), "calls of the throwing observer")
    }

    private val snapshotRestore = test("connect: snapshot -> new client -> restoreConnectFlow -> resume -> redirect -> complete") {
        val first = client().connect()
        first.start()
        val awaiting = first.state()
        val snapshot = first.snapshot().seenSnapshot()
        check(sandbox.clientSecret !in snapshot) { "the client secret is in the snapshot" }
        first.close() // the OS kills the app while the user is at the bank

        val storage = MemoryStorage()
        val restored = client().restoreConnectFlow(snapshot)
        expectEqual(awaiting, restored.state(), "restored state")
        restored.persistTo(storage, "obauth.connect")
        restored.resume()
        val location = sandbox.consent(restored.authorizeUrl(), "approve")
        expectEqual(RedirectOutcome.CodeAccepted, restored.handleRedirect(location), "redirect after restore")
        val tokens = restored.awaitTokens().seen()
        expectEqual(queryParam(location, "consentId"), tokens.consentId, "consentId")
        // awaitTokens() returns after the final snapshot was handed to the storage.
        val saved = client().restoreConnectFlow(storage.values.getValue("obauth.connect"))
        check(saved.state() is AuthorizationState.Authenticated) { "saved state ${saved.state()}" }
        expectEqual(tokens, saved.awaitTokens().seen(), "tokens from the saved snapshot")
        val wrongKind = expectThrows<ObAuthException.InvalidInput>("a connect snapshot as a supervised login") {
            client().restoreSupervisedLogin(snapshot)
        }
        expectEqual("invalid_snapshot", wrongKind.code, "code")
    }

    private val pkceLogin = test("PKCE: discovery, public-client sign-in with ID token, pkceTokens refresh as public client") {
        val oidc = OidcClient()
        val metadata = oidc.discover(sandbox.issuer)
        expectEqual(sandbox.issuer, metadata.issuer, "issuer")
        check("S256" in metadata.codeChallengeMethodsSupported) { "no S256 in $metadata" }
        val flow = oidc.pkceFlow(pkceConfig(), pkceParams())
        flow.start()
        val url = flow.authorizeUrl()
        check(url.startsWith("${sandbox.issuer}/authorize?")) { "authorize URL $url" }
        expectEqual("S256", queryParam(url, "code_challenge_method"), "code_challenge_method")
        check(queryParam(url, "nonce") != null) { "no nonce in $url" }
        val location = sandbox.consent(url, "approve")
        check(location.startsWith(PKCE_REDIRECT)) { "unexpected Location $location" }
        expectEqual(Navigation.Intercept(RedirectOutcome.CodeAccepted), flow.decideNavigation(location), "redirect")
        val tokens = flow.awaitTokens().seen()
        check(tokens.idToken != null && tokens.refreshToken != null) { "no ID or refresh token" }
        expectEqual(null, tokens.consentId, "consentId (Aiia only)")
        expectEqual("none", sandbox.lastTokenAuthMethod(), "client authentication of the code exchange")

        val grants = sandbox.stat("refreshGrants")
        val manager = oidc.pkceTokens(pkceConfig(), tokens)
        expectEqual(tokens.accessToken, manager.freshToken().seen().accessToken, "fresh token before expiry")
        val renewed = manager.forceRenewal().seen()
        check(renewed.accessToken != tokens.accessToken) { "forceRenewal kept the access token" }
        expectEqual(grants + 1, sandbox.stat("refreshGrants"), "refresh grants")
        expectEqual("none", sandbox.lastTokenAuthMethod(), "client authentication of the refresh")
        expectEqual(tokens.idToken, renewed.idToken, "ID token kept across the refresh")
    }

    private val pkceRestore = test("PKCE: snapshot -> new OidcClient -> restorePkceFlow -> complete") {
        val first = OidcClient().pkceFlow(pkceConfig(), pkceParams())
        first.start()
        val snapshot = first.snapshot().seenSnapshot()
        first.close()
        val wrongClient = expectThrows<ObAuthException.InvalidInput>("another client id") {
            OidcClient().restorePkceFlow(PkceConfig(sandbox.issuer, "someone-else"), snapshot)
        }
        expectEqual("invalid_snapshot", wrongClient.code, "code")
        val restored = OidcClient().restorePkceFlow(pkceConfig(), snapshot)
        restored.resume()
        val location = sandbox.consent(restored.authorizeUrl(), "approve")
        expectEqual(RedirectOutcome.CodeAccepted, restored.handleRedirect(location), "redirect after restore")
        check(restored.signIn().seen().idToken != null) { "no ID token after restore" }
    }

    private val pkceExtras = test("PKCE: extra authorize parameters; offline_access sends prompt=consent; the flow's own are refused") {
        val oidc = OidcClient()
        val flow = oidc.pkceFlow(
            pkceConfig(),
            pkceParams().copy(
                loginHint = "jane@example.com",
                uiLocales = "da en",
                maxAgeSeconds = 300uL,
                extraParams = mapOf("audience" to "https://api.example.com/"),
            ),
        )
        flow.start()
        val url = flow.authorizeUrl()
        expectEqual("consent", queryParam(url, "prompt"), "prompt for offline_access")
        expectEqual("jane@example.com", queryParam(url, "login_hint"), "login_hint")
        expectEqual("da en", queryParam(url, "ui_locales"), "ui_locales")
        expectEqual("300", queryParam(url, "max_age"), "max_age")
        expectEqual("https://api.example.com/", queryParam(url, "audience"), "audience")
        val location = sandbox.consent(url, "approve")
        expectEqual(RedirectOutcome.CodeAccepted, flow.handleRedirect(location), "redirect")
        val tokens = flow.awaitTokens().seen()
        check(tokens.refreshToken != null) { "offline access was not granted" }
        flow.close()

        val chosen = oidc.pkceFlow(pkceConfig(), pkceParams().copy(prompt = "login"))
        chosen.start()
        expectEqual("login", queryParam(chosen.authorizeUrl(), "prompt"), "the caller's prompt")
        chosen.close()

        for (name in listOf("state", "code_challenge", "redirect_uri")) {
            val refused = expectThrows<ObAuthException.InvalidInput>("extra $name") {
                oidc.pkceFlow(pkceConfig(), pkceParams().copy(extraParams = mapOf(name to "attacker")))
            }
            expectEqual("authorizeParams", refused.field, "field")
            check("attacker" !in (refused.message ?: "")) { "the value is echoed: ${refused.message}" }
        }
    }

    private val invalidInput = test("authorization flows: invalid input names the field; bad snapshots are InvalidInput") {
        val pattern = expectThrows<ObAuthException.InvalidInput>("redirect outside its pattern") {
            client().connectFlow(
                AuthorizationParams(redirectUri = "https://app.example.com/elsewhere", redirectPattern = CONNECT_PATTERN),
            )
        }
        expectEqual("redirectUri", pattern.field, "field")
        val clientId = expectThrows<ObAuthException.InvalidInput>("empty public client id") {
            OidcClient().pkceFlow(PkceConfig(sandbox.issuer, ""), pkceParams())
        }
        expectEqual("clientId", clientId.field, "field")
        val corrupt = expectThrows<ObAuthException.InvalidInput>("corrupt snapshot") {
            client().restoreConnectFlow("{not json")
        }
        expectEqual("invalid_snapshot", corrupt.code, "code")
    }
}
