// Surviving process death: the controller's snapshot in storage, a new "process" (new client,
// new controller, new storage object on the same files) restoring it at launch.
package dev.obauth.sample.test

import dev.obauth.ErrorCategory
import dev.obauth.ffi.SecureStorage
import dev.obauth.sample.core.DeepLinkResult
import dev.obauth.sample.core.FileStorage
import dev.obauth.sample.core.MemoryStorage
import dev.obauth.sample.core.RestoreAction
import dev.obauth.sample.core.SupervisedSignInFactory
import dev.obauth.sample.core.UiState
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path

class RestoreTests(private val sandbox: SandboxControl) {
    private val h = Harness(sandbox)
    private val key = SupervisedSignInFactory(h.config("unused-user")).storageKey

    fun all(): List<Test> = listOf(
        Test("process death at the bank: restore, resume, the App Link completes it") { diesAtTheBank() },
        Test("a signed-in login restores as signed in without a new exchange; sign out forgets it") { signedIn() },
        Test("nothing saved, or a corrupt snapshot: Idle, and the corrupt one is removed") { nothingOrCorrupt() },
        Test("a login cancelled before the app died is discarded at launch") { cancelledIsDiscarded() },
        Test("a misconfigured build keeps the saved login and shows the configuration error") { misconfigured() },
        Test("storage that fails: a storage error with retry, never a crash") { failingStorage() },
    )

    private fun tempDir(): Path = Files.createTempDirectory("obauth-sample-storage")

    private suspend fun diesAtTheBank() {
        val user = h.user("death")
        sandbox.script(user, "page")
        val dir = tempDir()
        val before = sandbox.successfulExchanges()
        val first = App(h.config(user), FileStorage(dir))
        first.controller.signIn()
        val page = first.controller.awaitScreen<UiState.ShowWebView>("bank page")
        // The snapshot is saved just after the state change: wait for it, or the restored login
        // would (rightly) start over from the state saved before.
        eventually("the bank page is saved") { h.savedScreen(FileStorage(dir), user) == page }
        first.kill() // the user is in the bank's app; the OS reclaims ours

        sandbox.fault("status", "delay", delayMs = 1500) // the App Link, not the poll, completes it
        val second = App(h.config(user), FileStorage(dir))
        try {
            expectEqual(RestoreAction.RESUME, second.controller.restore(), "restore at launch")
            second.controller.awaitScreen<UiState.ShowWebView>("the same bank page") { it == page }
            val location = sandbox.decide(page.url, "approve")
            expectEqual(DeepLinkResult.Handled, second.controller.onDeepLink(location), "the launch's App Link")
            second.controller.awaitScreen<UiState.Success>("signed in after restore")
            expectEqual(before + 1, sandbox.successfulExchanges(), "exactly one exchange")
        } finally {
            second.finish()
        }
    }

    private suspend fun signedIn() {
        val user = h.user("signedin")
        sandbox.script(user, "approve", delayMs = 100)
        val dir = tempDir()
        val first = App(h.config(user), FileStorage(dir))
        first.controller.signIn()
        val success = first.controller.awaitScreen<UiState.Success>("signed in")
        // The last snapshot is saved after the state change and may trail it by a moment.
        eventually("the signed-in snapshot is saved") {
            val probe = SupervisedSignInFactory(h.config(user))
            try {
                probe.restore(FileStorage(dir).load(key)!!).use { it.onRestore() == RestoreAction.SHOW }
            } finally {
                probe.close()
            }
        }
        first.kill()
        val exchanges = sandbox.successfulExchanges()

        val second = App(h.config(user), FileStorage(dir))
        try {
            expectEqual(RestoreAction.SHOW, second.controller.restore(), "restore")
            expectEqual(success, second.controller.awaitScreen<UiState.Success>("signed in on launch"), "screen")
            expectEqual(exchanges, sandbox.successfulExchanges(), "no new exchange")
            second.controller.signOut()
            expectEqual(UiState.Idle, second.controller.ui.value, "after sign-out")
            expectEqual(null, FileStorage(dir).load(key), "snapshot after sign-out")
        } finally {
            second.kill()
        }
        val third = App(h.config(user), FileStorage(dir))
        expectEqual(null, third.controller.restore(), "restore after sign-out")
        third.kill()
    }

