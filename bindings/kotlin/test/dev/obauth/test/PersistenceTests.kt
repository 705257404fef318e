// Snapshots, restore and host secure storage through the Kotlin bindings, against the sandbox.
package dev.obauth.test

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
import dev.obauth.detail
import dev.obauth.ffi.RedirectOutcome
import dev.obauth.ffi.SecureStorage
import dev.obauth.ffi.SupervisedLogin
import dev.obauth.states
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.first
import java.io.IOException
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger

/** What an app's Keystore-backed storage looks like to the core; in memory for the tests. */
class MemoryStorage : SecureStorage {
    val values = ConcurrentHashMap<String, String>()
    val saves = AtomicInteger()

    override fun save(key: String, value: String) {
        RunScan.noteSnapshot(value)
        values[key] = value
        saves.incrementAndGet()
    }

    override fun load(key: String): String? = values[key]

    override fun remove(key: String) {
        values.remove(key)
    }
}

/** A storage whose every call fails the way a host storage can: [failure] is thrown. */
class FailingStorage(private val failure: () -> Exception) : SecureStorage {
    override fun save(key: String, value: String) = throw failure()
    override fun load(key: String): String? = throw failure()
    override fun remove(key: String) = throw failure()
}

class PersistenceTests(private val sandbox: Sandbox) : Suite() {
    private var users = 0

    private fun user(tag: String) = "kt-$tag-${++users}-${System.nanoTime() % 100000}".take(64)

    /** A new client each time: a restored login runs in "a new process". */
    private fun client() = ObAuthClient(ClientConfig(sandbox.baseUrl, sandbox.clientId, Secret(sandbox.clientSecret)))

    private fun login(user: String): SupervisedLogin =
        client().supervisedLogin(SupervisedLoginParams(userHash = user, redirectUrl = REDIRECT))

    private val snapshotRestoreComplete = test("snapshot -> new client -> restore -> complete by redirect") {
        val user = user("restore")
        sandbox.script(user, "page")
        val before = sandbox.successfulExchanges()
        val first = login(user)
        first.start()
        val awaiting = first.states().filterIsInstance<LoginState.AwaitingUser>().first()
        val snapshot = first.snapshot().seenSnapshot()
        check(sandbox.clientSecret !in snapshot) { "the client secret is in the snapshot" }
        first.close() // the OS kills the app while the user is at the bank

        // Hold the restored login's first long-poll so that the redirect is what completes it.
        sandbox.fault("status", "delay", delayMs = 1500)
        val restored = client().restoreSupervisedLogin(snapshot)
        expectEqual(awaiting, restored.state(), "restored state")
        restored.resume()
        val location = sandbox.decide(awaiting.authUrl, "approve")
        expectEqual(RedirectOutcome.CodeAccepted, restored.handleRedirect(location), "redirect after restore")
        val tokens = restored.awaitTokens().seen()
        expectEqual(CodeSource.REDIRECT, tokens.completedVia, "completedVia")
        expectEqual(before + 1, sandbox.successfulExchanges(), "exactly one exchange")
    }

    private val persistTo = test("persistTo saves the login as it goes; the saved snapshot restores") {
        val storage = MemoryStorage()
        val user = user("persist")
        sandbox.script(user, "approve", delayMs = 200)
        val login = login(user)
        login.persistTo(storage, "obauth.login")
        check(storage.values["obauth.login"] != null) { "nothing saved at persistTo" }
        login.start()
        val tokens = login.awaitTokens().seen()
        // Snapshots are saved after each state change, outside the flow's lock: the last one
        // may trail awaitTokens() by a moment.
        var restored: SupervisedLogin? = null
        repeat(100) {
            val candidate = client().restoreSupervisedLogin(storage.values.getValue("obauth.login"))
            if (candidate.state() is LoginState.Authenticated) {
                restored = candidate
                return@repeat
            }
            candidate.close()
            delay(20)
        }
        val done = restored ?: throw TestFailure("the saved snapshot never reached Authenticated")
        check(storage.saves.get() >= 4) { "only ${storage.saves.get()} saves" }
        expectEqual(tokens.accessToken, done.awaitTokens().seen().accessToken, "tokens from the restored snapshot")
    }

