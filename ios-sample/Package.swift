// swift-tools-version:6.0
// The iOS sample's platform-independent logic as a Swift package, so that it compiles and is
// tested wherever Swift runs (Linux CI included), not only in Xcode:
//
//   * ObAuthSampleCore (Sources/ObAuthSampleCore): the sign-in controller, the state -> screen
//     mapping, the restore policy, the retirable storage wrapper and the configuration. Foundation
//     and the ObAuth layer only: no Combine, SwiftUI, UIKit, WebKit or Security.
//   * ObAuthSampleCoreTests (Tests/ObAuthSampleCoreTests): XCTest, against the real library and a
//     live sandbox (OBAUTH_SANDBOX_URL); bindings/scripts/test-swift.sh runs it.
//
// The app (ObAuthSample/, generated into an Xcode project by project.yml) compiles the same
// Sources/ObAuthSampleCore folder into its own target next to the Apple-only glue (SwiftUI views,
// the WKWebView, Keychain storage, the ObservableObject model); see README.md.
//
// Tools version 6.0: the Swift 6 language mode (complete strict concurrency checking).
import PackageDescription

let package = Package(
    name: "ObAuthSample",
    // iOS 15: the app's deployment target. macOS 15: the tests' storages use Synchronization's
    // Mutex (macOS 15+), should anyone run `swift test` on a Mac.
    platforms: [.iOS(.v15), .macOS(.v15)],
    products: [
        .library(name: "ObAuthSampleCore", targets: ["ObAuthSampleCore"]),
    ],
    dependencies: [
        // The repository's root package: the Rust core, the generated bindings, the ObAuth layer.
        .package(name: "ObAuth", path: ".."),
    ],
    targets: [
        .target(
            name: "ObAuthSampleCore",
            dependencies: [.product(name: "ObAuth", package: "ObAuth")]
        ),
        .testTarget(
            name: "ObAuthSampleCoreTests",
            dependencies: ["ObAuthSampleCore", .product(name: "ObAuth", package: "ObAuth")]
        ),
    ]
)
