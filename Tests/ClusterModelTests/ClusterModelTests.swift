import ClusterModel
import DNSWire
import Foundation
import Testing

/// Shared helpers for the ClusterModel tests: load YAML text, collect diagnostics as `file:line: text`.
enum Load {
    static func cluster(_ yaml: String, file: String = "test.yaml", seed: UInt64 = 1, network: NetworkPlan = NetworkPlan()) throws -> Cluster {
        try ManifestLoader(options: .init(network: network, seed: seed)).load(yaml: yaml, file: file)
    }

    /// The errors a text produces, as `file:line: message`; empty when it loads.
    static func errors(_ yaml: String, file: String = "test.yaml", network: NetworkPlan = NetworkPlan()) -> [String] {
        do {
            _ = try cluster(yaml, file: file, network: network)
            return []
        } catch let error as ManifestError {
            return error.diagnostics.map(render)
        } catch {
            return ["unexpected error type: \(error)"]
        }
    }

    static func render(_ diagnostic: ManifestDiagnostic) -> String {
        guard let location = diagnostic.location else { return diagnostic.message }
        return "\(location.file):\(location.line): \(diagnostic.message)"
    }

    /// The repository root, found from this file's path.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func ip(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else { fatalError("bad test address \(text)") }
        return address
    }
}

extension Cluster {
    func pod(_ name: String, in namespace: String = "default") -> Pod? {
        pods.first { $0.meta.name == name && $0.meta.namespace == namespace }
    }

    func service(_ name: String, in namespace: String = "default") -> Service? {
        services.first { $0.meta.name == name && $0.meta.namespace == namespace }
    }

    func slices(of service: String, in namespace: String = "default") -> [EndpointSlice] {
        endpointSlices.filter { $0.serviceName == service && $0.meta.namespace == namespace }
    }

    /// `ip ready hostname pod` for every endpoint of a service's slices of a family, sorted.
    func endpointSummary(of service: String, in namespace: String = "default", family: IPFamily = .ipv4) -> [String] {
        slices(of: service, in: namespace).filter { $0.addressType == family }.flatMap { slice in
            slice.endpoints.map { e in
                "\(e.addresses.map(\.description).joined(separator: ",")) \(e.isReady ? "ready" : "notready") \(e.hostname ?? "-") \(e.targetPodName ?? "-")"
            }
        }.sorted()
    }
}
