// The Kotlin binding tests: the generated bindings and the dev.obauth layer, on the JVM through
// JNA, against the freshly built libobauth_ffi and a live sandbox (`obauth sandbox`), started by
// bindings/scripts/test-kotlin.sh, which passes its URL as -Dobauth.sandbox=URL.
//
// A tiny runner instead of JUnit (nothing to install beyond kotlinc's own lib/): every test is
// a suspend function with a time limit; the last line is "Kotlin: N passed, M failed" and the
// exit status is non-zero on any failure.
package dev.obauth.test

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlin.system.exitProcess

class TestFailure(message: String) : AssertionError(message)

fun check(condition: Boolean, message: () -> String) {
    if (!condition) throw TestFailure(message())
}

fun <T> expectEqual(expected: T, actual: T, what: String) {
    if (expected != actual) throw TestFailure("$what: expected <$expected>, got <$actual>")
}

inline fun <reified E : Throwable> expectThrows(what: String, block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        throw TestFailure("$what: expected ${E::class.simpleName}, got $e")
    }
    throw TestFailure("$what: expected ${E::class.simpleName}, nothing was thrown")
}

class Test(val name: String, val body: suspend () -> Unit)

/**
 * A group of tests, each declared where its body is (`private val byPoll = test("what it checks")
 * { ... }`): the name stays beside the code, and no list repeats them. [all] gives them in
 * declaration order (property initialisers run top to bottom). A body runs in a coroutine scope
 * of its own, so it can start coroutines that the test then waits for.
 */
abstract class Suite {
    private val tests = mutableListOf<Test>()

    /** Declares the test [name]; returns it (the property's value, for nothing else). */
    protected fun test(name: String, body: suspend CoroutineScope.() -> Unit): Test =
        Test(name) { coroutineScope { body() } }.also { tests.add(it) }

    /** Every test declared so far, in declaration order. */
    fun all(): List<Test> = tests.toList()
}

/**
 * Collects every state of [states] until the flow ends; returns once subscribed (the first
 * state, Created, has arrived), so that nothing the test does next is missed.
 */
suspend fun <S> CoroutineScope.collectStates(states: Flow<S>): Deferred<List<S>> {
    val first = Channel<Unit>(1)
    val collected = async(start = CoroutineStart.UNDISPATCHED) {
        val seen = mutableListOf<S>()
        states.collect {
            seen.add(it)
            if (seen.size == 1) first.send(Unit)
        }
        seen
    }
    first.receive()
    return collected
}

fun main() {
    val base = System.getProperty("obauth.sandbox") ?: System.getenv("OBAUTH_SANDBOX_URL")
    if (base.isNullOrBlank()) {
        System.err.println("set -Dobauth.sandbox=URL (bindings/scripts/test-kotlin.sh does)")
        exitProcess(2)
    }
    val only = System.getProperty("obauth.only")
    // The library's flavour (test-kotlin.sh, OBAUTH_FLAVOUR): the platform-networking one sends
    // every request through the app's HttpURLConnection, installed before any client is built.
    val flavour = System.getProperty("obauth.flavour") ?: "default"
    val restoreTransport: () -> Unit = if (flavour == "platform") {
        { dev.obauth.ffi.setHttpTransport(dev.obauth.HttpUrlConnectionTransport()) }
    } else {
        { dev.obauth.ffi.clearHttpTransport() }
    }
    restoreTransport()
    println("flavour: $flavour")
    val sandbox = Sandbox(base)
    val tests = (
        LoginTests(sandbox).all() + PersistenceTests(sandbox).all() +
            AuthorizationTests(sandbox).all() + UnattendedTests(sandbox).all() + SignOutTests(sandbox).all() + TokenTests(sandbox).all() + QuickStartTests(sandbox).all() +
            RedactionTests().all() + TransportTests(sandbox, flavour, restoreTransport).all() +
            (RelaySetup.fromProperties()?.let { RelayTests(sandbox, it).all() } ?: emptyList())
        )
        .filter { only == null || it.name.contains(only) } + runScanSelfTest() + wholeRunScan()
    RunScan.note(sandbox.clientSecret)
    RunScan.attach()
    var passed = 0
    var failed = 0
    for (test in tests) {
        val started = System.nanoTime()
        try {
            runBlocking { withTimeout(60_000) { test.body() } }
            passed++
            println("ok   ${test.name} (${(System.nanoTime() - started) / 1_000_000} ms)")
        } catch (e: Throwable) {
            failed++
            println("FAIL ${test.name}: $e")
            e.stackTrace.take(8).forEach { println("       at $it") }
        }
        // A test may have installed (and cleared) its own sink: every scenario runs with the run's.
        RunScan.attach()
    }
    println("Kotlin: $passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed > 0) 0 else 1)
}
