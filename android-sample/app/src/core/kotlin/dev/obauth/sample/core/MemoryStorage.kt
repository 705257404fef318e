// SecureStorage in memory: for tests and JVM experiments. Not for an app: it is neither secure
// nor does it survive the process.
package dev.obauth.sample.core

import dev.obauth.ffi.SecureStorage
import java.util.concurrent.ConcurrentHashMap

class MemoryStorage : SecureStorage {
    val values = ConcurrentHashMap<String, String>()

    override fun save(key: String, value: String) {
        values[key] = value
    }

    override fun load(key: String): String? = values[key]

    override fun remove(key: String) {
        values.remove(key)
    }
}
