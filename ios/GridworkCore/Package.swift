// swift-tools-version:5.9
//
// GridworkCore: the Rust core for the iOS app, through UniFFI.
//
// Nothing under Sources/ is written by hand (helpers live in Kit/): `bindings/scripts/build-ios.sh`
// (Xcode) or `bindings/scripts/generate.sh` + `test-swift.sh` (Linux) put the
// generated Swift and C header there; they are git-ignored.
//
// - On Apple platforms the C module `GridworkCoreFFI` is the XCFramework that
//   build-ios.sh makes (static libgridwork_ffi.a per platform, with the
//   generated header and module.modulemap as its Headers).
// - On Linux (tests only) it is a system-library module over the generated
//   header, linked against the host-built libgridwork_ffi.so; the test script
//   passes -L/-rpath for it.

import PackageDescription

#if os(Linux)
let ffi: Target = .systemLibrary(name: "GridworkCoreFFI", path: "Sources/GridworkCoreFFI")
let ffiLinker: [LinkerSetting] = [.linkedLibrary("gridwork_ffi")]
#else
let ffi: Target = .binaryTarget(name: "GridworkCoreFFI", path: "GridworkCoreFFI.xcframework")
let ffiLinker: [LinkerSetting] = []
#endif

let package = Package(
    name: "GridworkCore",
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "GridworkCore", targets: ["GridworkCore"]),
        .library(name: "GridworkKit", targets: ["GridworkKit"]),
        .library(name: "GridworkScreens", targets: ["GridworkScreens"]),
    ],
    targets: [
        ffi,
        .target(
            name: "GridworkCore",
            dependencies: ["GridworkCoreFFI"],
            path: "Sources/GridworkCore",
            linkerSettings: ffiLinker
        ),
        // Hand-written helpers for the app (Foundation + Observation only).
        .target(
            name: "GridworkKit",
            dependencies: ["GridworkCore"],
            path: "Kit/GridworkKit"
        ),
        // Every screen's state and the platform seams as protocols
        // (Foundation only): what the SwiftUI views of ios/App render.
        .target(
            name: "GridworkScreens",
            dependencies: ["GridworkCore", "GridworkKit"],
            path: "Screens/GridworkScreens"
        ),
        // What both test targets start: a real `gridwork serve` with the test
        // township, and the Linux stand-ins for the Keychain.
        .target(
            name: "GridworkTestSupport",
            dependencies: ["GridworkCore"],
            path: "Tests/GridworkTestSupport"
        ),
        .testTarget(
            name: "GridworkScreensTests",
            dependencies: ["GridworkScreens", "GridworkCore", "GridworkKit", "GridworkTestSupport"],
            path: "Tests/GridworkScreensTests"
        ),
        .testTarget(
            name: "GridworkCoreTests",
            dependencies: ["GridworkCore", "GridworkKit", "GridworkTestSupport"],
            path: "Tests/GridworkCoreTests"
        ),
    ]
)
