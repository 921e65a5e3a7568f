// The core for Android: the UniFFI-generated Kotlin and libgridwork_ffi.so
// per ABI, both written by bindings/scripts/build-android.sh (needs the NDK),
// plus the hand-written helpers in src/main/kotlin. The Maven pom.xml beside
// this file builds the same Kotlin for the desktop JVM tests.
plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "org.gridwork.core"
    compileSdk = 36
    defaultConfig {
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].java.srcDirs("src/main/kotlin", layout.buildDirectory.dir("generated/uniffi/kotlin"))
    // The JUnit 5 tests in src/test run on the JVM through Maven (scripts/test.sh kotlin).
    sourceSets["test"].java.setSrcDirs(emptyList<String>())
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin { jvmToolchain(17) }

dependencies {
    implementation("${libs.jna.get()}@aar") // the aar carries JNA's native parts
    api(libs.kotlinx.coroutines.core)
}
