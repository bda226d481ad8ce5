import ClusterDNS
import ClusterModel
import DNSWire
import Testing

/// A table-test cluster modelled on CoreDNS's own kubernetes plugin tests, with EndpointSlices
/// written out as the slice controller would have produced them.
enum TestCluster {
    static func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    static func slice(
        _ name: String, service: String, namespace: String = "testns", family: IPFamily = .ipv4, endpoints: [Endpoint],
        ports: [EndpointPort] = [EndpointPort(name: "http", port: 80)]
    ) -> EndpointSlice {
        EndpointSlice(
            meta: ObjectMeta(name: name, namespace: namespace, labels: ["kubernetes.io/service-name": service]), serviceName: service, addressType: family,
            endpoints: endpoints, ports: ports, origin: .manifest)
    }

    static func clusterIP(_ name: String, _ ips: [String], namespace: String = "testns", ports: [ServicePort] = [ServicePort(name: "http", port: 80)])
        -> Service
    {
        Service(meta: ObjectMeta(name: name, namespace: namespace), clusterIPs: ips.map(ip), selector: ["app": name], ports: ports)
    }

    static func headless(_ name: String, namespace: String = "testns", ports: [ServicePort] = [ServicePort(name: "http", port: 80)]) -> Service {
        Service(meta: ObjectMeta(name: name, namespace: namespace), isHeadless: true, selector: ["app": name], ports: ports)
    }

    static func external(_ name: String, _ target: String, namespace: String = "testns") -> Service {
        Service(meta: ObjectMeta(name: name, namespace: namespace), type: .externalName, externalName: target)
    }

    static let cluster: Cluster = {
        var services: [Service] = [
            clusterIP("svc1", ["10.0.0.1"]),
            clusterIP("svc-dual", ["10.0.0.3", "1234:abcd::1"]),
            clusterIP("svc-noeps", ["10.0.0.5"]),
            clusterIP(
                "svc-multi", ["10.0.0.6"],
                ports: [ServicePort(name: "http", port: 80), ServicePort(name: "https", port: 443), ServicePort(name: "dns", port: 53, transport: .udp)]),
            clusterIP("svc-unnamed", ["10.0.0.7"], ports: [ServicePort(port: 8080)]),
            clusterIP("svc-noports", ["10.0.0.8"], ports: []),
            clusterIP("svc-v6", ["fd00:10:96::8"]),
            headless("hdls1", ports: [ServicePort(name: "http", port: 80, targetPort: .number(8080))]),
            headless("hdls-notready"),
            headless("hdls-v6only"),
            headless("hdls-noports", ports: []),
            headless("hdls-many"),
            headless("hdls-dual"),
            headless("hdls-manual"),
            external("external", "ext.interwebs.test"),
            external("external-to-service", "svc1.testns.svc.cluster.local"),
            external("external-ip", "1.2.3.4"),
            external("external-missing", "nosuch.testns.svc.cluster.local"),
            clusterIP("svc-a", ["10.0.0.10"]),
            headless("svc-b"),
            clusterIP(
                "kube-dns", ["10.96.0.10"], namespace: "kube-system",
                ports: [ServicePort(name: "dns", port: 53, transport: .udp), ServicePort(name: "dns-tcp", port: 53)]),
        ]
        services[0].meta.labels = [:]
        let slices: [EndpointSlice] = [
            slice("svc1-abcde", service: "svc1", endpoints: [Endpoint(addresses: [ip("172.0.0.1")], hostname: "ep1a", targetPodName: "svc1-pod-1")]),
            slice("svc-dual-4", service: "svc-dual", endpoints: [Endpoint(addresses: [ip("172.0.0.30")])]),
            slice(
                "hdls1-a", service: "hdls1",
                endpoints: [
                    Endpoint(addresses: [ip("172.0.0.2")], ready: true, hostname: "web-0", targetPodName: "web-0"),
                    Endpoint(addresses: [ip("172.0.0.3")], ready: nil, targetPodName: "hdls1-pod-3"),
                    Endpoint(addresses: [ip("172.0.0.4")], ready: false, targetPodName: "hdls1-pod-4"),
                ], ports: [EndpointPort(name: "http", port: 8080)]),
            // slice skew: the same address again in a second slice
            slice(
                "hdls1-b", service: "hdls1", endpoints: [Endpoint(addresses: [ip("172.0.0.3")], targetPodName: "hdls1-pod-3")],
                ports: [EndpointPort(name: "http", port: 8080)]),
            slice(
                "hdls1-v6", service: "hdls1", family: .ipv6, endpoints: [Endpoint(addresses: [ip("5678:abcd::1")])],
                ports: [EndpointPort(name: "http", port: 8080)]),
            slice("hdls-notready-a", service: "hdls-notready", endpoints: [Endpoint(addresses: [ip("172.0.0.40")], ready: false)]),
            slice("hdls-v6only-a", service: "hdls-v6only", family: .ipv6, endpoints: [Endpoint(addresses: [ip("2001:db8::")])]),
            slice("hdls-noports-a", service: "hdls-noports", endpoints: [Endpoint(addresses: [ip("172.0.0.9")])], ports: []),
            slice("hdls-many-a", service: "hdls-many", endpoints: (1...6).map { Endpoint(addresses: [ip("172.0.1.\($0)")]) }),
            slice("hdls-dual-4", service: "hdls-dual", endpoints: [Endpoint(addresses: [ip("172.0.2.1")])]),
            slice("hdls-dual-6", service: "hdls-dual", family: .ipv6, endpoints: [Endpoint(addresses: [ip("fd00:244::1")])]),
            // manual slice whose port name does not match the Service's (kubernetes#80175)
            slice("hdls-manual-x", service: "hdls-manual", endpoints: [Endpoint(addresses: [ip("172.0.3.1")])], ports: [EndpointPort(name: "web", port: 80)]),
            slice("svc-a-x", service: "svc-a", endpoints: [Endpoint(addresses: [ip("172.0.0.20")], hostname: "double-ep")]),
            slice("svc-b-x", service: "svc-b", endpoints: [Endpoint(addresses: [ip("172.0.0.20")], hostname: "double-ep")]),
            slice(
                "kube-dns-x", service: "kube-dns", namespace: "kube-system", endpoints: [Endpoint(addresses: [ip("10.244.0.2")])],
                ports: [EndpointPort(name: "dns", port: 53, transport: .udp)]),
        ]
        let pods = [
            Pod(meta: ObjectMeta(name: "client", namespace: "testns"), ips: [ip("172.0.0.99"), ip("fd00::99")]),
            Pod(meta: ObjectMeta(name: "gone", namespace: "testns"), ips: [ip("172.0.0.98")], terminating: true),
        ]
        return Cluster(namespaces: ["testns", "kube-system", "default", "empty-ns"], pods: pods, services: services, endpointSlices: slices)
    }()

