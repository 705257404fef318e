// The core's SecureStorage on Android: values encrypted with an AES-GCM key that never leaves
// the Android Keystore, ciphertext in SharedPreferences. The core keeps login snapshots here;
// they hold codes in flight and tokens, so plain preferences or files would not do.
package dev.obauth.sample.android

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import dev.obauth.ObAuthException
import dev.obauth.ffi.SecureStorage
import java.security.GeneralSecurityException
import java.security.KeyStore
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Called by the core on its own thread after every state change: each call is short (one
 * Keystore operation and a synchronous `commit()`, so a saved snapshot is on disk when `save`
 * returns and survives the process being killed right after).
 *
 * Failures are thrown as `ObAuthException.RetryLater` (code `keystore`); the core reports them
 * as a storage error (category RetryLater, code `storage`) and the sample shows a retry.
 */
class KeystoreStorage(context: Context, private val alias: String = "dev.obauth.sample.storage") : SecureStorage {
    private val prefs = context.applicationContext.getSharedPreferences("dev.obauth.sample.secure", Context.MODE_PRIVATE)

    override fun save(key: String, value: String) = guard("save") {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, secretKey()) // the Keystore picks a fresh random IV
        cipher.updateAAD(key.toByteArray()) // a value only decrypts under its own key
        val sealed = cipher.doFinal(value.toByteArray())
        val stored = encode(cipher.iv) + SEPARATOR + encode(sealed)
        if (!prefs.edit().putString(key, stored).commit()) throw GeneralSecurityException("could not write preferences")
    }

    override fun load(key: String): String? = guard("load") {
        val stored = prefs.getString(key, null) ?: return@guard null
        val parts = stored.split(SEPARATOR, limit = 2).map { Base64.decode(it, Base64.NO_WRAP) }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        try {
            if (parts.size != 2) throw AEADBadTagException("not iv:ciphertext")
            cipher.init(Cipher.DECRYPT_MODE, secretKey(), GCMParameterSpec(TAG_BITS, parts[0]))
            cipher.updateAAD(key.toByteArray())
            String(cipher.doFinal(parts[1]))
        } catch (e: AEADBadTagException) {
            // Tampered with, or sealed by a key that is gone (app data restored onto another
            // device): it can never be read again. Forget it; the user signs in anew.
            prefs.edit().remove(key).commit()
            null
        }
    }

    override fun remove(key: String) = guard("remove") {
        prefs.edit().remove(key).commit()
        Unit
    }

    /** The AES key, created in the Keystore on first use. Not extractable, not in backups. */
    @Synchronized
    private fun secretKey(): SecretKey {
        val keyStore = KeyStore.getInstance(KEYSTORE).apply { load(null) }
        (keyStore.getKey(alias, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, KEYSTORE)
        generator.init(
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    private fun <T> guard(operation: String, block: () -> T): T = try {
        block()
    } catch (e: GeneralSecurityException) {
        throw ObAuthException.RetryLater("keystore", "secure storage $operation failed: ${e.javaClass.simpleName}", null, null)
    } catch (e: IllegalArgumentException) {
        throw ObAuthException.RetryLater("keystore", "secure storage $operation failed: unreadable value", null, null)
    }

    private fun encode(bytes: ByteArray): String = Base64.encodeToString(bytes, Base64.NO_WRAP)

    private companion object {
        const val KEYSTORE = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val TAG_BITS = 128
        const val SEPARATOR = ":"
    }
}
