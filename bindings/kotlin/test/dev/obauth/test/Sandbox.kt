// Test plumbing: the sandbox's /_sandbox control API and a stand-in for the user's browser on
// the sandbox's bank page, over java.net.http (no extra libraries); the client the tests build
// against it.
package dev.obauth.test

import dev.obauth.ClientConfig
import dev.obauth.ObAuthClient
import dev.obauth.Secret
import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration

class Sandbox(val baseUrl: String) {
    val clientId = "sandbox-client-id"
    val clientSecret = "sandbox-client-secret"
    val publicClientId = "sandbox-public-client"
    val issuer = baseUrl.trimEnd('/') + "/oidc"

    private val http: HttpClient = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5))
        .build()

    private fun post(path: String, json: String): HttpResponse<String> {
        val request = HttpRequest.newBuilder(URI.create(baseUrl.trimEnd('/') + path))
            .timeout(Duration.ofSeconds(10))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 200) { "POST $path answered ${response.statusCode()}: ${response.body()}" }
        return response
    }

    /** Scripts what the user with [userHash] does at the bank. */
    fun script(userHash: String, script: String, delayMs: Long = 0) {
        post("/_sandbox/script", """{"userHash":"$userHash","script":"$script","delayMs":$delayMs}""")
    }

    /** What the user does on the hosted consent pages: `page`, `approve`, `cancel`, `return_without_code`. */
    fun consentScript(script: String) {
        post("/_sandbox/oauth/consent", """{"script":"$script"}""")
    }

    /** Whether the bank of [userHash] supports unattended logins (for login tokens issued later). */
    fun unattendedSupport(userHash: String, supported: Boolean) {
        post("/_sandbox/unattended", """{"userHash":"$userHash","supported":$supported}""")
    }

    /** Makes every login token issued so far expire now. */
    fun expireLoginTokens() {
        post("/_sandbox/login-tokens/expire", "{}")
    }

    /** The `X-Correlation-Id` of every request to [endpoint] so far, oldest first (null: none). */
    fun correlationIds(endpoint: String): List<String?> =
        Regex("\\{[^{}]*\\}").findAll(get("/_sandbox/correlation"))
            .map { it.value }
            .filter { "\"endpoint\":\"$endpoint\"" in it }
            .map { Regex("\"correlationId\":\"([^\"]*)\"").find(it)?.groupValues?.get(1) }
            .toList()

    /**
     * Plays a WebView that follows every redirect from [authorizeUrl] (a consent script decides at
     * once) until one leads to [redirect]; returns that URL.
     */
    fun followToApp(authorizeUrl: String, redirect: String): String {
        var url = URI.create(authorizeUrl)
        repeat(5) {
            val answer = http.send(
                HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString(),
            )
            check(answer.statusCode() in 300..399) { "$url answered ${answer.statusCode()}" }
            val next = url.resolve(answer.headers().firstValue("location").orElseThrow())
            if (next.toString().startsWith(redirect)) return next.toString()
            url = next
        }
        error("no redirect to $redirect")
    }

    /** Injects [times] faults on [endpoint] (e.g. a delay on `status`). */
    fun fault(endpoint: String, fault: String, delayMs: Long = 0, times: Int = 1) {
        post(
            "/_sandbox/faults",
            """{"endpoint":"$endpoint","fault":"$fault","delayMs":$delayMs,"times":$times}""",
        )
    }

    private fun get(path: String): String {
        val request = HttpRequest.newBuilder(URI.create(baseUrl.trimEnd('/') + path))
            .timeout(Duration.ofSeconds(10)).GET().build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 200) { "GET $path answered ${response.statusCode()}" }
        return response.body()
    }

    /** A counter of `/_sandbox/stats` (e.g. `refreshGrants`, `oauthTokenRequests`). */
    fun stat(name: String): Long {
        val body = get("/_sandbox/stats")
        val match = Regex("\"$name\"\\s*:\\s*(\\d+)").find(body) ?: error("no $name in $body")
        return match.groupValues[1].toLong()
    }

    /**
     * Counter [name] once it has stood still for [quietMs]: a request a closed flow had already
     * handed to the network (in the platform flavour, to HttpURLConnection) may still be on its
     * way, and a "nothing was sent" check must not count it. A flow that goes on polling after it
     * was closed keeps the counter moving and still fails the check after this returns.
     */
    fun settled(name: String, quietMs: Long = 300): Long {
        var last = stat(name)
        repeat(20) {
            Thread.sleep(quietMs)
            val now = stat(name)
            if (now == last) return now
            last = now
        }
        error("$name never stood still for $quietMs ms")
    }

    /** Successful code exchanges so far. */
    fun successfulExchanges(): Long = stat("successfulExchanges")

    /** How many requests reached the OAuth token endpoints (`/_sandbox/oauth/token-requests`). */
    fun tokenRequestCount(): Int = Regex("\"grantType\"").findAll(get("/_sandbox/oauth/token-requests")).count()

    /** The last token request's `authMethod` (`client_secret_basic`, `client_secret_post`, `none`). */
    fun lastTokenAuthMethod(): String =
        Regex("\"authMethod\"\\s*:\\s*\"([^\"]*)\"").findAll(get("/_sandbox/oauth/token-requests"))
            .lastOrNull()?.groupValues?.get(1) ?: error("no token request yet")

    /** Revokes every refresh token the sandbox issued; returns how many. */
    fun revokeRefreshTokens(): Int {
        val body = post("/_sandbox/oauth/revoke-refresh-tokens", "{}").body()
        return Regex("\"revoked\"\\s*:\\s*(\\d+)").find(body)?.groupValues?.get(1)?.toInt()
            ?: error("no revoked count in $body")
    }

    /**
     * Plays the user's browser: loads the bank page at [authUrl], submits [decision]
     * (approve / cancel / fail) and returns the redirect's Location — the URL a WebView would be
     * about to load next.
     */
    fun decide(authUrl: String, decision: String): String = RunScan.noteUrl(decideUnnoted(RunScan.noteUrl(authUrl), decision))

    private fun decideUnnoted(authUrl: String, decision: String): String {
        val page = http.send(
            HttpRequest.newBuilder(URI.create(authUrl)).timeout(Duration.ofSeconds(10)).GET().build(),
            HttpResponse.BodyHandlers.ofString(),
        )
        check(page.statusCode() == 200) { "the bank page answered ${page.statusCode()}" }
        val startToken = URI.create(authUrl).rawQuery.split('&')
            .map { it.split('=', limit = 2) }
            .firstOrNull { it[0] == "startToken" }?.get(1)
            ?: error("no startToken in the auth URL")
        val form = "startToken=$startToken&decision=" + URLEncoder.encode(decision, "UTF-8")
        return submitDecision(URI.create(authUrl).resolve("/v1/authentication/start/decision"), form)
    }

    /** Posts the user's decision [form] to [action]; returns the answer's Location (the redirect). */
    private fun submitDecision(action: URI, form: String): String {
        val answer = http.send(
            HttpRequest.newBuilder(action)
                .timeout(Duration.ofSeconds(10))
                .header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build(),
            HttpResponse.BodyHandlers.ofString(),
        )
        return answer.headers().firstValue("location").orElseThrow {
            IllegalStateException("the decision answered ${answer.statusCode()} without a redirect")
        }
    }

    /**
     * Plays the user's browser on a hosted OAuth page (the Aiia consent page behind
     * `GET /v1/oauth/connect`, or the `/oidc/authorize` sign-in page): loads [authorizeUrl],
     * follows the provider's redirects to the page, clicks the button [decision] (`approve` /
     * `cancel`: submits its form with the hidden `request` and `decision` fields) and returns the
     * answer's Location — the redirect back to the app a WebView would be about to load.
     */
    fun consent(authorizeUrl: String, decision: String): String =
        RunScan.noteUrl(consentUnnoted(RunScan.noteUrl(authorizeUrl), decision))

    private fun consentUnnoted(authorizeUrl: String, decision: String): String {
        var url = URI.create(authorizeUrl)
        var page: HttpResponse<String>
        var hops = 0
        while (true) {
            page = http.send(
                HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString(),
            )
            if (page.statusCode() !in 300..399) break
            check(++hops < 5) { "too many redirects from $authorizeUrl" }
            url = url.resolve(page.headers().firstValue("location").orElseThrow())
        }
        check(page.statusCode() == 200) { "the consent page answered ${page.statusCode()}: ${page.body().take(300)}" }
        val form = Regex("<form[^>]*action=\"([^\"]+)\"[^>]*>(.*?)</form>", RegexOption.DOT_MATCHES_ALL)
            .findAll(page.body())
            .firstOrNull { "name=\"decision\" value=\"$decision\"" in it.groupValues[2] }
            ?: error("no '$decision' form on the page")
        val request = Regex("name=\"request\" value=\"([^\"]*)\"").find(form.groupValues[2])
            ?.groupValues?.get(1)?.let(::unescapeHtml) ?: error("no hidden request field")
        val body = "request=" + URLEncoder.encode(request, "UTF-8") + "&decision=" + URLEncoder.encode(decision, "UTF-8")
        return submitDecision(url.resolve(unescapeHtml(form.groupValues[1])), body)
    }

    private fun unescapeHtml(text: String): String = text
        .replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
        .replace("&amp;", "&")
}

/**
 * A client of the sandbox with the navigation policy the tests expect (its bank app host, web
 * host and external schemes); [secret] replaces the client secret.
 */
fun sandboxClient(sandbox: Sandbox, secret: String = sandbox.clientSecret) = ObAuthClient(
    ClientConfig(
        apiUrl = sandbox.baseUrl,
        clientId = sandbox.clientId,
        clientSecret = Secret(secret),
        externalAppHosts = listOf(BANK_APP_HOST),
        webHosts = listOf("bank.example.com"),
        externalSchemes = listOf("bankid", "tel"),
    ),
)
