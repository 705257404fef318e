// Plugin versions for the sample's modules, the same as bindings/android uses.
plugins {
    id("com.android.application") version "8.7.3" apply false
    id("org.jetbrains.kotlin.android") version "2.1.21" apply false
}
