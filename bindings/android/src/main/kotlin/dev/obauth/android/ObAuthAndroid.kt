// Android start-up for ObAuth: loads the native library and hands the application Context to
// the Rust core, so that TLS certificates are verified by Android's own trust store
// (rustls-platform-verifier calls into the JVM for that and needs the Context first).
package dev.obauth.android

import android.content.Context

/** Call [init] once, in `Application.onCreate()`, before creating any `ObAuthClient`. */
object ObAuthAndroid {
    @Volatile
    private var initialized = false

    /**
     * Initializes the platform certificate verifier with the application context. Idempotent and
     * thread-safe. Without it, HTTPS requests of the core cannot be verified and fail.
     */
    @JvmStatic
    fun init(context: Context) {
        if (initialized) return
        synchronized(this) {
            if (initialized) return
            // The same library JNA loads for the UniFFI bindings.
            System.loadLibrary("obauth_ffi")
            nativeInit(context.applicationContext)
            initialized = true
        }
    }

    @JvmStatic
    private external fun nativeInit(context: Context)
}
