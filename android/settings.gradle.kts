// The Safekeep Android library. Build on a machine with the Android SDK and NDK:
// see android/README.md.
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
    }
}
rootProject.name = "safekeep-android"
include(":safekeep")
