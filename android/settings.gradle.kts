// The Android build (Android Studio / Gradle). The Maven build beside it
// (pom.xml) compiles and tests ui and desktop on the desktop JVM; see README.md.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "gridwork-android"
include(":gridwork-core", ":ui", ":app")
