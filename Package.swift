// swift-tools-version:5.9
// The ObAuth Swift package: the Rust core as a binary XCFramework, the generated UniFFI Swift
// bindings (module ObAuthFFI) and the hand-written Swift layer (module ObAuth), which apps
// import.
//
// The XCFramework and the generated Swift file are build products, not committed: run
// `bindings/scripts/build-xcframework.sh` on a Mac first (see bindings/README.md). It writes
//   bindings/swift/ObAuthFFIFFI.xcframework        (static libobauth_ffi.a per platform + C header)
//   bindings/swift/Sources/ObAuthFFI/ObAuthFFI.swift
import PackageDescription

let package = Package(
    name: "ObAuth",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "ObAuth", targets: ["ObAuth"]),
    ],
    targets: [
        // The C side: libobauth_ffi.a for iOS devices, the iOS simulator and macOS, with the
        // UniFFI header and module map (C module ObAuthFFIFFI).
        .binaryTarget(
            name: "ObAuthFFIFFI",
            path: "bindings/swift/ObAuthFFIFFI.xcframework"
        ),
        // The generated UniFFI bindings.
        .target(
            name: "ObAuthFFI",
            dependencies: ["ObAuthFFIFFI"],
            path: "bindings/swift/Sources/ObAuthFFI",
            linkerSettings: [
                // rustls-platform-verifier checks certificates with the OS trust store.
                .linkedFramework("Security"),
                .linkedFramework("CoreFoundation"),
            ]
        ),
        // The idiomatic layer: AsyncStream of states, async calls, error categories.
        .target(
            name: "ObAuth",
            dependencies: ["ObAuthFFI"],
            path: "bindings/swift/Sources/ObAuth"
        ),
        .testTarget(
            name: "ObAuthTests",
            dependencies: ["ObAuth"],
            path: "bindings/swift/Tests/ObAuthTests"
        ),
    ]
)
