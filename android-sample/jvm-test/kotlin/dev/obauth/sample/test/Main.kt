// JVM tests of the Android sample's plain-Kotlin logic (app/src/core/kotlin), through the real
// libobauth_ffi (JNA) against a live sandbox that android-sample/scripts/test-jvm.sh starts and
// passes as -Dobauth.sandbox=URL. The same tiny runner as bindings/kotlin/test: no JUnit to
// install; every test is a suspend function with a time limit; the last line is
// "Kotlin sample: N passed, M failed" and the exit status is non-zero on any failure.
package dev.obauth.sample.test

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

class Test(val name: String, val body: suspend () -> Unit)

fun main() {
    val base = System.getProperty("obauth.sandbox") ?: System.getenv("OBAUTH_SANDBOX_URL")
    if (base.isNullOrBlank()) {
        System.err.println("set -Dobauth.sandbox=URL (android-sample/scripts/test-jvm.sh does)")
        exitProcess(2)
    }
    // A controller's background coroutines must never die of an exception: any that reaches a
    // thread's uncaught handler fails the run (kotlinx.coroutines reports there).
    val uncaught = java.util.Collections.synchronizedList(mutableListOf<String>())
    Thread.setDefaultUncaughtExceptionHandler { thread, e -> uncaught.add("${thread.name}: $e") }
    val only = System.getProperty("obauth.only")
    val sandbox = SandboxControl(base)
    val relay = System.getProperty("obauth.relay")
    val relayTests = relay?.let { SampleRelayTests(sandbox, it).all() } ?: emptyList()
    val tests = (MappingTests().all() + ControllerTests(sandbox).all() + RestoreTests(sandbox).all() + relayTests)
        .filter { only == null || it.name.contains(only) }
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
    }
    if (uncaught.isNotEmpty()) {
        failed++
        println("FAIL uncaught exceptions in background threads: $uncaught")
    }
    println("Kotlin sample: $passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed > 0) 0 else 1)
}