    private fun nothingOrCorrupt() {
        val storage = MemoryStorage()
        val empty = App(h.config(h.user("empty")), storage)
        expectEqual(null, empty.controller.restore(), "nothing saved")
        expectEqual(UiState.Idle, empty.controller.ui.value, "screen")
        empty.kill()

        storage.save(key, "{not a snapshot")
        val corrupt = App(h.config(h.user("corrupt")), storage)
        expectEqual(RestoreAction.DISCARD, corrupt.controller.restore(), "corrupt")
        expectEqual(UiState.Idle, corrupt.controller.ui.value, "screen")
        expectEqual(null, storage.load(key), "the corrupt snapshot is removed")
        corrupt.kill()
    }

    private suspend fun cancelledIsDiscarded() {
        val user = h.user("cancelled")
        sandbox.script(user, "never")
        val storage = MemoryStorage()
        val first = App(h.config(user), storage)
        first.controller.signIn()
        first.controller.awaitScreen<UiState.ShowWebView>("bank page")
        first.controller.cancel()
        first.controller.awaitScreen<UiState.Idle>("cancelled")
        eventually("the cancelled snapshot is saved") {
            val probe = SupervisedSignInFactory(h.config(user))
            try {
                probe.restore(storage.load(key)!!).use { it.onRestore() == RestoreAction.DISCARD }
            } finally {
                probe.close()
            }
        }
        first.kill()

        val second = App(h.config(user), storage)
        expectEqual(RestoreAction.DISCARD, second.controller.restore(), "restore")
        expectEqual(UiState.Idle, second.controller.ui.value, "screen")
        expectEqual(null, storage.load(key), "removed")
        second.kill()
    }

    private suspend fun misconfigured() {
        val user = h.user("misconfigured")
        sandbox.script(user, "never")
        val storage = MemoryStorage()
        val first = App(h.config(user), storage)
        first.controller.signIn()
        val page = first.controller.awaitScreen<UiState.ShowWebView>("bank page")
        eventually("the bank page is saved") { h.savedScreen(storage, user) == page }
        first.kill()

        val broken = App(h.config(user).copy(apiUrl = "http://10.0.2.2:8080"), storage)
        expectEqual(null, broken.controller.restore(), "restore with a refused API URL")
        val error = broken.controller.ui.value
        check(error is UiState.Error && error.code == "invalid_input" && !error.canRetry) { "screen: $error" }
        check(storage.load(key) != null) { "the saved login was deleted" }
        broken.kill()

        val fixed = App(h.config(user), storage)
        try {
            expectEqual(RestoreAction.RESUME, fixed.controller.restore(), "restore with the fixed build")
            fixed.controller.awaitScreen<UiState.ShowWebView>("the same bank page") { it == page }
        } finally {
            fixed.finish()
        }
    }

    private suspend fun failingStorage() {
        val broken = object : SecureStorage {
            override fun save(key: String, value: String) = throw IOException("keystore locked")
            override fun load(key: String): String? = throw IOException("keystore locked")
            override fun remove(key: String) = throw IOException("keystore locked")
        }
        val app = App(h.config(h.user("broken")), broken)
        try {
            expectEqual(null, app.controller.restore(), "restore with a failing load")
            val onLaunch = app.controller.ui.value
            check(onLaunch is UiState.Error && onLaunch.code == "storage") { "on launch: $onLaunch" }
            app.controller.signIn()
            val error = app.controller.awaitScreen<UiState.Error>("persisting failed")
            expectEqual(ErrorCategory.RETRY_LATER, error.category, "category")
            expectEqual("storage", error.code, "code")
            expectEqual(true, error.canRetry, "canRetry")
        } finally {
            app.kill()
        }
    }
}
