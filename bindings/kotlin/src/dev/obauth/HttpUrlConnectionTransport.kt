// The host side of the platform-networking flavour on the JVM and Android: ObAuth's HTTP requests
// sent with java.net.HttpURLConnection, so the app's own networking policy applies (proxies,
// the platform's trust store and network security config, certificate pinning, MDM VPNs) and
// the library ships without an HTTP client or TLS stack of its own.
//
// Install it once, before the first client is built:
//
//     dev.obauth.ffi.setHttpTransport(HttpUrlConnectionTransport())
//
// The core keeps every decision: it refuses plain http to non-loopback hosts before calling
// here, enforces the time-out and the body limit again, and retries by its own rules. This class
// only moves bytes: it never follows redirects (the WebView does that, not the API client),
// reads error bodies like success bodies, and reports failures as typed errors.
package dev.obauth

import dev.obauth.ffi.HttpCompletion
import dev.obauth.ffi.HttpHeader
import dev.obauth.ffi.HttpTransport
import dev.obauth.ffi.HttpTransportException
import dev.obauth.ffi.HttpTransportRequest
import dev.obauth.ffi.HttpTransportResponse
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.net.HttpURLConnection
import java.net.SocketTimeoutException
import java.net.URI
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/**
 * [HttpTransport] over [HttpURLConnection]. Each request runs on [executor] (a cached pool of
 * daemon threads by default: a held long-poll occupies one thread while it waits).
 */
class HttpUrlConnectionTransport(
    private val executor: ExecutorService = Executors.newCachedThreadPool { runnable ->
        Thread(runnable, "obauth-http").apply { isDaemon = true }
    },
) : HttpTransport {
    init {
        // The JDK sends a POST again, silently, when a kept-alive connection turns out to be
        // stale; the core decides about retries, and a code is exchanged at most once. The
        // property is read when the JDK's HTTP client class loads: it takes effect if no
        // HttpURLConnection was used before the first transport is built (an app that needs it
        // earlier sets -Dsun.net.http.retryPost=false itself). Android's HttpURLConnection does
        // not retry POSTs.
        if (System.getProperty("sun.net.http.retryPost") == null) {
            System.setProperty("sun.net.http.retryPost", "false")
        }
    }

    override fun send(request: HttpTransportRequest, completion: HttpCompletion) {
        executor.execute {
            val outcome = try {
                Result.success(exchange(request))
            } catch (e: SocketTimeoutException) {
                Result.failure(HttpTransportException.Timeout())
            } catch (e: IOException) {
                // The exception's message, never the URL's query or a header: neither carries
                // secrets by the core's rules, but the message is all the core needs.
                Result.failure(HttpTransportException.Network("${e.javaClass.simpleName}: ${e.message}"))
            } catch (e: RuntimeException) {
                Result.failure(HttpTransportException.Network("${e.javaClass.simpleName}: ${e.message}"))
            }
            outcome.fold(
                onSuccess = { completion.succeeded(it) },
                onFailure = { completion.failed(it as HttpTransportException) },
            )
        }
    }

    private fun exchange(request: HttpTransportRequest): HttpTransportResponse {
        val timeout = request.timeoutMs.toLong().coerceIn(1, Int.MAX_VALUE.toLong()).toInt()
        val connection = URI(request.url).toURL().openConnection() as HttpURLConnection
        try {
            connection.instanceFollowRedirects = false
            connection.useCaches = false
            connection.connectTimeout = timeout
            connection.readTimeout = timeout
            connection.requestMethod = request.method
            for (header in request.headers) {
                connection.setRequestProperty(header.name, header.value.expose())
            }
            val body = request.body
            if (body != null) {
                val bytes = body.expose().toByteArray(Charsets.UTF_8)
                connection.doOutput = true
                // Not in streaming mode: in it the JDK cannot hand back the body of a 401 that
                // carries WWW-Authenticate (a relay's InvalidAppToken), which the core must read.
                connection.outputStream.use { it.write(bytes) }
            }
            val status = connection.responseCode
            val stream = if (status >= 400) connection.errorStream else connection.inputStream
            val received = ByteArrayOutputStream()
            stream?.use { input ->
                val buffer = ByteArray(16 * 1024)
                while (true) {
                    val n = input.read(buffer)
                    if (n < 0) break
                    // The core refuses bodies over 1 MiB; stop reading one byte past it.
                    if (received.size() + n > MAX_BODY + 1) throw IOException("response body too large")
                    received.write(buffer, 0, n)
                }
            }
            val headers = connection.headerFields
                .filterKeys { it != null }
                .flatMap { (name, values) -> values.map { HttpHeader(name.lowercase(), Secret(it)) } }
            return HttpTransportResponse(status.toUShort(), headers, received.toByteArray())
        } finally {
            connection.disconnect()
        }
    }

    private companion object {
        const val MAX_BODY = 1 shl 20
    }
}
