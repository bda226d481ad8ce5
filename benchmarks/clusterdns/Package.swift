// swift-tools-version:6.0
// The ClusterDNS benchmark: a separate package so that the main package gains no bench target.
// Built in release by ./bench (scratch path .build-bench-clusterdns, gitignored).
import Foundation
import PackageDescription

// A path dependency is named after its folder, which is whatever the checkout is called.
let root = URL(fileURLWithPath: Context.packageDirectory).appendingPathComponent("../..").standardized.lastPathComponent

let package = Package(
    name: "clusterdns-bench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "ClusterDNSBench",
            dependencies: [
                .product(name: "ClusterDNS", package: root),
                .product(name: "ClusterModel", package: root),
                .product(name: "DNSWire", package: root),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
