// The sandbox's /_sandbox control API and a stand-in for the user's browser on its bank page,
// over java.net.http. Mirrors bindings/kotlin/test/Sandbox.kt on purpose: the sample's tests
// do not depend on another suite's internals.
package dev.obauth.sample.test

import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration

class SandboxControl(val baseUrl: String) {
    private val http: HttpClient = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5))
        .build()

    private fun request(path: String) = HttpRequest.newBuilder(URI.create(baseUrl.trimEnd('/') + path))
        .timeout(Duration.ofSeconds(10))

    private fun post(path: String, json: String) {
        val response = http.send(
            request(path).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
            HttpResponse.BodyHandlers.ofString(),
        )
        check(response.statusCode() == 200) { "POST $path answered ${response.statusCode()}: ${response.body()}" }
    }

    /** Scripts what the user with [userHash] does at the bank (approve / page / never …). */
    fun script(userHash: String, script: String, delayMs: Long = 0) =
        post("/_sandbox/script", """{"userHash":"$userHash","script":"$script","delayMs":$delayMs}""")

    /** Injects [times] faults on [endpoint] (e.g. a delay on `status`). */
    fun fault(endpoint: String, fault: String, delayMs: Long = 0, times: Int = 1) =
        post("/_sandbox/faults", """{"endpoint":"$endpoint","fault":"$fault","delayMs":$delayMs,"times":$times}""")

    /** Successful code exchanges so far. */
    fun successfulExchanges(): Long {
        val body = http.send(request("/_sandbox/stats").GET().build(), HttpResponse.BodyHandlers.ofString()).body()
        val match = Regex("\"successfulExchanges\"\\s*:\\s*(\\d+)").find(body) ?: error("no successfulExchanges in $body")
        return match.groupValues[1].toLong()
    }

    /**
     * Plays the user in the WebView: loads the bank page at [authUrl], submits [decision]
     * (approve / cancel / fail) and returns the redirect's Location, the URL the WebView would
     * be about to load next (and the one an App Link would carry).
     */
    fun decide(authUrl: String, decision: String): String {
        val page = http.send(HttpRequest.newBuilder(URI.create(authUrl)).GET().build(), HttpResponse.BodyHandlers.ofString())
        check(page.statusCode() == 200) { "the bank page answered ${page.statusCode()}" }
        val startToken = URI.create(authUrl).rawQuery.split('&').map { it.split('=', limit = 2) }
            .firstOrNull { it[0] == "startToken" }?.get(1) ?: error("no startToken in the auth URL")
        val form = "startToken=$startToken&decision=" + URLEncoder.encode(decision, "UTF-8")
        val answer = http.send(
            HttpRequest.newBuilder(URI.create(authUrl).resolve("/v1/authentication/start/decision"))
                .header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(),
            HttpResponse.BodyHandlers.ofString(),
        )
        return answer.headers().firstValue("location").orElseThrow {
            IllegalStateException("the decision answered ${answer.statusCode()} without a redirect")
        }
    }
}
