// ObAuth for Android: the Rust core (libobauth_ffi.so per ABI, built by cargo-ndk), the
// generated UniFFI Kotlin (packages dev.obauth.ffi and dev.obauth), the coroutine layer (package dev.obauth,
// shared with the JVM tests in bindings/kotlin/src) and the platform TLS verifier's init
// (dev.obauth.android.ObAuthAndroid).
plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.21"
}

/** The version of rustls-platform-verifier-android in Cargo.lock: the Kotlin component must match it exactly. */
fun rustlsPlatformVerifierVersion(): String {
    val lines = rootDir.resolve("../../Cargo.lock").readLines()
    val at = lines.indexOfFirst { it.trim() == "name = \"rustls-platform-verifier-android\"" }
    require(at >= 0) { "rustls-platform-verifier-android not found in Cargo.lock" }
    return lines.drop(at + 1).first { it.trim().startsWith("version = ") }.substringAfter('"').substringBefore('"')
}

android {
    namespace = "dev.obauth"
    compileSdk = 35

    defaultConfig {
        // 24: Android 7.0, the verifier's revocation checks need it; packed relocations
        // (--pack-dyn-relocs=android) need 23.
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].apply {
        // jniLibs/<abi>/libobauth_ffi.so and generated/ are written by build-aar.sh.
        jniLibs.srcDirs("src/main/jniLibs")
        kotlin.srcDirs("src/main/kotlin", "src/main/generated", "../kotlin/src")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    packaging {
        // build-aar.sh strips the libraries after generating the bindings; keep them as they are.
        jniLibs.keepDebugSymbols += "**/libobauth_ffi.so"
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // UniFFI's Kotlin bindings call the library through JNA; the @aar carries JNA's own .so files.
    implementation("net.java.dev.jna:jna:5.17.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    implementation("rustls:rustls-platform-verifier:${rustlsPlatformVerifierVersion()}")
}
