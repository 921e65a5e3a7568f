// The screens and their state holders as an Android library (Jetpack
// Compose). The same sources build for the desktop JVM with Compose
// Multiplatform through Maven (pom.xml), where their UI tests run.
plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "org.gridwork.app"
    compileSdk = 36
    defaultConfig { minSdk = 26 }
    sourceSets["main"].java.srcDirs("src/main/kotlin")
    // src/test holds Compose Multiplatform desktop UI tests (Maven, scripts/test.sh android).
    sourceSets["test"].java.setSrcDirs(emptyList<String>())
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    buildFeatures { compose = true }
}

kotlin { jvmToolchain(17) }

dependencies {
    api(project(":gridwork-core"))
    api(libs.androidx.compose.foundation)
    api(libs.androidx.compose.material3)
    api(libs.androidx.compose.ui)
    implementation(libs.kotlinx.coroutines.core)
}
