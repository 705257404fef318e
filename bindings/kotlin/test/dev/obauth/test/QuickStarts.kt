// The quick starts of bindings/README.md, compiled and run: the code between
// "// snippet: NAME" and "// end snippet" is, after trimIndent(), the README's block under
// "<!-- snippet: NAME -->" (checked by the last test here, for the Swift blocks too, against
// bindings/swift/Tests/ObAuthTests/QuickStarts.swift). Change them together.
//
// The app's side is stubbed with the shapes an Android app has: WebView / WebViewClient /
// WebResourceRequest / Uri as in android.webkit, a Keystore-backed SecureStorage, and UI calls.
// The stub WebView plays the user: loading the provider's page approves it, and the redirect
// that follows goes through shouldOverrideUrlLoading, as in a real WebView.
package dev.obauth.test

import dev.obauth.AppTokenProvider
import dev.obauth.AuthorizationParams
import dev.obauth.AuthorizationState
import dev.obauth.ClientConfig
import dev.obauth.ErrorCategory
import dev.obauth.LoginState
import dev.obauth.ObAuthClient
import dev.obauth.ObAuthException
import dev.obauth.Secret
import dev.obauth.SupervisedLoginParams
import dev.obauth.category
import dev.obauth.code
import dev.obauth.ffi.tokenSetFromJson
import dev.obauth.ffi.tokenSetToJson
import dev.obauth.shouldOverrideUrlLoading
import dev.obauth.signIn
import dev.obauth.states
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import java.io.File
import java.util.Collections

// --- android.webkit look-alikes ----------------------------------------------------------------

class Uri(private val text: String) {
    override fun toString() = text
}

class WebResourceRequest(val url: Uri)

open class WebViewClient {
    open fun shouldOverrideUrlLoading(view: WebView, request: WebResourceRequest): Boolean = false
}

/** A WebView whose user approves whatever the provider's page asks. */
class WebView(private val sandbox: Sandbox) {
    var webViewClient = WebViewClient()
    val loaded = Collections.synchronizedList(mutableListOf<String>())

    /** As on Android, the app's own loadUrl() does not go through shouldOverrideUrlLoading. */
    fun loadUrl(url: String) {
        loaded.add(url)
        // The user approves on the page; the page answers with the redirect back to the app.
        val next = if ("/v1/authentication/start" in url) sandbox.decide(url, "approve") else sandbox.consent(url, "approve")
        if (!webViewClient.shouldOverrideUrlLoading(this, WebResourceRequest(Uri(next)))) loadUrl(next)
    }
}

/** The app's UI and storage, recording what happened. */
class App {
    val keystore = MemoryStorage()
    val shown = mutableListOf<String>()
    val openedExternally = mutableListOf<String>()
    var bearer: String? = null

    fun showRetry() {
        shown.add("retry")
    }

    fun showStartAgain() {
        shown.add("start again")
    }

    fun showError(code: String) {
        shown.add("error $code")
    }

    fun useApi(bearer: String) {
        this.bearer = bearer
    }

    fun openExternally(url: String) {
        openedExternally.add(url)
    }
}

// --- the quick starts --------------------------------------------------------------------------

suspend fun App.supervisedQuickStart(scope: CoroutineScope, webView: WebView, apiUrl: String, clientId: String, clientSecret: String) {
    // snippet: kotlin-supervised
    val client = ObAuthClient(ClientConfig(apiUrl = apiUrl, clientId = clientId, clientSecret = Secret(clientSecret)))
    val login = client.supervisedLogin(
        SupervisedLoginParams(userHash = "test-user-id", redirectUrl = "https://app.example.com/aiia/callback"),
    )
    webView.webViewClient = object : WebViewClient() {
        override fun shouldOverrideUrlLoading(view: WebView, request: WebResourceRequest): Boolean =
            login.shouldOverrideUrlLoading(request.url.toString()) { url -> openExternally(url) }
    }
    scope.launch {
        login.states().collect { state ->
            if (state is LoginState.AwaitingUser) webView.loadUrl(state.authUrl) // the bank's page
        }
    }
    // App Link into the app: login.handleRedirect(intent.data.toString())
    try {
        val tokens = login.signIn() // start + await; cancelling the coroutine cancels the login
        keystore.save("obauth.session", tokens.accessToken.expose()) // prints as [redacted]; expose() for storage
    } catch (e: ObAuthException) {
        when (e.category) {
            ErrorCategory.RETRY_LATER -> showRetry()
            ErrorCategory.USER_ACTION -> showStartAgain()
            else -> showError(e.code)
        }
    }
    // end snippet
}

