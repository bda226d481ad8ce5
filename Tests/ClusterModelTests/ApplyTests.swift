import ClusterModel
import DNSWire
import Foundation
import Testing

/// `load(paths:applying:)`: applied manifests replace objects that exist and add new ones, as
/// `kubectl apply` does.
@Suite struct ApplyTests {
    let kiada = Load.repositoryRoot.appendingPathComponent("scenarios/clusters/kiada").path

    func write(_ text: String, name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubetape-apply-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(name).path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func anAppliedServiceReplacesTheExistingOneAndNewObjectsAreAdded() throws {
        let patch = try write(
            """
            apiVersion: v1
            kind: Service
            metadata: {name: quote-headless, namespace: kiada}
            spec:
              clusterIP: None
              publishNotReadyAddresses: true
              selector: {app: quote}
              ports: [{name: http, port: 80, targetPort: http}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: quote-004, namespace: kiada, labels: {app: quote}}
            spec: {containers: [{name: quote, image: x, ports: [{name: http, containerPort: 80}]}]}
            status: {podIP: 10.244.3.4, conditions: [{type: Ready, status: "False"}]}
            """, name: "patch.yaml")
        let base = try ManifestLoader().load(paths: [kiada])
        let cluster = try ManifestLoader().load(paths: [kiada], applying: [patch])
        #expect(cluster.services.count == base.services.count)
        let service = try #require(cluster.services.first { $0.meta.namespace == "kiada" && $0.meta.name == "quote-headless" })
        #expect(service.publishNotReadyAddresses)
        #expect(service.meta.source?.file == patch)
        #expect(cluster.pods.count == base.pods.count + 1)
        // the not-ready new pod is published by the replaced service
        let addresses = cluster.endpointSlices.filter { $0.meta.namespace == "kiada" && $0.serviceName == "quote-headless" }
            .flatMap(\.endpoints).flatMap(\.addresses).map(\.description)
        #expect(addresses.contains("10.244.3.4"))
    }

    @Test func aDuplicateWithinOneAppliedFileIsStillAnError() throws {
        let patch = try write(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: twin, namespace: kiada}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: twin, namespace: kiada}
            """, name: "twins.yaml")
        #expect(throws: ManifestError.self) { try ManifestLoader().load(paths: [kiada], applying: [patch]) }
        // and without applying, a file that repeats an object of the base is an error too
        let repeated = try write("apiVersion: v1\nkind: Pod\nmetadata: {name: quote-001, namespace: kiada}\n", name: "repeat.yaml")
        #expect(throws: ManifestError.self) { try ManifestLoader().load(paths: [kiada, repeated]) }
        #expect(try ManifestLoader().load(paths: [kiada], applying: [repeated]).pods.contains { $0.meta.name == "quote-001" && $0.ips.isEmpty == false })
    }
}
