import ClusterModel
import DNSWire
import Testing

@testable import ClusterDNS

/// The precomputed answers (built with the index for the names clients ask most) must give the
/// very replies the general path gives: same records, same order after the seeded shuffle or the
/// rotation, same bytes on the wire. Two responders, one over an index with precomputed answers
/// and one without, are asked the same long seeded sequence of questions.
@Suite("Precomputed answers")
struct PrecomputedAnswerTests {
    /// A cluster with every kind of Service the index knows, drawn from a seed: ClusterIP (IPv4,
    /// IPv6, dual-stack), headless with several slices, not-ready and duplicate endpoints,
    /// hostnames, ExternalName in and out of the zone or to an IP; named, unnamed, UDP ports or none.
    static func generatedCluster(seed: UInt64, services count: Int = 60) -> Cluster {
        var generator = SeededGenerator(seed: seed)
        func draw(_ n: Int) -> Int { Int(generator.next() % UInt64(n)) }
        let namespaces = ["ns-a", "ns-b", "kube-system", "default"]
        let portChoices: [(String?, UInt16, TransportProtocol)] = [("http", 80, .tcp), ("https", 443, .tcp), ("dns", 53, .udp), (nil, 8080, .tcp)]
        var services: [Service] = []
        var slices: [EndpointSlice] = []
        var pods: [Pod] = []
        var nextIP: UInt32 = 0x0AF4_0000
        func podIP() -> IPAddress {
            nextIP += 1
            // now and then an address seen before: the same pod behind two services
            if draw(8) == 0 { return .v4(IPv4Address(nextIP - UInt32(1 + draw(4)))) }
            return .v4(IPv4Address(nextIP))
        }
        for s in 0..<count {
            let namespace = namespaces[draw(namespaces.count)]
            let name = "svc-\(s)"
            var ports: [ServicePort] = []
            for choice in portChoices where draw(2) == 0 { ports.append(ServicePort(name: choice.0, port: choice.1, transport: choice.2)) }
            let meta = ObjectMeta(name: name, namespace: namespace)
            switch s % 6 {
            case 0, 1:
                let ips: [IPAddress] =
                    switch draw(3) {
                    case 0: [.v4(IPv4Address(0x0A60_0000 + UInt32(s)))]
                    case 1: [IPAddress("fd00:10:96::\(String(s, radix: 16))")!]
                    default: [.v4(IPv4Address(0x0A60_0000 + UInt32(s))), IPAddress("fd00:10:96::\(String(s, radix: 16))")!]
                    }
                services.append(Service(meta: meta, clusterIPs: ips, selector: ["app": name], ports: ports))
            case 2, 3, 4:
                services.append(Service(meta: meta, isHeadless: true, selector: ["app": name], ports: ports))
            default:
                let targets = ["svc-0.\(namespaces[0]).svc.cluster.local", "web.example.test", "192.0.2.7", "nosuch.ns-a.svc.cluster.local", ""]
                services.append(Service(meta: meta, type: .externalName, externalName: targets[draw(targets.count)]))
                continue
            }
            // slices for every non-ExternalName service, some with none (no endpoints)
            for k in 0..<draw(3) {
                var endpoints: [Endpoint] = []
                let v6 = draw(4) == 0
                for p in 0..<draw(5) {
                    let ip = v6 ? IPAddress("fd00:244::\(String(s, radix: 16)):\(String(k * 16 + p, radix: 16))")! : podIP()
                    let podName = "\(name)-pod-\(k)-\(p)"
                    pods.append(Pod(meta: ObjectMeta(name: podName, namespace: namespace), ips: [ip]))
                    let ready: Bool? = [true, nil, false][draw(3)]
                    let hostname = draw(4) == 0 ? "host-\(p)" : nil
                    endpoints.append(Endpoint(addresses: [ip], ready: ready, hostname: hostname, targetPodName: podName))
                }
                var slicePorts = ports.map { EndpointPort(name: $0.name, port: $0.port, transport: $0.transport) }
                if draw(5) == 0 { slicePorts = [EndpointPort(name: "web", port: 8081)] }
                slices.append(
                    EndpointSlice(
                        meta: ObjectMeta(name: "\(name)-\(k)", namespace: namespace, labels: ["kubernetes.io/service-name": name]), serviceName: name,
                        addressType: v6 ? .ipv6 : .ipv4, endpoints: endpoints, ports: slicePorts, origin: .manifest))
            }
        }
        // names longer than the 64 octets the table compares in place: one service name in two
        // namespaces, so that the names differ only after those 64 octets
        let long = "long-" + String(repeating: "x", count: 57)
        for (k, namespace) in ["ns-a", "ns-b"].enumerated() {
            services.append(
                Service(
                    meta: ObjectMeta(name: long, namespace: namespace), clusterIPs: k == 0 ? [] : [IPAddress("10.96.9.9")!], isHeadless: k == 0,
                    selector: ["app": long], ports: [ServicePort(name: "http", port: 80)]))
            slices.append(
                EndpointSlice(
                    meta: ObjectMeta(name: "\(long)-\(k)", namespace: namespace, labels: ["kubernetes.io/service-name": long]), serviceName: long,
                    addressType: .ipv4, endpoints: [Endpoint(addresses: [podIP()]), Endpoint(addresses: [podIP()])],
                    ports: [EndpointPort(name: "http", port: 80)],
                    origin: .manifest))
        }
        services.append(
            Service(
                meta: ObjectMeta(name: "kube-dns", namespace: "kube-system"), clusterIPs: [IPAddress("10.96.0.10")!], selector: ["k8s-app": "kube-dns"],
                ports: [ServicePort(name: "dns", port: 53, transport: .udp), ServicePort(name: "dns-tcp", port: 53)]))
        return Cluster(namespaces: Set(namespaces), pods: pods, services: services, endpointSlices: slices)
    }