/** The app's back end, as the relay quick start asks it for an app token (minted by the test). */
object Backend {
    @Volatile var token: String = ""

    fun appToken(fresh: Boolean): String = token
}

suspend fun App.relayQuickStart(scope: CoroutineScope, webView: WebView, relayUrl: String) {
    // snippet: kotlin-relay
    /** The app's own token (a JWT from its sign-in); a fresh one from its back end when asked. */
    class AppTokens : AppTokenProvider {
        override fun appToken(forceRefresh: Boolean) = Secret(Backend.appToken(fresh = forceRefresh))
    }
    // No client id, secret or userHash on the device: the relay holds the partner credentials.
    val client = ObAuthClient.relay(relayUrl, AppTokens())
    val login = client.supervisedLogin(
        SupervisedLoginParams(userHash = "", redirectUrl = "https://app.example.com/aiia/callback"),
    )
    webView.webViewClient = object : WebViewClient() { // the WebView, App Links and states as above
        override fun shouldOverrideUrlLoading(view: WebView, request: WebResourceRequest): Boolean =
            login.shouldOverrideUrlLoading(request.url.toString()) { url -> openExternally(url) }
    }
    scope.launch {
        login.states().collect { state -> if (state is LoginState.AwaitingUser) webView.loadUrl(state.authUrl) }
    }
    // A token the relay refuses, also a fresh one: ObAuthException.Reauthenticate, code app_token_rejected.
    val tokens = login.signIn()
    keystore.save("obauth.session", tokens.accessToken.expose())
    // end snippet
}

suspend fun App.connectQuickStart(scope: CoroutineScope, webView: WebView, apiUrl: String, clientId: String, clientSecret: String) {
    // snippet: kotlin-connect
    val client = ObAuthClient(ClientConfig(apiUrl = apiUrl, clientId = clientId, clientSecret = Secret(clientSecret)))
    val flow = client.connectFlow(
        AuthorizationParams(
            redirectUri = "https://app.example.com/aiia-callback/connect",
            redirectPattern = "https://app.example.com/aiia-callback/*",
        ),
    )
    webView.webViewClient = object : WebViewClient() {
        override fun shouldOverrideUrlLoading(view: WebView, request: WebResourceRequest): Boolean =
            flow.shouldOverrideUrlLoading(request.url.toString()) { url -> openExternally(url) }
    }
    scope.launch {
        flow.states().collect { state ->
            if (state is AuthorizationState.AwaitingUser) webView.loadUrl(state.authorizeUrl) // consent page
        }
    }
    try {
        val tokens = flow.signIn() // TokenSet: access + refresh token, consentId
        val manager = client.connectTokens(tokens) // renews 60 s before expiry
        manager.persistTo(keystore, "obauth.tokens") // saved now and after every renewal
        val fresh = manager.freshToken() // before each API call
        useApi(bearer = fresh.accessToken.expose())
    } catch (e: ObAuthException) {
        when (e.category) {
            ErrorCategory.RETRY_LATER -> showRetry()
            ErrorCategory.USER_ACTION, ErrorCategory.REAUTHENTICATE -> showStartAgain()
            else -> showError(e.code)
        }
    }
    // end snippet
}

// --- the tests ---------------------------------------------------------------------------------

