// The Kotlin binding tests: the generated bindings and the dev.obauth layer, on the JVM through
// JNA, against the freshly built libobauth_ffi and a live sandbox (`obauth sandbox`), started by
// bindings/scripts/test-kotlin.sh, which passes its URL as -Dobauth.sandbox=URL.
//
// A tiny runner instead of JUnit (nothing to install beyond kotlinc's own lib/): every test is
// a suspend function with a time limit; the last line is "Kotlin: N passed, M failed" and the
// exit status is non-zero on any failure.
package dev.obauth.test

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

fun main() {
    val base = System.getProperty("obauth.sandbox") ?: System.getenv("OBAUTH_SANDBOX_URL")
    if (base.isNullOrBlank()) {
        System.err.println("set -Dobauth.sandbox=URL (bindings/scripts/test-kotlin.sh does)")
        exitProcess(2)
    }
    val only = System.getProperty("obauth.only")
    val sandbox = Sandbox(base)
    val tests = (
        LoginTests(sandbox).all() + PersistenceTests(sandbox).all() +
            AuthorizationTests(sandbox).all() + UnattendedTests(sandbox).all() + SignOutTests(sandbox).all() + TokenTests(sandbox).all() + QuickStartTests(sandbox).all() +
            RedactionTests().all() + (RelaySetup.fromProperties()?.let { RelayTests(sandbox, it).all() } ?: emptyList())
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
