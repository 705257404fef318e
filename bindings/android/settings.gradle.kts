// The ObAuth Android library (AAR). Built by bindings/scripts/build-aar.sh, which first puts
// the .so files (cargo-ndk) and the generated UniFFI Kotlin into place; see bindings/README.md.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
        // The Kotlin half of rustls-platform-verifier (TLS through the Android trust store) is
        // published by its authors as a Maven repository on GitHub, versioned with the crate.
        maven {
            url = uri("https://github.com/rustls/rustls-platform-verifier/raw/maven-archive/android-release-support/maven/")
        }
    }
}

rootProject.name = "obauth-android"
