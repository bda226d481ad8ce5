// swift-tools-version:6.0
import PackageDescription

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")

let package = Package(
    name: "kubetape",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kubetape", targets: ["kubetape"]),
        .library(name: "DNSWire", targets: ["DNSWire"]),
        .library(name: "ClusterModel", targets: ["ClusterModel"]),
        .library(name: "ClusterDNS", targets: ["ClusterDNS"]),
        .library(name: "PacketCapture", targets: ["PacketCapture"]),
        .library(name: "Traffic", targets: ["Traffic"]),
        .library(name: "FakeCluster", targets: ["FakeCluster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .target(name: "DNSWire", dependencies: [nioCore]),
        .target(
            name: "ClusterModel",
            dependencies: ["DNSWire", .product(name: "Yams", package: "Yams")]
        ),
        .target(name: "ClusterDNS", dependencies: ["ClusterModel", "DNSWire"]),
        .target(name: "PacketCapture", dependencies: ["CPcap"]),
        .target(name: "CNetNamespace"),
        .target(
            name: "FakeCluster",
            dependencies: [
                "ClusterDNS", "ClusterModel", "DNSWire", "CNetNamespace", nioCore,
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Traffic",
            dependencies: [
                "PacketCapture", "DNSWire", nioCore,
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .target(
            name: "Scenario",
            dependencies: ["ClusterModel", "DNSWire", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "Replay",
            dependencies: [
                "Scenario", "ClusterModel", "ClusterDNS", "FakeCluster", "DNSWire", nioCore,
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "kubetape",
            dependencies: [
                "DNSWire", "ClusterModel", "ClusterDNS", "PacketCapture", "Traffic", "FakeCluster", "Scenario", "Replay", nioCore,
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "DNSWireTests", dependencies: ["DNSWire", nioCore], resources: [.copy("Fixtures")]),
        .testTarget(name: "ClusterModelTests", dependencies: ["ClusterModel", "DNSWire"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ClusterDNSTests", dependencies: ["ClusterDNS", "ClusterModel", "DNSWire"]),
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrafficTests", dependencies: ["Traffic", "PacketCapture", "DNSWire", nioCore], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "FakeClusterTests",
            dependencies: ["FakeCluster", "ClusterModel", "ClusterDNS", "DNSWire", nioCore, .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario", "ClusterModel", "DNSWire"]),
        .testTarget(name: "ReplayTests", dependencies: ["Replay", "Scenario", "ClusterModel", "ClusterDNS", "FakeCluster", "DNSWire"], exclude: ["Fixtures"]),
        .testTarget(name: "IntegrationTests", dependencies: ["DNSWire", nioCore]),
    ],
    swiftLanguageModes: [.v6]
)
