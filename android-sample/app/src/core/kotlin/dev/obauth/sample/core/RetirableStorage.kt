// Keeps a replaced flow from overwriting its successor's snapshot.
package dev.obauth.sample.core

import dev.obauth.ffi.SecureStorage

/**
 * The storage one flow saves its snapshots through, until the controller retires it.
 *
 * Why: the core saves a flow's snapshot after each state change, outside the flow's lock and on
 * the thread that made the change, so a save of a flow the user has just replaced (retry, sign
 * out) can land after the new flow's first save under the same key. Once retired, this storage
 * drops every write; a write and the retirement never interleave.
 */
class RetirableStorage(private val inner: SecureStorage) : SecureStorage {
    private val lock = Any()
    private var retired = false

    /** From now on, writes are dropped. */
    fun retire() = synchronized(lock) { retired = true }

    override fun save(key: String, value: String) = synchronized(lock) {
        if (!retired) inner.save(key, value)
    }

    override fun load(key: String): String? = inner.load(key)

    override fun remove(key: String) = synchronized(lock) {
        if (!retired) inner.remove(key)
    }
}
