// The host transport (HttpTransport, dev.obauth.HttpUrlConnectionTransport): the only HTTP client
// of the platform-networking flavour, optional in the default one. Every other suite runs
// against both flavours (bindings/scripts/test-kotlin.sh, OBAUTH_FLAVOUR); these tests check
// what is specific to the seam: what the core hands the host, and the flavour without one.
package dev.obauth.test

import dev.obauth.ClientConfig
import dev.obauth.HttpUrlConnectionTransport
import dev.obauth.LoginState
import dev.obauth.ObAuthClient
import dev.obauth.ObAuthException
import dev.obauth.Secret
import dev.obauth.SupervisedLoginParams
import dev.obauth.ffi.HttpCompletion
import dev.obauth.ffi.HttpTransport
import dev.obauth.ffi.HttpTransportRequest
import dev.obauth.ffi.clearHttpTransport
import dev.obauth.ffi.setHttpTransport
import dev.obauth.states
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.first
import java.util.concurrent.CopyOnWriteArrayList

/** [restore] puts back the transport of this run (none in the default flavour). */
class TransportTests(private val sandbox: Sandbox, private val flavour: String, private val restore: () -> Unit) {
    fun all(): List<Test> = buildList {
        add(Test("transport: a host transport sends what the core decided, and prints no secret") { recorded() })
        if (flavour == "platform") {
            add(Test("transport: the platform flavour refuses to build a client without a transport") { noTransport() })
        }
    }

    private fun client() = ObAuthClient(
        ClientConfig(
            apiUrl = sandbox.baseUrl,
            clientId = sandbox.clientId,
            clientSecret = Secret(sandbox.clientSecret),
            externalAppHosts = listOf(BANK_APP_HOST),
        ),
    )

    private suspend fun recorded() {
        val seen = CopyOnWriteArrayList<HttpTransportRequest>()
        val inner = HttpUrlConnectionTransport()
        setHttpTransport(object : HttpTransport {
            override fun send(request: HttpTransportRequest, completion: HttpCompletion) {
                seen.add(request)
                inner.send(request, completion)
            }
        })
        try {
            val login = client().supervisedLogin(
                SupervisedLoginParams(userHash = "kt-transport-${System.nanoTime() % 100000}", redirectUrl = REDIRECT),
            )
            login.start()
            login.states().filterIsInstance<LoginState.AwaitingUser>().first()
            login.cancel()
            check(seen.isNotEmpty()) { "no request went through the host transport" }
            val first = seen.first()
            expectEqual("POST", first.method, "method of the initialize request")
            check(first.url.startsWith(sandbox.baseUrl)) { "url ${first.url}" }
            check(first.timeoutMs > 0uL) { "no time-out" }
            check(first.headers.any { it.name == "content-type" }) { "no content-type with the body" }
            val carriesSecret = seen.any { request ->
                request.headers.any { sandbox.clientSecret in it.value.expose() } ||
                    request.body?.expose()?.contains(sandbox.clientSecret) == true
            }
            check(carriesSecret) { "expected the partner credentials on a request" }
            check(sandbox.clientSecret !in seen.toString()) { "a printed request showed the client secret" }
        } finally {
            restore()
        }
    }

    private fun noTransport() {
        clearHttpTransport()
        try {
            val e = expectThrows<ObAuthException.InvalidInput>("a client without a transport") { client() }
            expectEqual("httpTransport", e.field, "field")
        } finally {
            restore()
        }
    }
}
