// The sample app. Its sign-in logic is plain Kotlin in src/core/kotlin (also compiled and tested
// on the desktop JVM by android-sample/scripts/test-jvm.sh); src/main/kotlin is the Android glue.
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

val obauthApiUrl: String = providers.gradleProperty("obauthApiUrl").getOrElse("http://127.0.0.1:8080")
// Relay mode (the default): the app's relay and, for a development build, an app token minted
// for it (a real app gets its token from its own sign-in).
val obauthRelayUrl: String = providers.gradleProperty("obauthRelayUrl").getOrElse("http://127.0.0.1:8081")
val obauthAppToken: String = providers.gradleProperty("obauthAppToken").getOrElse("")

android {
    namespace = "dev.obauth.sample"
    compileSdk = 35

    defaultConfig {
        applicationId = "dev.obauth.sample"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "1.0"
        buildConfigField("String", "OBAUTH_API_URL", "\"$obauthApiUrl\"")
        buildConfigField("String", "OBAUTH_RELAY_URL", "\"$obauthRelayUrl\"")
        buildConfigField("String", "OBAUTH_APP_TOKEN", "\"$obauthAppToken\"")
    }

    buildFeatures {
        buildConfig = true
    }

    sourceSets["main"].apply {
        kotlin.srcDirs("src/main/kotlin", "src/core/kotlin")
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
        // The generated bindings use java.time.Instant (API 26); desugaring brings it to 24.
        isCoreLibraryDesugaringEnabled = true
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // ObAuth from source (settings.gradle.kts substitutes the included build bindings/android).
    // With a prebuilt AAR instead: implementation(files("libs/obauth-android-release.aar")) plus
    // the library's own dependencies (JNA @aar, kotlinx-coroutines-android, rustls-platform-verifier).
    implementation("dev.obauth:obauth-android")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    implementation("androidx.activity:activity-ktx:1.9.3")
    implementation("androidx.lifecycle:lifecycle-viewmodel-ktx:2.8.7")
    implementation("androidx.lifecycle:lifecycle-runtime-ktx:2.8.7")
    coreLibraryDesugaring("com.android.tools:desugar_jdk_libs:2.1.5")
}