class QuickStartTests(private val sandbox: Sandbox) : Suite() {
    private val supervised = test("README quick start (Kotlin): supervised login") {
        val app = App()
        val webView = WebView(sandbox)
        app.supervisedQuickStart(this, webView, sandbox.baseUrl, sandbox.clientId, sandbox.clientSecret)
        expectEqual(emptyList<String>(), app.shown, "UI errors")
        check(app.keystore.values["obauth.session"]?.isNotEmpty() == true) { "no session token saved" }
        check(webView.loaded.any { "/v1/authentication/start" in it }) { "the bank page was not loaded: ${webView.loaded}" }
        check(webView.loaded.none { it.startsWith(REDIRECT) }) { "the redirect was loaded in the WebView" }
    }

    private val connect = test("README quick start (Kotlin): connect + TokenManager") {
        val app = App()
        val webView = WebView(sandbox)
        app.connectQuickStart(this, webView, sandbox.baseUrl, sandbox.clientId, sandbox.clientSecret)
        expectEqual(emptyList<String>(), app.shown, "UI errors")
        val saved = tokenSetFromJson(app.keystore.values["obauth.tokens"] ?: throw TestFailure("no tokens saved"))
        check(saved.refreshToken != null && saved.consentId != null) { "saved tokens incomplete" }
        expectEqual(tokenSetToJson(saved), app.keystore.values["obauth.tokens"], "saved JSON")
        expectEqual(saved.accessToken.expose(), app.bearer, "the token used for the API")
        check(webView.loaded.none { it.startsWith(CONNECT_REDIRECT) }) { "the redirect was loaded in the WebView" }
    }

    private val relay = test("README quick start (Kotlin): relay mode") {
        val relay = RelaySetup.fromProperties() ?: throw TestFailure("no relay (bindings/scripts/test-kotlin.sh starts one)")
        Backend.token = dev.obauth.testing.AppTokens(relay.appSecret, relay.audience, relay.relayKey).mint("kt-quickstart")
        val before = sandbox.successfulExchanges()
        val app = App()
        val webView = WebView(sandbox)
        app.relayQuickStart(this, webView, relay.urls[0])
        check(app.keystore.values["obauth.session"]?.isNotEmpty() == true) { "no session token saved" }
        check(webView.loaded.any { "/v1/authentication/start" in it }) { "the bank page was not loaded: ${webView.loaded}" }
        expectEqual(before + 1, sandbox.successfulExchanges(), "exchanges")
    }

    /** The READMEs' snippet blocks (bindings/README.md and the root README.md) equal the marked
     *  regions of the compiled sources. */
    private val readmesMatch = test("README quick starts are the code compiled here (Kotlin) and in QuickStarts.swift") {
        for (path in listOf("bindings/README.md", "README.md")) readmeMatches(path)
    }

    private fun readmeMatches(path: String) {
        val readme = File(path).takeIf { it.exists() }?.readText()
            ?: throw TestFailure("$path not found from ${File(".").absolutePath}")
        val sources = mapOf(
            "kotlin" to File("bindings/kotlin/test/dev/obauth/test/QuickStarts.kt").readText(),
            "swift" to File("bindings/swift/Tests/ObAuthTests/QuickStarts.swift").readText(),
        )
        val blocks = Regex("<!-- snippet: ([a-z-]+) -->\\s*```(\\w+)\\n(.*?)\\n```", RegexOption.DOT_MATCHES_ALL)
            .findAll(readme).toList()
        check(blocks.size >= 2) { "expected quick-start blocks in $path, found ${blocks.size}" }
        for (block in blocks) {
            val (name, language, text) = block.destructured
            val source = sources[language] ?: throw TestFailure("no compiled source for $language ($name)")
            val region = Regex("// snippet: $name\\n(.*?)\\n\\s*// end snippet", RegexOption.DOT_MATCHES_ALL)
                .find(source)?.groupValues?.get(1) ?: throw TestFailure("no region '$name' in the $language source")
            expectEqual(region.trimIndent(), text.trimIndent(), "$path block '$name'")
        }
    }
}
