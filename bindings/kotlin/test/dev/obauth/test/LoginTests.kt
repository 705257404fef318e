// Supervised login through the Kotlin bindings, end to end against the sandbox.
package dev.obauth.test

import dev.obauth.CancelOrigin
import dev.obauth.ClientConfig
import dev.obauth.CodeSource
import dev.obauth.ErrorCategory
import dev.obauth.LoginState
import dev.obauth.ObAuthClient
import dev.obauth.ObAuthException
import dev.obauth.Secret
import dev.obauth.SupervisedLoginParams
import dev.obauth.category
import dev.obauth.code
import dev.obauth.ffi.IgnoredReason
import dev.obauth.ffi.LogLevel
import dev.obauth.ffi.LogRecord
import dev.obauth.ffi.Navigation
import dev.obauth.ffi.RedirectOutcome
import dev.obauth.ffi.StateObserver
import dev.obauth.ffi.SupervisedLogin
import dev.obauth.ffi.clearLogSink
import dev.obauth.isTerminal
import dev.obauth.setLogSink
import dev.obauth.signIn
import dev.obauth.states
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.withTimeoutOrNull
import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger

const val REDIRECT = "https://app.example.com/aiia/callback"
const val BANK_APP_HOST = "mobilebank.example.com"

class LoginTests(private val sandbox: Sandbox) : Suite() {
    private var users = 0

    /** A fresh userHash per login, so scripts never leak between tests. */
    private fun user(tag: String) = "kt-$tag-${++users}-${System.nanoTime() % 100000}".take(64)

    private fun client(secret: String = sandbox.clientSecret) = sandboxClient(sandbox, secret)

    private fun login(client: ObAuthClient, user: String): SupervisedLogin =
        client.supervisedLogin(SupervisedLoginParams(userHash = user, redirectUrl = REDIRECT))

    private suspend fun awaitingUser(login: SupervisedLogin): LoginState.AwaitingUser =
        login.states().filterIsInstance<LoginState.AwaitingUser>().first()

    /** The shape of a state for sequence comparisons: its name and how the code came. */
    private fun shape(state: LoginState): String = when (state) {
        is LoginState.CodeReceived -> "CodeReceived(${state.via})"
        is LoginState.Exchanging -> "Exchanging(${state.via})"
        is LoginState.Authenticated -> "Authenticated(${state.via})"
        else -> state::class.simpleName ?: "?"
    }

    private val pollSequence = listOf(
        "Created", "Initializing", "AwaitingUser",
        "CodeReceived(POLL)", "Exchanging(POLL)", "Authenticated(POLL)",
    )

    private val byPoll = test("supervised login by poll, observer sees every state in order") {
        val user = user("poll")
        sandbox.script(user, "approve", delayMs = 300)
        val before = sandbox.successfulExchanges()
        val login = login(client(), user)
        val seen = Collections.synchronizedList(mutableListOf<LoginState>())
        login.addObserver(object : StateObserver {
            override fun onState(state: LoginState) {
                seen.add(state)
            }
        })
        login.start()
        val tokens = login.awaitTokens().seen()
        expectEqual(CodeSource.POLL, tokens.completedVia, "completedVia")
        check(tokens.accessToken.expose().isNotEmpty() && tokens.loginToken.expose().isNotEmpty()) { "empty tokens" }
        check(tokens.accessTokenExpires.isAfter(java.time.Instant.now())) { "access token already expired" }
        check(tokens.providerId.isNotEmpty()) { "no provider id" }
        // The observer runs on its own thread; the terminal state may trail awaitTokens().
        repeat(100) { if (seen.size < pollSequence.size) delay(20) }
        expectEqual(pollSequence, seen.map(::shape), "observed states")
        check(login.state() is LoginState.Authenticated) { "state() is ${login.state()}" }
        expectEqual(before + 1, sandbox.successfulExchanges(), "exchanges at the sandbox")
    }

    private val flowOfStates = test("states() as a Flow ends with the terminal state") {
        val user = user("flow")
        sandbox.script(user, "approve", delayMs = 200)
        val login = login(client(), user)
        val collected = collectStates(login.states())
        login.start()
        val states = collected.await()
        expectEqual(pollSequence, states.map(::shape), "Flow<LoginState>")
        check(states.last().isTerminal) { "the flow did not end on a terminal state" }
        // A late subscriber gets the terminal state only, and the flow completes.
        expectEqual(listOf("Authenticated(POLL)"), login.states().toList().map(::shape), "late collection")
    }