    /// Names worth asking about in `cluster` under `zone` (spelled as given): every service in
    /// lowercase and mixed case, its `_port._proto` names, endpoint names, reverse names of every
    /// address, and names that do not exist.
    static func names(in cluster: Cluster, zone: String) -> [String] {
        var names: [String] = []
        func mixed(_ text: String) -> String {
            String(text.enumerated().map { $0.offset % 3 == 0 ? Character($0.element.uppercased()) : $0.element })
        }
        for service in cluster.services {
            let base = "\(service.meta.name).\(service.meta.namespace).svc.\(zone)"
            names += [base, mixed(base), "\(service.meta.name).\(service.meta.namespace).svc.\(mixed(zone))"]
            for port in ["http", "https", "dns", "dns-tcp", "web", "nosuch"] {
                for proto in ["tcp", "udp"] { names.append("_\(port)._\(proto).\(base)") }
            }
            names += ["_HTTP._TCP.\(base)", "http.tcp.\(base)", "x.\(base)", "\(base)\(zone)"]
            for ip in service.clusterIPs { names.append(reverseName(ip)) }
        }
        for slice in cluster.endpointSlices {
            for endpoint in slice.endpoints {
                for ip in endpoint.addresses {
                    let host = ClusterDNSIndex.endpointHostname(ip: ip, hostname: endpoint.hostname, podName: endpoint.targetPodName, endpointPodNames: false)
                    names.append("\(host).\(slice.serviceName ?? "").\(slice.meta.namespace).svc.\(zone)")
                    names.append(reverseName(ip))
                }
            }
        }
        names += [
            zone, "svc.\(zone)", "ns-a.svc.\(zone)", "nosuch.ns-a.svc.\(zone)", "svc-0.nosuch.svc.\(zone)", "dns-version.\(zone)", "ns.dns.\(zone)",
            "10-244-0-1.ns-a.pod.\(zone)", "web.example.test.", "example.org.", "99.99.99.10.in-addr.arpa.", "in-addr.arpa.",
        ]
        return names
    }

    static func reverseName(_ ip: IPAddress) -> String {
        switch ip {
        case .v4(let a): return a.octets.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa."
        case .v6(let a):
            return a.octets.reversed().flatMap { [String($0 & 0xf, radix: 16), String($0 >> 4, radix: 16)] }.joined(separator: ".") + ".ip6.arpa."
        }
    }

    static let types: [DNSType] = [.a, .aaaa, .srv, .ptr, .txt, .mx, .cname, .soa, .ns, DNSType(255)]

    /// Asks both responders every (name, type) in a seeded order, each question twice (the
    /// rotation turns), a third of them with EDNS; returns how many replies were compared.
    static func compare(cluster: Cluster, options: ClusterDNSOptions, zone: String, seed: UInt64) throws -> (compared: Int, precomputedHits: Int) {
        let fast = ClusterDNSIndex(cluster: cluster, options: options)
        let plain = ClusterDNSIndex(cluster: cluster, options: options, precomputing: false)
        #expect(plain.precomputedCount == 0)
        #expect(fast.precomputedCount > 0, "nothing precomputed")
        var a = ClusterDNSResponder(index: fast)
        var b = ClusterDNSResponder(index: plain)
        var questions: [(DNSName, DNSType)] = []
        for name in names(in: cluster, zone: zone) {
            guard let parsed = try? DNSName(name) else { continue }
            for type in types { questions += [(parsed, type), (parsed, type)] }
        }
        var generator = SeededGenerator(seed: seed)
        questions.shuffle(using: &generator)
        var hits = 0
        for (i, (name, type)) in questions.enumerated() {
            if fast.precomputed.outcome(name.wire, type) != nil { hits += 1 }
            let edns: EDNS? = i % 3 == 0 ? EDNS(udpPayloadSize: 1232) : nil
            let query = DNSMessage.query(id: UInt16(truncatingIfNeeded: i), name: name, type: type, edns: edns)
            let x = a.respond(to: query)
            let y = b.respond(to: query)
            let bytesX = try x.wireBytes(compress: false)
            let bytesY = try y.wireBytes(compress: false)
            if bytesX != bytesY || x != y {
                Issue.record("\(name) \(type) differs:\n precomputed:\n\(x)\n general:\n\(y)")
                return (i, hits)
            }
        }
        return (questions.count, hits)
    }

