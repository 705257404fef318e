// swift-tools-version:6.0
// The ObAuth Swift package: the Rust core (libobauth_ffi), the generated UniFFI Swift bindings
// (module ObAuthFFI) and the hand-written Swift layer (module ObAuth), which apps import.
//
// One manifest for both worlds:
//   * Apple platforms: the core comes as a binary XCFramework (static libobauth_ffi.a per
//     platform + C header), built on a Mac by `bindings/scripts/build-xcframework.sh`.
//   * Linux (tests and CI): the C module is a system library target whose module map links the
//     freshly built `libobauth_ffi.so`; `bindings/scripts/test-swift.sh` generates the header and
//     builds the library, then runs `swift test` against the sandbox.
// Generated files are build products, not committed (git-ignored):
//   bindings/swift/Sources/ObAuthFFI/ObAuthFFI.swift              (both)
//   bindings/swift/Sources/ObAuthFFI/ObAuthProtocol.swift         (both)
//   bindings/swift/ObAuthFFIFFI.xcframework                       (Apple)
//   bindings/swift/Sources/ObAuthFFIFFI/ObAuthFFIFFI.h            (Linux; the module map is ours)
//   bindings/swift/Sources/ObAuthFFIFFI/ObAuthProtocolFFI.h       (Linux)
// Two UniFFI components (the FFI crate and the protocol crate, see uniffi.toml) form the one
// module ObAuthFFI; the hand-written Secret.swift beside them is the custom type `Secret`.
//
// Tools version 6.0: every target, the generated bindings included, compiles in the Swift 6
// language mode (complete strict concurrency checking).
import PackageDescription

#if os(Linux)
let coreLibrary: Target = .systemLibrary(
    name: "ObAuthFFIFFI",
    path: "bindings/swift/Sources/ObAuthFFIFFI"
)
let coreLinkerSettings: [LinkerSetting] = []
#else
let coreLibrary: Target = .binaryTarget(
    name: "ObAuthFFIFFI",
    path: "bindings/swift/ObAuthFFIFFI.xcframework"
)
// rustls-platform-verifier checks certificates with the OS trust store.
let coreLinkerSettings: [LinkerSetting] = [
    .linkedFramework("Security"),
    .linkedFramework("CoreFoundation"),
]
#endif

let package = Package(
    name: "ObAuth",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "ObAuth", targets: ["ObAuth"]),
    ],
    targets: [
        // The C side: the UniFFI header and module map over libobauth_ffi.
        coreLibrary,
        // The generated UniFFI bindings.
        .target(
            name: "ObAuthFFI",
            dependencies: ["ObAuthFFIFFI"],
            path: "bindings/swift/Sources/ObAuthFFI",
            linkerSettings: coreLinkerSettings
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
