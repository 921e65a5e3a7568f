// The Android app: thin platform pieces (activity, Keystore secrets,
// LocationManager, camera intent, WorkManager, notifications, UnifiedPush)
// around the shared screens in :ui and the core in :gridwork-core.
// Build in Android Studio after bindings/scripts/build-android.sh; see
// android/README.md. On machines without the Android SDK,
// android/scripts/test-app.sh compiles these sources and runs the tests in
// src/test with Robolectric.
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "org.gridwork.android"
    compileSdk = 36

    defaultConfig {
        applicationId = "org.gridwork.android"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }
    sourceSets["main"].java.srcDirs("src/main/kotlin")
    sourceSets["test"].java.srcDirs("src/test/kotlin", "../testfixtures/kotlin")
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    buildFeatures { compose = true }
    testOptions {
        unitTests.isIncludeAndroidResources = true
        // The Robolectric tests start a real `gridwork serve` and load the host-built core:
        // run bindings/scripts/generate.sh first (it writes <target>/bindings).
        unitTests.all {
            val bindings = rootProject.file("../target/bindings")
            it.systemProperty("jna.library.path", "$bindings/lib")
            it.systemProperty("gridwork.server.bin", "$bindings/bin/gridwork")
            it.systemProperty("gridwork.testdata", rootProject.file("../bindings/testdata").path)
        }
    }
    packaging { jniLibs { useLegacyPackaging = false } }
}

kotlin { jvmToolchain(17) }

dependencies {
    implementation(project(":ui"))
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.core)
    implementation(libs.androidx.lifecycle.viewmodel)
    implementation(libs.androidx.lifecycle.runtime)
    implementation(libs.androidx.work.runtime)
    implementation(libs.kotlinx.coroutines.android)
    implementation(libs.okhttp)
    implementation(libs.unifiedpush.connector)
    implementation(libs.zxing.android.embedded)
    debugImplementation(libs.androidx.compose.ui.tooling)

    testImplementation(libs.junit)
    testImplementation(libs.robolectric)
    testImplementation(libs.androidx.work.testing)
}
