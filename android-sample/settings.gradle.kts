// The ObAuth Android sample. The ObAuth library comes from this repository, built from source as
// an included build (bindings/android, prepared by bindings/scripts/build-aar.sh): it stays its
// own build, so its paths (Cargo.lock, the generated Kotlin, the .so files) resolve as usual.
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
        // The library's dependency on rustls-platform-verifier's Kotlin half is resolved here,
        // in the consuming build: the same repository as in bindings/android/settings.gradle.kts.
        maven {
            url = uri("https://github.com/rustls/rustls-platform-verifier/raw/maven-archive/android-release-support/maven/")
        }
    }
}

rootProject.name = "obauth-android-sample"
include(":app")

includeBuild("../bindings/android") {
    dependencySubstitution {
        substitute(module("dev.obauth:obauth-android")).using(project(":"))
    }
}
