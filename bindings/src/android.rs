//! Android only: initializes the platform certificate verifier from the app's `Context`.
//!
//! On Android, `rustls-platform-verifier` verifies server certificates through the OS trust
//! store by calling into the JVM (its small Kotlin component, `rustls:rustls-platform-verifier`,
//! ships in the AAR's dependencies). It needs the JVM and the application `Context` before the
//! first HTTPS request. The Android library calls this once, from
//! `dev.obauth.android.ObAuthAndroid.init(context)`, which the app calls in
//! `Application.onCreate()` before building any `ObAuthClient`. Without it, building a client
//! fails with `ObAuthError.InvalidInput` (field `tls`), or the first request fails.

use jni::errors::ThrowRuntimeExAndDefault;
use jni::objects::{JClass, JObject};

/// `dev.obauth.android.ObAuthAndroid.nativeInit(Context)`: hands the JVM and the application
/// context to the platform verifier. Idempotent. A JNI failure is thrown as a
/// `RuntimeException`; a panic never unwinds into the JVM.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_obauth_android_ObAuthAndroid_nativeInit<'caller>(
    mut env: jni::EnvUnowned<'caller>,
    _class: JClass<'caller>,
    context: JObject<'caller>,
) {
    env.with_env(|env| -> jni::errors::Result<()> {
        rustls_platform_verifier::android::init_with_env(env, context)
    })
    .resolve::<ThrowRuntimeExAndDefault>()
}