    private val throwingStorage = test("a throwing host storage is a typed ObAuthException (RetryLater, storage)") {
        val untyped = expectThrows<ObAuthException>("persistTo with a throwing storage") {
            login(user("badstore")).persistTo(FailingStorage { IOException("keystore locked") }, "k")
        }
        expectEqual(ErrorCategory.RETRY_LATER, untyped.category, "category")
        expectEqual("storage", untyped.code, "code")
        check("keystore locked" in untyped.detail) { "detail: ${untyped.detail}" }

        val typed = expectThrows<ObAuthException>("persistTo with a storage throwing ObAuthException") {
            login(user("badstore")).persistTo(
                FailingStorage { ObAuthException.Fatal("keystore", "user not authenticated", null) },
                "k",
            )
        }
        expectEqual("storage", typed.code, "code")
        check("user not authenticated" in typed.detail) { "detail: ${typed.detail}" }
    }

    private val badSnapshots = test("a corrupt or future snapshot is InvalidInput") {
        val corrupt = expectThrows<ObAuthException.InvalidInput>("corrupt snapshot") {
            client().restoreSupervisedLogin("{not json")
        }
        expectEqual("invalid_snapshot", corrupt.code, "code")
        val future = expectThrows<ObAuthException.InvalidInput>("future snapshot") {
            client().restoreSupervisedLogin("""{"version":999,"kind":"supervised_login","flow":{}}""")
        }
        expectEqual("unsupported_snapshot_version", future.code, "code")
    }

    private val sealedSnapshots = test("snapshot key: sealed snapshots restore with the key only; an edited one is refused, nothing sent") {
        val key = Secret("kt-integrity-key-from-the-keystore-0123456789")
        fun keyed(key: Secret?) = ObAuthClient(
            ClientConfig(sandbox.baseUrl, sandbox.clientId, Secret(sandbox.clientSecret), snapshotKey = key),
        )
        val user = user("sealed")
        sandbox.script(user, "page")
        val first = keyed(key).supervisedLogin(SupervisedLoginParams(userHash = user, redirectUrl = REDIRECT))
        first.start()
        val awaiting = first.states().filterIsInstance<LoginState.AwaitingUser>().first()
        val sealed = first.snapshot().seenSnapshot()
        first.close()
        check(sealed.startsWith("{\"sealed\":\"hmac-sha256\"")) { "not sealed" }
        check(key.expose() !in sealed) { "the key is in the snapshot" }
        // Another user's hash, a forged bank page: edits the configuration checks cannot see.
        val edited = sealed.replace(user, user.reversed())
        check(edited != sealed) { "the edit did not apply" }
        val before = sandbox.settled("statusRequests")
        for ((what, client, text) in listOf(
            Triple("edited", keyed(key), edited),
            Triple("without the key", keyed(null), sealed),
            Triple("another key", keyed(Secret("another-key-of-enough-length-0123456789")), sealed),
        )) {
            val e = expectThrows<ObAuthException.InvalidInput>(what) { client.restoreSupervisedLogin(text) }
            expectEqual("invalid_snapshot", e.code, "$what: code")
        }
        expectEqual(before, sandbox.stat("statusRequests"), "no status request for a refused snapshot")
        val short = expectThrows<ObAuthException.InvalidInput>("a short key") { keyed(Secret("short")) }
        expectEqual("snapshotKey", short.field, "field")

        sandbox.fault("status", "delay", delayMs = 1500)
        val restored = keyed(key).restoreSupervisedLogin(sealed)
        restored.resume()
        val location = sandbox.decide(awaiting.authUrl, "approve")
        expectEqual(RedirectOutcome.CodeAccepted, restored.handleRedirect(location), "redirect after restore")
        restored.awaitTokens().seen()
    }
}
