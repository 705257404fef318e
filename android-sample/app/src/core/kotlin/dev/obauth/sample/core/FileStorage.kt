// SecureStorage in plain files: lets the JVM tests kill a "process" and start another on the
// same storage. NOT SECURE (snapshots hold codes and tokens in clear text): tests only. The app
// uses KeystoreStorage.
package dev.obauth.sample.core

import dev.obauth.ffi.SecureStorage
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption

class FileStorage(private val directory: Path) : SecureStorage {
    init {
        Files.createDirectories(directory)
    }

    /** Keys become file names: hex, so any key is a safe name. */
    private fun file(key: String): Path =
        directory.resolve(key.toByteArray().joinToString("") { "%02x".format(it) })

    /** Written to a temporary file and moved into place, so a reader never sees half a value. */
    @Synchronized
    override fun save(key: String, value: String) {
        val tmp = Files.createTempFile(directory, "save", ".tmp")
        Files.writeString(tmp, value)
        Files.move(tmp, file(key), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
    }

    @Synchronized
    override fun load(key: String): String? = file(key).let { if (Files.exists(it)) Files.readString(it) else null }

    @Synchronized
    override fun remove(key: String) {
        Files.deleteIfExists(file(key))
    }
}
