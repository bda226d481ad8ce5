// swift-tools-version:6.0
// The DNSWire benchmark: a separate package so that the main package gains no bench target.
// Built in release by ../run (scratch path .build-bench, gitignored).
import Foundation
import PackageDescription

// A path dependency is named after its folder, which is whatever the checkout is called.
let root = URL(fileURLWithPath: Context.packageDirectory).appendingPathComponent("../..").standardized.lastPathComponent

let package = Package(
    name: "dnswire-bench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "DNSWireBench",
            dependencies: [
                .product(name: "DNSWire", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
