// Process start-up: the one Android-only step ObAuth needs before any client exists.
package dev.obauth.sample.android

import android.app.Application
import dev.obauth.android.ObAuthAndroid

class SampleApplication : Application() {
    override fun onCreate() {
        super.onCreate()
        // Loads libobauth_ffi and gives the TLS verifier the Context: certificates are then
        // checked against Android's trust store. Must precede the first ObAuthClient.
        ObAuthAndroid.init(this)
    }
}