    static let orders: [ClusterDNSOptions.AnswerOrder] = [.shuffle, .rotate, .none]

    @Test("generated clusters: precomputed and general replies are byte-identical", arguments: [UInt64(1), 2, 3, 4])
    func generated(seed: UInt64) throws {
        let cluster = PrecomputedAnswerTests.generatedCluster(seed: seed)
        for order in PrecomputedAnswerTests.orders {
            var options = ClusterDNSOptions(answerOrder: order, seed: seed)
            if seed % 2 == 0 { options = .kubeadm }
            options.answerOrder = order
            let (compared, hits) = try PrecomputedAnswerTests.compare(cluster: cluster, options: options, zone: "cluster.local.", seed: seed)
            #expect(compared > 10_000, "\(order): \(compared) replies compared")
            #expect(hits > 500, "\(order): only \(hits) questions had precomputed answers")
        }
    }

    @Test("the chapter's table cluster with other zones, spellings, TTL and outside records")
    func tableCluster() throws {
        var variants: [(ClusterDNSOptions, String)] = []
        variants.append((ClusterDNSOptions(seed: 7), "cluster.local."))
        variants.append((ClusterDNSOptions(zones: ["Cluster.Local.", "in-addr.arpa."], ttl: 30, answerOrder: .rotate), "Cluster.Local."))
        variants.append((ClusterDNSOptions(zones: ["example.org.", "svc.example.org."], endpointPodNames: true, seed: 3), "example.org."))
        let outside = try zone("web.example.test. 60 IN A 192.0.2.1\nweb.example.test. 60 IN AAAA 2001:db8::1")
        variants.append((ClusterDNSOptions(pods: .verified, outsideZones: .records(outside)), "cluster.local."))
        for (options, zoneSpelling) in variants {
            for cluster in [TestCluster.cluster, PrecomputedAnswerTests.generatedCluster(seed: 9, services: 30)] {
                let (compared, hits) = try PrecomputedAnswerTests.compare(cluster: cluster, options: options, zone: zoneSpelling, seed: 5)
                #expect(compared > 1_000 && hits > 50, "\(options.zones): \(compared) compared, \(hits) precomputed")
            }
        }
    }
}

@Suite("Precomputed answer table")
struct PrecomputedAnswerTableTests {
    /// Names that share their first 64 octets and their length must still find their own entry,
    /// and a name not in the table none, whatever the case of its letters.
    @Test("names equal in their first 64 octets are told apart; other spellings are not found")
    func longNames() throws {
        let long = String(repeating: "x", count: 62)
        var entries: [PrecomputedAnswers.Entry] = []
        var names: [DNSName] = []
        for (k, namespace) in ["ns-a", "ns-b", "ns-c", "short"].enumerated() {
            let name = try DNSName("\(long).\(namespace).svc.cluster.local.")
            names.append(name)
            var outcome = Outcome()
            outcome.rcode = DNSRCode(UInt16(k))
            entries.append(PrecomputedAnswers.Entry(wire: name.wire, a: outcome, aaaa: nil, srv: outcome))
        }
        let table = PrecomputedAnswers(entries)
        #expect(table.count == 4)
        for (k, name) in names.enumerated() {
            #expect(table.outcome(name.wire, .a)?.rcode == DNSRCode(UInt16(k)), "\(name)")
            #expect(table.outcome(name.wire, .srv)?.rcode == DNSRCode(UInt16(k)), "\(name)")
            #expect(table.outcome(name.wire, .aaaa) == nil)
            #expect(table.outcome(name.wire, .ptr) == nil)
        }
        for other in [
            "\(long).ns-d.svc.cluster.local.", "\(long).NS-A.svc.cluster.local.", "\(long).ns-a.svc.cluster.loca.", "x.\(long).ns-a.svc.cluster.local.",
        ] {
            #expect(table.outcome(try DNSName(other).wire, .a) == nil, "\(other)")
        }
        #expect(PrecomputedAnswers.none.outcome(names[0].wire, .a) == nil)
    }
}
