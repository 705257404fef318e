// Test plumbing: the sandbox's /_sandbox control API and a stand-in for the user's browser on
// the sandbox's bank page, over java.net.http (no extra libraries).
package dev.obauth.test

import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration

class Sandbox(val baseUrl: String) {
    val clientId = "sandbox-client-id"
    val clientSecret = "sandbox-client-secret"

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

    /** Injects [times] faults on [endpoint] (e.g. a delay on `status`). */
    fun fault(endpoint: String, fault: String, delayMs: Long = 0, times: Int = 1) {
        post(
            "/_sandbox/faults",
            """{"endpoint":"$endpoint","fault":"$fault","delayMs":$delayMs,"times":$times}""",
        )
    }

    /** Successful code exchanges so far. */
    fun successfulExchanges(): Long {
        val request = HttpRequest.newBuilder(URI.create(baseUrl.trimEnd('/') + "/_sandbox/stats"))
            .timeout(Duration.ofSeconds(10)).GET().build()
        val body = http.send(request, HttpResponse.BodyHandlers.ofString()).body()
        val match = Regex("\"successfulExchanges\"\\s*:\\s*(\\d+)").find(body)
            ?: error("no successfulExchanges in $body")
        return match.groupValues[1].toLong()
    }

    /**
     * Plays the user's browser: loads the bank page at [authUrl], submits [decision]
     * (approve / cancel / fail) and returns the redirect's Location — the URL a WebView would be
     * about to load next.
     */
    fun decide(authUrl: String, decision: String): String {
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
        val answer = http.send(
            HttpRequest.newBuilder(URI.create(authUrl).resolve("/v1/authentication/start/decision"))
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
}
