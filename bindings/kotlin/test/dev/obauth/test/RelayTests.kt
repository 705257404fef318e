// Relay mode through the Kotlin bindings, end to end: the real library talks to two real relays
// (`obauth relay`, started by bindings/scripts/test-kotlin.sh) in front of the sandbox. App
// tokens are minted here (HS256 with javax.crypto), as the integrator's sign-in would.
//
// The device-side checks go through the bindings (ObAuthClient.relay and an AppTokenProvider);
// the checks of what a device could send that the bindings never would (a forged handle, a code
// from another session, a userHash) use plain HTTP against the same relays.
package dev.obauth.test

import dev.obauth.AuthorizationParams
import dev.obauth.CodeSource
import dev.obauth.ConsentPage
import dev.obauth.ErrorCategory
import dev.obauth.LoginState
import dev.obauth.ObAuthClient
import dev.obauth.ObAuthException
import dev.obauth.Secret
import dev.obauth.SupervisedLoginParams
import dev.obauth.category
import dev.obauth.code
import dev.obauth.ffi.AppTokenProvider
import dev.obauth.ffi.LogLevel
import dev.obauth.ffi.LogRecord
import dev.obauth.ffi.RedirectOutcome
import dev.obauth.ffi.SupervisedLogin
import dev.obauth.ffi.clearLogSink
import dev.obauth.setLogSink
import dev.obauth.states
import dev.obauth.testing.AppTokens
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.first
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger

/** The relays the script started and the test values they were started with. */
class RelaySetup(
    val urls: List<String>,
    val logs: List<File>,
    val appSecret: String,
    val audience: String,
    val relayKey: String,
) {
    companion object {
        /** From the -Dobauth.relay* properties; null when no relay was started. */
        fun fromProperties(): RelaySetup? {
            val first = System.getProperty("obauth.relay") ?: return null
            return RelaySetup(
                urls = listOfNotNull(first, System.getProperty("obauth.relay2")),
                logs = System.getProperty("obauth.relayLogs").orEmpty().split(':').filter { it.isNotEmpty() }.map(::File),
                appSecret = System.getProperty("obauth.relayAppSecret") ?: error("no -Dobauth.relayAppSecret"),
                audience = System.getProperty("obauth.relayAudience") ?: error("no -Dobauth.relayAudience"),
                relayKey = System.getProperty("obauth.relayKey") ?: error("no -Dobauth.relayKey"),
            )
        }
    }
}

/** A relay answer as a device sees it. */
data class RelayAnswer(val status: Int, val body: String, val challenge: String?)

/** The host's app token source: [current] until a forced refresh, then [fresh]; counts calls. */
class CountingTokens(@Volatile var current: String, private val fresh: String) : AppTokenProvider {
    val calls = AtomicInteger()
    val refreshes = AtomicInteger()

    override fun appToken(forceRefresh: Boolean): Secret {
        calls.incrementAndGet()
        if (forceRefresh) {
            refreshes.incrementAndGet()
            current = fresh
        }
        return Secret(current)
    }
}

