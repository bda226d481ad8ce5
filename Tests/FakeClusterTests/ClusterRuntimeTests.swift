import ClusterModel
import DNSWire
import FakeCluster
import Foundation
import NIOCore
import Testing

/// The chapter cluster from the repository's manifests.
enum Kiada {
    static var manifestsPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scenarios/clusters/kiada").path
    }

    static func cluster() throws -> Cluster {
        try ManifestLoader().load(paths: [manifestsPath])
    }
}

@Suite(.serialized) struct ClusterRuntimeTests {
    func withRuntime<T>(_ cluster: Cluster, seed: UInt64 = 1, _ body: (ClusterRuntime) async throws -> T) async throws -> T {
        var configuration = ClusterRuntimeConfiguration()
        configuration.seed = seed
        configuration.dns.port = 0
        // 127.11/16 and 127.12/16 first: apart from the integration tests' `serve`, which run in
        // parallel; if another run on this machine holds them, the next free pair of blocks
        configuration.loopbackBlock = 11
        let runtime = try await ClusterRuntime.startInFreeLoopbackBlock(cluster: cluster, configuration: configuration, dnsHandler: nil)
        do {
            let result = try await body(runtime)
            await runtime.shutdown()
            return result
        } catch {
            await runtime.shutdown()
            throw error
        }
    }

    func curl(_ url: String) throws -> (status: Int32, output: String) {
        try runTool("curl", ["-s", "--max-time", "3", url])
    }

    @Test func loopbackPlanIsDeterministicAndCoversEveryAddress() throws {
        let cluster = try Kiada.cluster()
        let plan = LoopbackAddressPlan(cluster: cluster)
        #expect(plan == LoopbackAddressPlan(cluster: cluster))
        for pod in cluster.pods { for ip in pod.ips { #expect(plan.loopback(for: ip) != nil) } }
        #expect(plan.loopback(for: IPAddress("10.96.161.97")!) != nil)
        #expect(Set(plan.addresses.values).count == plan.addresses.count)
        #expect(plan.addresses.values.allSatisfy { $0.value >> 24 == 127 })
    }

    @Test func eachPodServesTheChapterBodyOnItsOwnAddress() async throws {
        let cluster = try Kiada.cluster()
        try await withRuntime(cluster) { runtime in
            for (name, ip) in [("quote-canary", "10.244.2.9"), ("quote-001", "10.244.2.10"), ("quote-002", "10.244.2.8"), ("quote-003", "10.244.1.10")] {
                let loopback = try #require(runtime.addressPlan.loopback(for: IPAddress(ip)!))
                let (status, body) = try curl("http://\(loopback):\(runtime.addressPlan.loopbackPort(for: 80))/")
                #expect(status == 0)
                #expect(body == "This is the quote service running in pod \(name)\n")
            }
            #expect(runtime.log.requests.count == 4)
            #expect(Set(runtime.log.requests.map(\.pod)).count == 4)
        }
    }

    @Test func clusterIPConnectionsSpreadOverPods() async throws {
        let cluster = try Kiada.cluster()
        try await withRuntime(cluster) { runtime in
            let vip = try #require(runtime.addressPlan.loopback(for: IPAddress("10.96.161.97")!))
            var bodies: [String] = []
            for _ in 0..<30 {
                let (status, body) = try curl("http://\(vip):\(runtime.addressPlan.loopbackPort(for: 80))/")
                #expect(status == 0)
                bodies.append(body)
            }
            #expect(Set(bodies).count >= 3, "30 connections through the cluster IP reached only \(Set(bodies))")
            let forwarded = runtime.log.connections.filter { $0.kind == .forwarded }
            #expect(forwarded.count == 30)
            #expect(forwarded.allSatisfy { $0.destination == IPAddress("10.96.161.97")! })
        }
    }

    /// As after kube-proxy's DNAT: one connection per request, and the pod sees the client's own
    /// address (no second leg from the forwarder).
    @Test func forwardedConnectionsAreServedOnTheClientsConnection() async throws {
        let cluster = try Kiada.cluster()
        try await withRuntime(cluster) { runtime in
            let vip = try #require(runtime.addressPlan.loopback(for: IPAddress("10.96.161.97")!))
            for _ in 0..<5 {
                let (status, _) = try curl("http://\(vip):\(runtime.addressPlan.loopbackPort(for: 80))/")
                #expect(status == 0)
            }
            let connections = runtime.log.connections
            #expect(connections.count == 5 && connections.allSatisfy { $0.kind == .forwarded }, "\(connections)")
            let requests = runtime.log.requests
            #expect(requests.count == 5)
            for (request, connection) in zip(requests, connections) {
                #expect(request.client == connection.client, "the pod saw \(request.client), the client was \(connection.client)")
                #expect(request.pod == connection.backend)
                #expect(request.connection == connection.connection)
            }
        }
    }

    @Test func sameSeedSameChoices() async throws {
        var table = ForwardingTable(cluster: try Kiada.cluster())
        let frontend = ForwardingTable.Frontend(address: IPAddress("10.96.161.97")!, port: 80)
        var a = BackendChooser(seed: 7)
        var b = BackendChooser(seed: 7)
        let first = (0..<50).map { _ in a.choose(frontend, client: "127.0.0.1", in: table)!.pod }
        let second = (0..<50).map { _ in b.choose(frontend, client: "127.0.0.1", in: table)!.pod }
        #expect(first == second)
        #expect(Set(first).count == 4)
        // ClientIP affinity sticks to the first choice per client
        table.clientIPAffinity.insert(frontend)
        var sticky = BackendChooser(seed: 7)
        let pinned = Set((0..<20).map { _ in sticky.choose(frontend, client: "10.244.1.20", in: table)!.pod })
        #expect(pinned.count == 1)
    }

    @Test func serviceWithoutReadyEndpointsRefusesConnections() async throws {
        var cluster = try Kiada.cluster()
        for index in cluster.pods.indices where cluster.pods[index].meta.labels["app"] == "quote" {
            cluster.pods[index].ready = false
        }
        cluster.deriveEndpointSlices()
        try await withRuntime(cluster) { runtime in
            let vip = try #require(runtime.addressPlan.loopback(for: IPAddress("10.96.161.97")!))
            let (status, _) = try curl("http://\(vip):\(runtime.addressPlan.loopbackPort(for: 80))/")
            #expect(status == 7, "curl exit \(status): expected 7 (connection refused)")
            // readiness removes pods from endpoints, not from the network
            let pod = try #require(runtime.addressPlan.loopback(for: IPAddress("10.244.2.9")!))
            let (podStatus, body) = try curl("http://\(pod):\(runtime.addressPlan.loopbackPort(for: 80))/")
            #expect(podStatus == 0)
            #expect(body.contains("quote-canary"))
        }
    }
}
