import ClusterDNS
import ClusterModel
import DNSWire
import Testing

/// The book chapter's cluster, loaded from scenarios/clusters/kiada with the ManifestLoader.
@Suite("Chapter cluster (kiada)")
struct ChapterClusterTests {
    static let root: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    static func cluster() throws -> Cluster {
        try ManifestLoader().load(paths: [root + "/scenarios/clusters/kiada"])
    }

    static let quotePods: Set<String> = ["10.244.2.9", "10.244.2.10", "10.244.2.8", "10.244.1.10"]

    static func podConf(_ cluster: Cluster, _ name: String = "dns-test") throws -> ResolvConf {
        let pod = try #require(cluster.pods.first { $0.meta.name == name && $0.meta.namespace == "kiada" })
        return KubeletDNS(cluster: cluster).resolvConf(for: pod).resolvConf
    }

    @Test("the dns-test pod's resolv.conf")
    func resolvConf() throws {
        let cluster = try Self.cluster()
        let conf = try Self.podConf(cluster)
        #expect(conf.searches == ["kiada.svc.cluster.local", "svc.cluster.local", "cluster.local"])
        #expect(conf.nameservers == ["10.96.0.10"])
        #expect(conf.ndots == 5)
    }

    @Test("quote-headless from a pod in kiada resolves to the four quote pods")
    func headless() throws {
        let cluster = try Self.cluster()
        var r = ClusterDNSResponder(cluster: cluster, options: .kubeadm)
        let walk = try SearchWalk.walk("quote-headless", types: [.a, .aaaa], resolvConf: try Self.podConf(cluster), resolver: .glibc) { r.respond(to: $0) }
        #expect(walk.failure == nil)
        #expect(walk.exchanges.count == 2)
        let a = try #require(walk.exchanges.first)
        #expect(a.name == "quote-headless.kiada.svc.cluster.local.")
        #expect(Set(a.reply.answers.map { $0.data.presentation }) == Self.quotePods)
        #expect(a.reply.answers.count == 4)
        #expect(a.reply.answers.allSatisfy { $0.ttl == 30 })
        #expect(walk.exchanges[1].rcode == .noError && walk.exchanges[1].reply.answers.isEmpty)
    }

    @Test("quote resolves to its cluster IP, whatever the pods")
    func clusterIP() throws {
        let cluster = try Self.cluster()
        var r = ClusterDNSResponder(cluster: cluster)
        let walk = try SearchWalk.walk("quote", types: [.a], resolvConf: try Self.podConf(cluster), resolver: .glibc) { r.respond(to: $0) }
        try expectRecords(try #require(walk.exchanges.last).reply.answers, "quote.kiada.svc.cluster.local. 5 IN A 10.96.161.97", "quote")
        // 1 dot: first tried under kiada.svc.cluster.local (NXDOMAIN), then found
        let dotted = try SearchWalk.walk("quote.kiada", types: [.a], resolvConf: try Self.podConf(cluster), resolver: .glibc) { r.respond(to: $0) }
        #expect(
            dotted.exchanges.map { "\($0.name) \($0.rcode)" } == ["quote.kiada.kiada.svc.cluster.local. NXDOMAIN", "quote.kiada.svc.cluster.local. NOERROR"])
    }