class RelayTests(private val sandbox: Sandbox, private val relay: RelaySetup) : Suite() {
    private val http: HttpClient = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5))
        .build()
    private var subjects = 0

    /** Every body a relay answered in these tests, for the secret check. */
    private val answers = Collections.synchronizedList(mutableListOf<String>())

    /** A fresh subject (the integrator's user id) per test. */
    private fun subject(tag: String) = "kt-relay-$tag-${++subjects}-${System.nanoTime() % 100000}"

    private val appTokens = AppTokens(relay.appSecret, relay.audience, relay.relayKey)

    /** An HS256 app token for [sub] (see [AppTokens.mint]). */
    private fun mint(
        sub: String,
        expiresIn: Long = 600,
        audience: String = relay.audience,
        secret: String = relay.appSecret,
    ): String = appTokens.mint(sub, expiresIn, audience, secret)

    private fun userHash(sub: String): String = appTokens.userHash(sub)

    // ---- the device through the bindings ----

    private fun client(tokens: AppTokenProvider, url: String = relay.urls[0]) =
        ObAuthClient.relay(url, tokens)

    private fun login(client: ObAuthClient, redirect: String = REDIRECT): SupervisedLogin =
        client.supervisedLogin(SupervisedLoginParams(userHash = "", redirectUrl = redirect))

    private suspend fun awaitingUser(login: SupervisedLogin): LoginState.AwaitingUser =
        login.states().filterIsInstance<LoginState.AwaitingUser>().first()

    private suspend fun failure(login: SupervisedLogin): ObAuthException =
        expectThrows<ObAuthException>("awaitTokens") { login.awaitTokens().seen() }

    // ---- the device by hand ----

    private fun send(builder: HttpRequest.Builder, token: String?): RelayAnswer {
        token?.let { builder.header("authorization", "Bearer $it") }
        val response = http.send(builder.timeout(Duration.ofSeconds(40)).build(), HttpResponse.BodyHandlers.ofString())
        answers.add(response.body())
        return RelayAnswer(response.statusCode(), response.body(), response.headers().firstValue("www-authenticate").orElse(null))
    }

    private fun post(base: String, path: String, token: String?, json: String) = send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)),
        token,
    )

    private fun get(base: String, path: String, token: String?) =
        send(HttpRequest.newBuilder(URI.create(base + path)).GET(), token)

    private fun field(json: String, name: String): String =
        Regex("\"$name\"\\s*:\\s*\"([^\"]*)\"").find(json)?.groupValues?.get(1) ?: error("no $name in $json")

    /** Initializes a login by hand; returns (handle, authUrl). */
    private fun initialize(base: String, token: String, extra: String = ""): Pair<String, String> {
        val a = post(base, "/v1/authentication/initialize", token, """{"redirectUrl":"$REDIRECT"$extra}""")
        expectEqual(200, a.status, "initialize: ${a.body}")
        return field(a.body, "sessionId") to field(a.body, "authUrl")
    }

    private fun code(location: String): String =
        URI.create(location).rawQuery.split('&').map { it.split('=', limit = 2) }
            .firstOrNull { it[0] == "code" }?.get(1)?.let { java.net.URLDecoder.decode(it, "UTF-8") }
            ?: error("no code in $location")

    // ---- the tests ----

    private val byPoll = test("relay: login by poll, the provider sees the derived userHash") {
        val sub = subject("poll")
        sandbox.script(userHash(sub), "approve", delayMs = 300)
        val before = sandbox.successfulExchanges()
        val tokens = CountingTokens(mint(sub), mint(sub))
        val login = login(client(tokens))
        login.start()
        val result = login.awaitTokens().seen()
        expectEqual(CodeSource.POLL, result.completedVia, "completedVia")
        check(result.accessToken.expose().isNotEmpty()) { "no access token" }
        expectEqual(before + 1, sandbox.successfulExchanges(), "exchanges")
        expectEqual(0, tokens.refreshes.get(), "forced refreshes")
    }

    private val byRedirect = test("relay: login by redirect") {
        val sub = subject("redirect")
        // Hold the first long-poll so the redirect, not the poll, delivers the code.
        sandbox.fault("status", "delay", delayMs = 1500)
        val login = login(client(CountingTokens(mint(sub), mint(sub))))
        login.start()
        val awaiting = awaitingUser(login)
        val location = sandbox.decide(awaiting.authUrl, "approve")
        check(location.startsWith(REDIRECT)) { "Location $location" }
        expectEqual(RedirectOutcome.CodeAccepted, login.handleRedirect(location), "the redirect")
        expectEqual(CodeSource.REDIRECT, login.awaitTokens().seen().completedVia, "completedVia")
    }

    private val expiredThenFresh = test("relay: an expired app token is refreshed once and the login goes on") {
        val sub = subject("expired")
        sandbox.script(userHash(sub), "approve", delayMs = 200)
        val tokens = CountingTokens(mint(sub, expiresIn = -120), mint(sub))
        val login = login(client(tokens))
        login.start()
        login.awaitTokens().seen()
        expectEqual(1, tokens.refreshes.get(), "forced refreshes")
    }

    private val missingToken = test("relay: app token missing or malformed is InvalidAppToken") {
        for (token in listOf(null, "not-a-jwt", "")) {
            val a = post(relay.urls[0], "/v1/authentication/initialize", token, """{"redirectUrl":"$REDIRECT"}""")
            expectEqual(401, a.status, "initialize with token <$token>")
            expectEqual("""{"error":"InvalidAppToken"}""", a.body, "body")
            expectEqual("""Bearer error="invalid_token"""", a.challenge, "WWW-Authenticate")
        }
    }

    private val rejectedTokens = test("relay: expired / wrong signature / wrong audience: app_token_rejected after one retry") {
        val sub = subject("rejected")
        val cases = mapOf(
            "expired" to mint(sub, expiresIn = -120),
            "wrong signature" to mint(sub, secret = "not-the-app-secret-0123456789abcdef-0123"),
            "wrong audience" to mint(sub, audience = "another-app"),
            "malformed" to "not-a-jwt",
        )
        val before = sandbox.stat("initializeRequests")
        for ((what, bad) in cases) {
            val tokens = CountingTokens(bad, bad)
            val login = login(client(tokens))
            login.start()
            val e = failure(login)
            check(e is ObAuthException.Reauthenticate) { "$what: expected Reauthenticate, got $e" }
            expectEqual(ErrorCategory.REAUTHENTICATE, e.category, "$what: category")
            expectEqual("app_token_rejected", e.code, "$what: code")
            expectEqual(1, tokens.refreshes.get(), "$what: one fresh-token retry")
            expectEqual(2, tokens.calls.get(), "$what: token requests")
            check(!e.toString().contains(bad)) { "$what: the token leaked into $e" }
        }
        expectEqual(before, sandbox.stat("initializeRequests"), "initializations at the provider")
    }

    private val anotherUsersHandle = test("relay: another user's session handle is refused") {
        val alice = subject("alice")
        val bob = subject("bob")
        // By hand: Bob presents Alice's handle.
        val (handle, _) = initialize(relay.urls[0], mint(alice))
        val status = get(relay.urls[0], "/v1/authentication/$handle/status?pollTimeout=0", mint(bob))
        expectEqual(403, status.status, "status with another user's handle: ${status.body}")
        expectEqual("""{"error":"Forbidden"}""", status.body, "body")
        val forged = get(relay.urls[0], "/v1/authentication/${handle.dropLast(2)}xx/status", mint(alice))
        expectEqual(403, forged.status, "a forged handle")
        // Through the bindings: Alice's saved login restored in Bob's app session fails and is
        // never exchanged, even after Alice approves at the bank.
        val aliceLogin = login(client(CountingTokens(mint(alice), mint(alice))))
        aliceLogin.start()
        val authUrl = awaitingUser(aliceLogin).authUrl
        val snapshot = aliceLogin.snapshot().seenSnapshot()
        aliceLogin.cancel()
        val before = sandbox.successfulExchanges()
        val bobLogin = client(CountingTokens(mint(bob), mint(bob))).restoreSupervisedLogin(snapshot)
        bobLogin.resume()
        sandbox.decide(authUrl, "approve")
        val e = failure(bobLogin)
        check(e.category != ErrorCategory.INVALID_INPUT) { "a typed failure from the relay's refusal: $e" }
        expectEqual(before, sandbox.successfulExchanges(), "exchanges")
    }

    private val codeFromAnotherSession = test("relay: a code from another session is never exchanged") {
        val sub = subject("twosessions")
        val token = mint(sub)
        val (first, firstAuthUrl) = initialize(relay.urls[0], token)
        val (second, _) = initialize(relay.urls[0], token)
        val location = sandbox.decide(firstAuthUrl, "approve")
        val code = code(location)
        val before = sandbox.successfulExchanges()
        val wrong = post(relay.urls[0], "/v1/authentication/tokens", token, """{"code":"$code","sessionId":"$second"}""")
        expectEqual(403, wrong.status, "the first session's code with the second handle: ${wrong.body}")
        expectEqual(before, sandbox.successfulExchanges(), "nothing exchanged")
        // The code itself was good: with its own session's handle it is exchanged.
        val right = post(relay.urls[0], "/v1/authentication/tokens", token, """{"code":"$code","sessionId":"$first"}""")
        expectEqual(200, right.status, "the code with its own handle: ${right.body}")
        expectEqual(before + 1, sandbox.successfulExchanges(), "one exchange")
    }

    private val redirectNotAllowed = test("relay: a redirect URL off the allowlist is refused") {
        val sub = subject("allowlist")
        val evil = "https://evil.example.com/aiia/callback"
        val a = post(relay.urls[0], "/v1/authentication/initialize", mint(sub), """{"redirectUrl":"$evil"}""")
        expectEqual(400, a.status, "initialize with $evil")
        expectEqual("""{"error":"RedirectUrlNotAllowed"}""", a.body, "body")
        val before = sandbox.stat("initializeRequests")
        val login = login(client(CountingTokens(mint(sub), mint(sub))), redirect = evil)
        login.start()
        val e = failure(login)
        check(e.category != ErrorCategory.REAUTHENTICATE) { "not an app-token problem: $e" }
        check(login.state() is LoginState.Failed) { "state ${login.state()}" }
        expectEqual(before, sandbox.stat("initializeRequests"), "initializations at the provider")
    }

    private val userHashIgnored = test("relay: a userHash sent by the device is ignored") {
        val sub = subject("userhash")
        val victim = "kt-victim-" + System.nanoTime()
        initialize(relay.urls[0], mint(sub), extra = ""","userHash":"$victim"""")
        val sessions = sessionsJson()
        check(!sessions.contains(victim)) { "the device's userHash reached the provider" }
        check(sessions.contains("\"userHash\":\"${userHash(sub)}\"")) { "no session for the derived userHash" }
        // The bindings do not even take one in relay mode.
        val e = expectThrows<ObAuthException.InvalidInput>("a userHash in relay mode") {
            client(CountingTokens(mint(sub), mint(sub)))
                .supervisedLogin(SupervisedLoginParams(userHash = victim, redirectUrl = REDIRECT))
        }
        expectEqual("userHash", e.field, "field")
    }

    private fun consentPage() = ConsentPage(apiUrl = sandbox.baseUrl, clientId = sandbox.clientId)

    private val twoInstances = test("relay: two relay instances serve one login alternately") {
        check(relay.urls.size == 2) { "the script starts two relays" }
        val sub = subject("twoinstances")
        // By hand: initialize on one, poll on the other, back, exchange on the first.
        val token = mint(sub)
        val (handle, authUrl) = initialize(relay.urls[0], token)
        expectEqual(200, get(relay.urls[1], "/v1/authentication/$handle/status?pollTimeout=0", token).status, "status on the second")
        val location = sandbox.decide(authUrl, "approve")
        expectEqual(200, get(relay.urls[0], "/v1/authentication/$handle/status?pollTimeout=0", token).status, "status on the first")
        val exchange = post(relay.urls[1], "/v1/authentication/tokens", token, """{"code":"${code(location)}","sessionId":"$handle"}""")
        expectEqual(200, exchange.status, "exchange on the second: ${exchange.body}")
        // Through the bindings: started against one instance, restored and finished against the other.
        val tokens = CountingTokens(mint(sub), mint(sub))
        val first = login(client(tokens, relay.urls[0]))
        first.start()
        val url = awaitingUser(first).authUrl
        val snapshot = first.snapshot().seenSnapshot()
        first.cancel()
        val second = client(tokens, relay.urls[1]).restoreSupervisedLogin(snapshot)
        second.resume()
        sandbox.decide(url, "approve")
        expectEqual(CodeSource.POLL, second.awaitTokens().seen().completedVia, "completedVia")
    }

    private val unattended = test("relay: unattended login through the relay; a device userHash and a spent token are refused") {
        val sub = subject("unattended")
        sandbox.script(userHash(sub), "approve", delayMs = 100)
        val client = client(CountingTokens(mint(sub), mint(sub)))
        val login = login(client)
        login.start()
        val first = login.awaitTokens().seen()
        check(first.supportsUnattended) { "the bank does not support unattended logins" }
        val before = sandbox.stat("unattendedLogins")
        // The device sends no userHash: the relay derives it from the app token's subject.
        val second = client.unattendedLogin("", first.loginToken).seen()
        expectEqual(CodeSource.UNATTENDED, second.completedVia, "completedVia")
        check(second.loginToken != first.loginToken) { "the login token was not replaced" }
        expectEqual(before + 1, sandbox.stat("unattendedLogins"), "unattended logins at the provider")
        val bad = expectThrows<ObAuthException.InvalidInput>("a userHash in relay mode") {
            client.unattendedLogin(userHash(sub), second.loginToken)
        }
        expectEqual("userHash", bad.field, "field")
        val spent = expectThrows<ObAuthException.Reauthenticate>("the spent login token") {
            client.unattendedLogin("", first.loginToken)
        }
        expectEqual("login_token_rejected", spent.code, "code")
        expectEqual(before + 1, sandbox.stat("unattendedLogins"), "unattended logins after the refusals")
    }

    private fun sessionsJson(): String {
        val request = HttpRequest.newBuilder(URI.create(sandbox.baseUrl.trimEnd('/') + "/_sandbox/sessions")).GET().build()
        return http.send(request, HttpResponse.BodyHandlers.ofString()).body()
    }

    private val connectAndRefresh = test("relay: connect through the relay gives tokens, the refresh goes through the relay too") {
        val sub = subject("connect")
        // Not a relay client: refused before anything is sent.
        val direct = expectThrows<ObAuthException.InvalidInput>("relayConnectFlow on a direct client") {
            sandboxClient(sandbox).relayConnectFlow(consentPage(), AuthorizationParams(redirectUri = CONNECT_REDIRECT))
        }
        expectEqual("relayUrl", direct.field, "field")

        val appTokens = CountingTokens(mint(sub), mint(sub))
        val client = client(appTokens)
        val flow = client.relayConnectFlow(
            consentPage(),
            AuthorizationParams(redirectUri = CONNECT_REDIRECT, redirectPattern = CONNECT_PATTERN),
        )
        flow.start()
        val url = flow.authorizeUrl()
        // The consent page is the provider's, naming the partner's public client id.
        check(url.startsWith(sandbox.baseUrl.trimEnd('/') + "/v1/oauth/connect?")) { "authorize URL $url" }
        expectEqual(sandbox.clientId, queryParam(url, "client_id"), "client_id")
        // A snapshot restores through the relay with the same consent page.
        val restored = client.restoreRelayConnectFlow(consentPage(), flow.snapshot().seenSnapshot())
        flow.close() // the app was killed while the user was at the bank
        restored.resume()
        val location = sandbox.consent(restored.authorizeUrl(), "approve")
        expectEqual(RedirectOutcome.CodeAccepted, restored.handleRedirect(location), "the connect redirect")
        val tokens = restored.awaitTokens().seen()
        check(tokens.accessToken.expose().isNotEmpty() && tokens.refreshToken != null) { "tokens incomplete" }
        expectEqual(queryParam(location, "consentId"), tokens.consentId, "consentId")
        // The relay, not the device, authenticated the exchange with the partner's credentials.
        expectEqual("client_secret_basic", sandbox.lastTokenAuthMethod(), "client authentication of the exchange")
        check(appTokens.calls.get() > 0) { "the app token was never asked for" }

        val grants = sandbox.stat("refreshGrants")
        val renewed = client.connectTokens(tokens).forceRenewal().seen()
        check(renewed.accessToken != tokens.accessToken) { "forceRenewal kept the access token" }
        expectEqual(grants + 1, sandbox.stat("refreshGrants"), "refresh grants")
        expectEqual("client_secret_basic", sandbox.lastTokenAuthMethod(), "client authentication of the refresh")
    }

    private val connectOffAllowlist = test("relay: a connect redirect off the allowlist is refused, the code never exchanged") {
        val sub = subject("connect-allowlist")
        // Registered at the provider (loopback, any port), not on the relay's allowlist.
        val redirect = "http://127.0.0.1:8765/connect-callback"
        val flow = client(CountingTokens(mint(sub), mint(sub))).relayConnectFlow(
            consentPage(),
            AuthorizationParams(redirectUri = redirect),
        )
        flow.start()
        val location = sandbox.consent(flow.authorizeUrl(), "approve")
        check(location.startsWith(redirect)) { "Location $location" }
        val code = queryParam(location, "code") ?: throw TestFailure("no code in $location")
        val before = sandbox.stat("oauthTokenRequests")
        expectEqual(RedirectOutcome.CodeAccepted, flow.handleRedirect(location), "the redirect")
        val e = expectThrows<ObAuthException>("awaitTokens") { flow.awaitTokens().seen() }
        check(e is ObAuthException.Fatal) { "a set-up error is Fatal: $e" }
        expectEqual("redirect_url_not_allowed", e.code, "code")
        check("RedirectUrlNotAllowed" in e.toString()) { "the relay's refusal is not named: $e" }
        check(!e.toString().contains(code)) { "the code is in the error" }
        expectEqual(before, sandbox.stat("oauthTokenRequests"), "token requests at the provider (never exchanged)")
    }

    private val noPartnerSecret = test("relay: the partner secret is in no response and no log line") {
        val records = Collections.synchronizedList(mutableListOf<LogRecord>())
        setLogSink(LogLevel.TRACE) { records.add(it) }
        try {
            val sub = subject("secret")
            sandbox.script(userHash(sub), "approve", delayMs = 100)
            val login = login(client(CountingTokens(mint(sub, expiresIn = -60), mint(sub))))
            login.start()
            login.awaitTokens().seen()
        } finally {
            clearLogSink()
        }
        check(records.isNotEmpty()) { "the core logged nothing" }
        check(answers.isNotEmpty()) { "no relay answers recorded" }
        check(relay.logs.isNotEmpty() && relay.logs.all { it.length() > 0 }) { "no relay logs in ${relay.logs}" }
        val relayLines = relay.logs.flatMap { it.readLines() }
        check(relayLines.any { "/v1/authentication/tokens" in it }) { "the relay logs do not cover the exchanges" }
        val places = mapOf(
            "a relay answer" to synchronized(answers) { answers.toList() },
            "a relay log line" to relayLines,
            "a core log record" to synchronized(records) { records.map { it.toString() } },
        )
        for ((where, lines) in places) {
            for (line in lines) {
                for (secret in listOf(sandbox.clientSecret, relay.relayKey, relay.appSecret)) {
                    check(!line.contains(secret)) { "a secret in $where: $line" }
                }
            }
        }
    }
}
