// Android library: the Rust core built with cargo-ndk for each ABI, the Kotlin that
// uniffi generates from it, and the Kotlin layer in src/main/kotlin.

import java.io.ByteArrayOutputStream

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.safekeep"
    compileSdk = 35
    ndkVersion = "27.2.12479018"
    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].java.srcDir(layout.buildDirectory.dir("generated/uniffi"))
    sourceSets["main"].jniLibs.srcDir(layout.buildDirectory.dir("rustJniLibs"))
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
}

dependencies {
    // uniffi's generated Kotlin loads the library through JNA (the @aar variant ships
    // libjnidispatch for every Android ABI).
    implementation("net.java.dev.jna:jna:5.13.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.8.0")
}

val repo = rootDir.parentFile
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")

// cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -o build/rustJniLibs build --release -p safekeep-ffi
val cargoNdk by tasks.registering(Exec::class) {
    workingDir = repo
    val args = mutableListOf("cargo", "ndk")
    abis.forEach { args += listOf("-t", it) }
    args += listOf("-o", layout.buildDirectory.dir("rustJniLibs").get().asFile.path)
    args += listOf("build", "--release", "--locked", "-p", "safekeep-ffi")
    commandLine(args)
}

// Kotlin generated from the host build of the same commit (library mode reads the
// metadata embedded in the library).
val uniffiKotlin by tasks.registering(Exec::class) {
    workingDir = repo
    val hostLib = File(repo, "target/release/libsafekeep_ffi.so")
    val out = layout.buildDirectory.dir("generated/uniffi").get().asFile
    doFirst {
        project.exec {
            workingDir = repo
            commandLine("cargo", "build", "--release", "--locked", "-p", "safekeep-ffi", "-p", "uniffi-bindgen")
            standardOutput = ByteArrayOutputStream()
        }
    }
    commandLine(
        File(repo, "target/release/uniffi-bindgen").path, "generate",
        "--library", hostLib.path, "--language", "kotlin", "--out-dir", out.path, "--no-format",
    )
}

tasks.named("preBuild") { dependsOn(cargoNdk, uniffiKotlin) }