    /// CoreDNS defaults with no shuffle, so that table expectations can be exact.
    static var options: ClusterDNSOptions {
        var o = ClusterDNSOptions()
        o.answerOrder = .none
        return o
    }

    static func responder(_ options: ClusterDNSOptions = TestCluster.options, cluster: Cluster = TestCluster.cluster) -> ClusterDNSResponder {
        ClusterDNSResponder(cluster: cluster, options: options)
    }
}

/// Asks one question (RD set, no EDNS).
func ask(_ responder: inout ClusterDNSResponder, _ name: String, _ type: DNSType, edns: EDNS? = nil) throws -> DNSMessage {
    let query = DNSMessage.query(id: 4242, name: try DNSName(name), type: type, recursionDesired: true, edns: edns)
    return responder.respond(to: query)
}

func zone(_ text: String) throws -> [ResourceRecord] {
    try ZoneFileParser(defaultTTL: 5).parse(text)
}

/// Records compared exactly (owner case included), in order.
func expectRecords(_ actual: [ResourceRecord], _ expected: String, _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let want = try zone(expected)
    let same =
        actual.count == want.count && zip(actual, want).allSatisfy { $0.name.isIdentical(to: $1.name) && $0 == $1 && sameTargetSpelling($0.data, $1.data) }
    #expect(
        same, "\(what):\n got:\n\(actual.map(\.description).joined(separator: "\n"))\n want:\n\(want.map(\.description).joined(separator: "\n"))",
        sourceLocation: sourceLocation)
}

/// Names inside RDATA compare case-insensitively in `==`; these tests also pin their spelling.
func sameTargetSpelling(_ a: RecordData, _ b: RecordData) -> Bool {
    switch (a, b) {
    case (.srv(let x), .srv(let y)): return x.target.isIdentical(to: y.target)
    case (.ptr(let x), .ptr(let y)), (.cname(let x), .cname(let y)), (.ns(let x), .ns(let y)): return x.isIdentical(to: y)
    case (.soa(let x), .soa(let y)): return x.mname.isIdentical(to: y.mname) && x.rname.isIdentical(to: y.rname)
    default: return true
    }
}

/// The SOA of a negative answer in zone `z` (TTL 5, serial as in the default options).
func soa(_ z: String = "cluster.local.") -> String {
    "\(z) 5 IN SOA ns.dns.\(z) hostmaster.\(z) 1700000000 7200 1800 86400 5"
}