    @Test("SRV and PTR as the spec says")
    func srvAndPTR() throws {
        var r = ClusterDNSResponder(cluster: try Self.cluster(), options: TestCluster.options)
        let srv = try ask(&r, "_http._tcp.quote.kiada.svc.cluster.local.", .srv)
        try expectRecords(srv.answers, "_http._tcp.quote.kiada.svc.cluster.local. 5 IN SRV 0 100 80 quote.kiada.svc.cluster.local.", "ClusterIP SRV")
        try expectRecords(srv.additional, "quote.kiada.svc.cluster.local. 5 IN A 10.96.161.97", "glue")
        let headless = try ask(&r, "_http._tcp.quote-headless.kiada.svc.cluster.local.", .srv)
        #expect(headless.answers.count == 4)
        let targets = headless.answers.compactMap { record -> String? in
            guard case .srv(let s) = record.data, s.priority == 0, s.weight == 25 else { return nil }
            return "\(s.port) \(s.target)"
        }
        #expect(Set(targets) == Set(Self.quotePods.map { "80 \($0.replacingOccurrences(".", "-")).quote-headless.kiada.svc.cluster.local." }))
        #expect(Set(headless.additional.map { $0.data.presentation }) == Self.quotePods)
        try expectRecords(
            try ask(&r, "97.161.96.10.in-addr.arpa.", .ptr).answers, "97.161.96.10.in-addr.arpa. 5 IN PTR quote.kiada.svc.cluster.local.", "service PTR")
        let podPTR = try ask(&r, "9.2.244.10.in-addr.arpa.", .ptr)
        #expect(
            Set(podPTR.answers.map { $0.data.presentation }) == [
                "10-244-2-9.quote.kiada.svc.cluster.local.", "10-244-2-9.quote-headless.kiada.svc.cluster.local.",
            ])
        try expectRecords(try ask(&r, "cluster.local.", .ns).answers, "cluster.local. 5 IN NS kube-dns.kube-system.svc.cluster.local.", "NS")
    }

    @Test("the selector-less headless service answers its manual endpoints")
    func externalServiceHeadless() throws {
        var r = ClusterDNSResponder(cluster: try Self.cluster(), options: TestCluster.options)
        let a = try ask(&r, "external-service-headless.kiada.svc.cluster.local.", .a)
        #expect(Set(a.answers.map { $0.data.presentation }) == ["1.1.1.1", "2.2.2.2"])
        let srv = try ask(&r, "_http._tcp.external-service-headless.kiada.svc.cluster.local.", .srv)
        #expect(
            Set(srv.answers.map { $0.data.presentation }) == [
                "0 50 80 1-1-1-1.external-service-headless.kiada.svc.cluster.local.", "0 50 80 2-2-2-2.external-service-headless.kiada.svc.cluster.local.",
            ])
    }

    @Test("the order changes across repeated queries with shuffle and rotates with rotate")
    func ordering() throws {
        let cluster = try Self.cluster()
        var shuffled = ClusterDNSResponder(cluster: cluster, options: ClusterDNSOptions(seed: 7))
        let orders = try (0..<20).map { _ in try ask(&shuffled, "quote-headless.kiada.svc.cluster.local.", .a).answers.map { $0.data.presentation } }
        #expect(Set(orders).count > 3)
        #expect(orders.allSatisfy { Set($0) == Self.quotePods })
        var rotating = ClusterDNSResponder(cluster: cluster, options: ClusterDNSOptions(answerOrder: .rotate))
        let first = try ask(&rotating, "quote-headless.kiada.svc.cluster.local.", .a).answers.map { $0.data.presentation }
        for turn in 1...5 {
            let order = try ask(&rotating, "quote-headless.kiada.svc.cluster.local.", .a).answers.map { $0.data.presentation }
            let k = turn % 4
            #expect(order == Array(first[k...] + first[..<k]))
        }
    }

    @Test("nslookup quote-headless in the dns-test pod")
    func nslookupTranscript() throws {
        let cluster = try Self.cluster()
        var r = ClusterDNSResponder(cluster: cluster, options: ClusterDNSOptions(ttl: 30, answerOrder: .none))
        let run = try ToolTranscript.run(.nslookup, name: "quote-headless", type: nil, resolvConf: try Self.podConf(cluster)) { r.respond(to: $0) }
        let a = run.exchanges[0].reply.answers.map { "Name:\tquote-headless.kiada.svc.cluster.local\nAddress: \($0.data.presentation)" }
        // as the real nslookup in a pod prints it: one warning per reply without RA, as it arrives
        let warning = ";; Got recursion not available from 10.96.0.10\n"
        #expect(run.output == warning + "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n" + a.joined(separator: "\n") + "\n" + warning + "\n")
        #expect(run.exitStatus == 0)
        #expect(run.exchanges.map { "\($0.name) \($0.type)" } == ["quote-headless.kiada.svc.cluster.local. A", "quote-headless.kiada.svc.cluster.local. AAAA"])
        let miss = try ToolTranscript.run(.nslookup, name: "nosuch", type: nil, resolvConf: try Self.podConf(cluster)) { r.respond(to: $0) }
        #expect(
            miss.output == String(repeating: warning, count: 4) + "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n** server can't find nosuch: REFUSED\n\n")
        #expect(miss.exitStatus == 1)
        #expect(miss.exchanges.map(\.rcode) == [.nxDomain, .nxDomain, .nxDomain, .refused])
    }
}

extension String {
    fileprivate func replacingOccurrences(_ a: Character, _ b: Character) -> String {
        String(map { $0 == a ? b : $0 })
    }
}