    private val byRedirect = test("supervised login by redirect through the navigation policy") {
        val user = user("redirect")
        sandbox.script(user, "page")
        // Hold the first status long-poll so the redirect deterministically wins the race.
        sandbox.fault("status", "delay", delayMs = 1500)
        val before = sandbox.successfulExchanges()
        val login = login(client(), user)
        login.start()
        val awaiting = awaitingUser(login)
        expectEqual(Navigation.Allow, login.decideNavigation(awaiting.authUrl), "the bank page")
        val location = sandbox.decide(awaiting.authUrl, "approve")
        check(location.startsWith(REDIRECT)) { "unexpected Location $location" }
        expectEqual(
            Navigation.Intercept(RedirectOutcome.CodeAccepted),
            login.decideNavigation(location),
            "the redirect back to the app",
        )
        val tokens = login.awaitTokens().seen()
        expectEqual(CodeSource.REDIRECT, tokens.completedVia, "completedVia")
        expectEqual(
            RedirectOutcome.Ignored(IgnoredReason.FLOW_FINISHED),
            login.handleRedirect(location),
            "the same redirect again",
        )
        expectEqual(RedirectOutcome.NotForThisFlow, login.handleRedirect("https://example.com/x"), "a foreign URL")
        expectEqual(before + 1, sandbox.successfulExchanges(), "exactly one exchange")
    }

    private val userCancelsAtBank = test("user cancels at the bank: the redirect carries the error") {
        val user = user("usercancel")
        sandbox.script(user, "page")
        sandbox.fault("status", "delay", delayMs = 1500)
        val login = login(client(), user)
        login.start()
        val location = sandbox.decide(awaitingUser(login).authUrl, "cancel")
        val outcome = login.handleRedirect(location)
        check(outcome is RedirectOutcome.ProviderError) { "outcome $outcome" }
        val e = expectThrows<ObAuthException.UserAction>("awaitTokens") { login.awaitTokens().seen() }
        expectEqual(ErrorCategory.USER_ACTION, e.category, "category")
        expectEqual("cancelled_by_user", e.code, "code")
        expectEqual(LoginState.Cancelled(CancelOrigin.USER), login.state(), "state")
    }

    private val hostCancels = test("cancel() ends the login with UserAction / cancelled_by_app") {
        val user = user("cancel")
        sandbox.script(user, "never")
        val login = login(client(), user)
        login.start()
        awaitingUser(login)
        login.cancel()
        val e = expectThrows<ObAuthException>("awaitTokens") { login.awaitTokens().seen() }
        expectEqual(ErrorCategory.USER_ACTION, e.category, "category")
        expectEqual("cancelled_by_app", e.code, "code")
        expectEqual(LoginState.Cancelled(CancelOrigin.HOST), login.state(), "state")
        expectEqual(
            RedirectOutcome.Ignored(IgnoredReason.FLOW_FINISHED),
            login.handleRedirect("$REDIRECT?code=late"),
            "a redirect after cancel",
        )
    }

    private val coroutineCancel = test("cancelling the coroutine of signIn() cancels the login") {
        val user = user("cocancel")
        sandbox.script(user, "never")
        val login = login(client(), user)
        val result = withTimeoutOrNull(700) { login.signIn().seen() }
        expectEqual(null, result, "signIn() result")
        expectEqual(LoginState.Cancelled(CancelOrigin.HOST), login.state(), "state after the timeout")
    }

    private val wrongSecret = test("wrong client secret is an ObAuthException with category Fatal") {
        val login = login(client(secret = "not-the-secret"), user("badsecret"))
        login.start()
        val e = expectThrows<ObAuthException>("awaitTokens") { login.awaitTokens().seen() }
        check(e is ObAuthException.Fatal) { "expected Fatal, got $e" }
        expectEqual(ErrorCategory.FATAL, e.category, "category")
        expectEqual("bad_client_credentials", e.code, "code")
        check(!e.toString().contains("not-the-secret")) { "the secret leaked into $e" }
        val state = login.state()
        check(state is LoginState.Failed && state.error.category == ErrorCategory.FATAL) { "state $state" }
    }

    private val invalidInput = test("invalid configuration and parameters name the field") {
        val e = expectThrows<ObAuthException.InvalidInput>("plain http to a remote host") {
            ObAuthClient(ClientConfig("http://api.example.com", "id", Secret("secret")))
        }
        expectEqual("apiUrl", e.field, "field")
        expectEqual(ErrorCategory.INVALID_INPUT, e.category, "category")
        val p = expectThrows<ObAuthException.InvalidInput>("bad userHash") { login(client(), "x") }
        expectEqual("userHash", p.field, "field")
        val empty = expectThrows<ObAuthException.InvalidInput>("empty secret") { client(secret = "") }
        expectEqual("clientSecret", empty.field, "field")
    }

