import ClusterModel
import DNSWire
import Testing

/// The chapter cluster in scenarios/clusters/kiada loads with exactly the book's addresses.
@Suite struct KiadaClusterTests {
    let cluster: Cluster

    init() throws {
        let directory = Load.repositoryRoot.appendingPathComponent("scenarios/clusters/kiada").path
        cluster = try ManifestLoader().load(paths: [directory])
    }

    @Test func loadsWithoutWarnings() {
        #expect(cluster.warnings.map(Load.render) == [])
        #expect(cluster.namespaces == ["default", "kube-system", "kiada"])
    }

    @Test(arguments: [
        ("quote-canary", "10.244.2.9"),
        ("quote-001", "10.244.2.10"),
        ("quote-002", "10.244.2.8"),
        ("quote-003", "10.244.1.10"),
        ("dns-test", "10.244.1.20"),
    ])
    func podAddresses(name: String, ip: String) throws {
        let pod = try #require(cluster.pod(name, in: "kiada"))
        #expect(pod.ips == [Load.ip(ip)])
        #expect(pod.ready)
        #expect(pod.phase == .running)
    }

    @Test func quoteServices() throws {
        let quote = try #require(cluster.service("quote", in: "kiada"))
        #expect(quote.clusterIPs == [Load.ip("10.96.161.97")])
        #expect(!quote.isHeadless)
        #expect(quote.ports == [ServicePort(name: "http", port: 80, targetPort: .name("http"))])
        #expect(quote.ipFamilies == [.ipv4])
        let headless = try #require(cluster.service("quote-headless", in: "kiada"))
        #expect(headless.isHeadless)
        #expect(headless.clusterIPs == [])
        #expect(headless.ipFamilies == [.ipv4])

        let expected = [
            "10.244.1.10 ready - quote-003",
            "10.244.2.10 ready - quote-001",
            "10.244.2.8 ready - quote-002",
            "10.244.2.9 ready - quote-canary",
        ]
        for name in ["quote", "quote-headless"] {
            let slices = cluster.slices(of: name, in: "kiada")
            #expect(slices.count == 1)
            #expect(slices.first?.origin == .derived)
            #expect(slices.first?.addressType == .ipv4)
            #expect(slices.first?.ports == [EndpointPort(name: "http", port: 80, transport: .tcp)])
            #expect(slices.first?.meta.labels["kubernetes.io/service-name"] == name)
            #expect(cluster.endpointSummary(of: name, in: "kiada") == expected)
        }
    }

    @Test func externalServiceIsMirrored() throws {
        let service = try #require(cluster.service("external-service-headless", in: "kiada"))
        #expect(service.isHeadless)
        #expect(service.selector == nil)
        let slices = cluster.slices(of: "external-service-headless", in: "kiada")
        #expect(slices.count == 1)
        #expect(slices.first?.origin == .mirroredEndpoints)
        #expect(slices.first?.ports == [EndpointPort(name: "http", port: 80, transport: .tcp)])
        #expect(cluster.endpointSummary(of: "external-service-headless", in: "kiada") == ["1.1.1.1 ready - -", "2.2.2.2 ready - -"])
    }

    @Test func kubeDNS() throws {
        let service = try #require(cluster.service("kube-dns", in: "kube-system"))
        #expect(service.clusterIPs == [Load.ip("10.96.0.10")])
        #expect(service.ports.map { "\($0.name ?? "") \($0.port)/\($0.transport.rawValue)" } == ["dns 53/UDP", "dns-tcp 53/TCP", "metrics 9153/TCP"])
        #expect(cluster.endpointSummary(of: "kube-dns", in: "kube-system").count == 2)
        #expect(cluster.slices(of: "kube-dns", in: "kube-system").first?.ports.count == 3)
    }

    @Test func everyObjectKnowsItsFileAndLine() throws {
        let pod = try #require(cluster.pod("quote-001", in: "kiada"))
        #expect(pod.meta.source?.file.hasSuffix("scenarios/clusters/kiada/pods.yaml") == true)
        #expect(pod.meta.source?.line == 35)
        let service = try #require(cluster.service("quote-headless", in: "kiada"))
        #expect(service.meta.source?.file.hasSuffix("services.yaml") == true)
        #expect(service.meta.source?.line == 24)
    }
}
