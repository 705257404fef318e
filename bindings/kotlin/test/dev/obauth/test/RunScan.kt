// The whole-run secret scan (issue 10): every scenario of this suite runs with a trace-level log
// sink attached, and every secret value the run meets — the partner secret, the codes and
// `state`s of redirects, start tokens, the tokens a flow returns, and what snapshots hold
// (`state`, `nonce`, PKCE verifier, codes, tokens) — is noted here. The last test of the run
// asserts that none of them appears in any captured log line.
package dev.obauth.test

import dev.obauth.ffi.LogLevel
import dev.obauth.ffi.SupervisedTokens
import dev.obauth.Secret
import dev.obauth.TokenSet
import dev.obauth.ffi.LogRecord
import dev.obauth.setLogSink
import java.net.URI
import java.net.URLDecoder
import java.util.Collections

object RunScan {
    /** Shorter values (`true`, `bearer`, short test fixtures) would match by accident. */
    private const val MIN_SECRET_LENGTH = 8

    private val lines: MutableList<String> = Collections.synchronizedList(mutableListOf())
    private val secrets: MutableSet<String> = Collections.synchronizedSet(mutableSetOf())

    /** Attaches the run's trace-level sink (again after a test that installed its own). */
    fun attach() = setLogSink(LogLevel.TRACE) { record: LogRecord -> lines.add("${record.target}: ${record.message}") }

    val lineCount: Int get() = lines.size
    val secretCount: Int get() = secrets.size

    fun note(vararg values: String?) {
        for (v in values) if (v != null && v.length >= MIN_SECRET_LENGTH) secrets.add(v)
    }

    /** Notes the credential query values of a URL (`code`, `state`, `startToken`, `nonce`). */
    fun noteUrl(url: String): String {
        val query = runCatching { URI.create(url).rawQuery }.getOrNull() ?: return url
        for (pair in query.split('&')) {
            val (name, value) = pair.split('=', limit = 2).let { it[0] to it.getOrNull(1) }
            if (name in listOf("code", "state", "startToken", "nonce", "code_challenge") && value != null) {
                note(value, URLDecoder.decode(value.replace("+", "%2B"), "UTF-8"))
            }
        }
        return url
    }

    /** Notes every secret-bearing field of a snapshot (any kind, any phase). */
    fun noteSnapshot(snapshot: String): String {
        val field = Regex("\"(state|nonce|code_verifier|code|access_token|refresh_token|id_token|token|mac)\"\\s*:\\s*\"([^\"]+)\"")
        // A sealed snapshot holds the inner one as an escaped string.
        for (m in field.findAll(snapshot.replace("\\\"", "\""))) note(m.groupValues[2])
        return snapshot
    }

    /** For the self-test only: a line as if the core had logged it, and its removal. */
    fun plant(line: String) = lines.add(line)

    fun unplant(line: String) = lines.remove(line)

    /** Whether any captured line holds any noted secret: the offending (target, secret length). */
    fun leaks(): List<String> {
        val seen = synchronized(secrets) { secrets.toList() }
        val captured = synchronized(lines) { lines.toList() }
        return captured.flatMap { line -> seen.filter { it in line }.map { "${line.substringBefore(": ")} (a ${it.length}-character secret)" } }
    }
}

fun SupervisedTokens.seen(): SupervisedTokens = also { RunScan.note(accessToken.expose(), loginToken.expose()) }

fun TokenSet.seen(): TokenSet = also {
    RunScan.note(accessToken.expose(), refreshToken?.expose(), idToken?.expose())
}

fun Secret.seen(): Secret = also { RunScan.note(expose()) }

fun String.seenSnapshot(): String = RunScan.noteSnapshot(this)

/** The scan can fail: a planted line holding a noted secret is reported (and then removed). */
fun runScanSelfTest() = Test("whole-run scan: a secret in a log line is found") {
    val secret = "run-scan-self-test-${System.nanoTime()}"
    val line = "obauth::selftest: leaked $secret"
    RunScan.note(secret)
    RunScan.plant(line)
    try {
        check(RunScan.leaks().any { it.startsWith("obauth::selftest") }) { "the planted secret was not found" }
    } finally {
        RunScan.unplant(line)
    }
    check(RunScan.leaks().none { it.startsWith("obauth::selftest") }) { "the planted line is still there" }
}

/** The last test of the run: no secret the run met is in any log line it captured. */
fun wholeRunScan() = Test("whole run: no secret seen in this run appears in any trace-level log line") {
    check(RunScan.lineCount > 0) { "no log line was captured: the run's sink is not attached" }
    check(RunScan.secretCount > 0) { "no secret was noted: the scan would prove nothing" }
    val leaks = RunScan.leaks()
    check(leaks.isEmpty()) { "secrets in the log: $leaks" }
    println("       scanned ${RunScan.lineCount} log lines for ${RunScan.secretCount} secrets")
}