    private val navigationPolicy = test("navigation policy: allow, intercept, open externally, block") {
        val user = user("nav")
        sandbox.script(user, "never")
        val login = login(client(), user)
        val cases = listOf(
            "https://bank.example.com/login" to Navigation.Allow,
            "${sandbox.baseUrl}/v1/authentication/start" to Navigation.Allow, // loopback http
            "about:blank" to Navigation.Allow,
            "https://$BANK_APP_HOST/authorize?x=1" to Navigation.OpenExternally,
            "https://eu.$BANK_APP_HOST/authorize" to Navigation.OpenExternally,
            "bankid:///?autostarttoken=abc" to Navigation.OpenExternally,
            "tel:+4512345678" to Navigation.OpenExternally,
            "javascript:alert(1)" to Navigation.Block,
            "http://bank.example.com/" to Navigation.Block,
            "file:///etc/passwd" to Navigation.Block,
            "not a url" to Navigation.Block,
            "https://app.example.com/other-path" to Navigation.Allow,
            "$REDIRECT?code=early" to Navigation.Intercept(RedirectOutcome.Ignored(IgnoredReason.NOT_WAITING_FOR_REDIRECT)),
        )
        for ((url, expected) in cases) expectEqual(expected, login.decideNavigation(url), url)
        login.start()
        awaitingUser(login)
        val noCode = login.decideNavigation(REDIRECT)
        check(noCode is Navigation.Intercept && noCode.outcome is RedirectOutcome.Rejected) {
            "a redirect without a code: $noCode"
        }
        check(login.state() is LoginState.AwaitingUser) { "a rejected redirect must not end the login" }
        login.cancel()
    }

    private val throwingHostTraits = test("throwing host observer and log sink do not break the login") {
        val calls = AtomicInteger()
        setLogSink(LogLevel.TRACE) { throw IllegalStateException("log sink broke") }
        try {
            val user = user("throwing")
            sandbox.script(user, "approve", delayMs = 200)
            val login = login(client(), user)
            login.addObserver(object : StateObserver {
                override fun onState(state: LoginState) {
                    calls.incrementAndGet()
                    throw RuntimeException("observer broke on $state")
                }
            })
            login.addObserver(object : StateObserver {
                override fun onState(state: LoginState) {
                    throw ObAuthException.Fatal("host_callback", "typed host failure", null)
                }
            })
            login.start()
            val tokens = login.awaitTokens().seen()
            expectEqual(CodeSource.POLL, tokens.completedVia, "completedVia")
            repeat(100) { if (calls.get() < pollSequence.size) delay(20) }
            expectEqual(pollSequence.size, calls.get(), "observer calls despite throwing")
        } finally {
            clearLogSink()
        }
    }

    private val logsWithoutSecrets = test("log sink receives the core's logs without secrets") {
        val records = Collections.synchronizedList(mutableListOf<LogRecord>())
        setLogSink(LogLevel.TRACE) { records.add(it) }
        try {
            val user = user("logs")
            sandbox.script(user, "approve", delayMs = 100)
            val tokens = login(client(), user).signIn().seen()
            // The sink is called on the core's threads while this reads: iterate copies taken
            // under the list's lock (iterating a synchronizedList itself is not synchronized).
            fun copy() = synchronized(records) { records.toList() }
            repeat(100) { if (copy().none { "Authenticated" in it.message }) delay(20) }
            val seen = copy()
            check(seen.any { it.target.startsWith("obauth") }) { "no record from the core: $seen" }
            for (r in seen) {
                for (secret in listOf(sandbox.clientSecret, tokens.accessToken.expose(), tokens.loginToken.expose())) {
                    check(secret !in r.message) { "a secret leaked into the log: ${r.target}" }
                }
            }
        } finally {
            clearLogSink()
        }
    }

    private val blockingObserver = test("a blocking observer does not stall the login") {
        val user = user("slowobs")
        sandbox.script(user, "approve", delayMs = 100)
        val login = login(client(), user)
        val release = java.util.concurrent.CountDownLatch(1)
        login.addObserver(object : StateObserver {
            override fun onState(state: LoginState) {
                release.await(10, java.util.concurrent.TimeUnit.SECONDS) // host code that hangs
            }
        })
        try {
            login.start()
            val tokens = kotlinx.coroutines.withTimeout(5_000) { login.awaitTokens().seen() }
            expectEqual(CodeSource.POLL, tokens.completedVia, "completedVia")
        } finally {
            release.countDown()
        }
    }
}
