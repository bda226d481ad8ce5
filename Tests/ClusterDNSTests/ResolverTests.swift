import ClusterDNS
import ClusterModel
import DNSWire
import Testing

@Suite("Pod resolv.conf (k8s-dns.md 4.1)")
struct ResolvConfTests {
    static func pod(_ policy: DNSPolicy = .clusterFirst, namespace: String = "kiada", hostNetwork: Bool = false, dnsConfig: PodDNSConfig? = nil) -> Pod {
        Pod(meta: ObjectMeta(name: "p", namespace: namespace), hostNetwork: hostNetwork, dnsPolicy: policy, dnsConfig: dnsConfig)
    }

    static let node = ResolvConf(
        parsing: """
            # node file
            nameserver 192.168.1.1
            nameserver 192.168.1.2
            search corp.example lab.example.
            options ndots:2 timeout:1
            """)

    @Test("ClusterFirst in namespace kiada: the chapter's file")
    func clusterFirst() {
        let kubelet = KubeletDNS(nodeResolvConf: ResolvConf())
        let (conf, warnings) = kubelet.resolvConf(for: Self.pod())
        #expect(conf.description == "search kiada.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n")
        #expect(warnings.isEmpty)
        #expect(conf.ndots == 5)
    }

    @Test("node search domains are appended, node options dropped")
    func nodeSearches() {
        let kubelet = KubeletDNS(nodeResolvConf: Self.node)
        let (conf, _) = kubelet.resolvConf(for: Self.pod())
        #expect(conf.searches == ["kiada.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "lab.example"])
        #expect(conf.nameservers == ["10.96.0.10"])
        #expect(conf.options == [.init(name: "ndots", value: "5")])
    }

    @Test("hostNetwork: ClusterFirst falls back to Default, ClusterFirstWithHostNet keeps the cluster setup")
    func hostNetwork() {
        let kubelet = KubeletDNS(nodeResolvConf: Self.node)
        #expect(kubelet.resolvConf(for: Self.pod(.clusterFirst, hostNetwork: true)).resolvConf == Self.node)
        #expect(kubelet.resolvConf(for: Self.pod(.clusterFirstWithHostNet, hostNetwork: true)).resolvConf.nameservers == ["10.96.0.10"])
        #expect(kubelet.resolvConf(for: Self.pod(.default)).resolvConf == Self.node)
    }

    @Test("Default with --resolv-conf=\"\": nameserver 127.0.0.1, search .")
    func defaultWithoutNodeFile() {
        let kubelet = KubeletDNS(nodeResolvConf: nil)
        #expect(kubelet.resolvConf(for: Self.pod(.default)).resolvConf.description == "search .\nnameserver 127.0.0.1\n")
    }

    @Test("None + dnsConfig; dnsConfig merged into ClusterFirst (ndots:2 replaces ndots:5)")
    func dnsConfigMerge() {
        let kubelet = KubeletDNS(nodeResolvConf: ResolvConf())
        let none = kubelet.resolvConf(
            for: Self.pod(.none, dnsConfig: PodDNSConfig(nameservers: ["1.1.1.1"], searches: ["resolv.conf.local"], options: [(name: "ndots", value: "2")]))
        ).resolvConf
        #expect(none.description == "search resolv.conf.local\nnameserver 1.1.1.1\noptions ndots:2\n")
        let merged = kubelet.resolvConf(
            for: Self.pod(
                dnsConfig: PodDNSConfig(
                    nameservers: ["10.96.0.10", "9.9.9.9"], searches: ["svc.cluster.local", "extra.example"],
                    options: [(name: "ndots", value: "2"), (name: "edns0", value: nil)]))
        ).resolvConf
        #expect(merged.nameservers == ["10.96.0.10", "9.9.9.9"])
        #expect(merged.searches == ["kiada.svc.cluster.local", "svc.cluster.local", "cluster.local", "extra.example"])
        #expect(merged.options == [.init(name: "ndots", value: "2"), .init(name: "edns0")])
        #expect(merged.ndots == 2)
    }

    @Test("limits: 3 nameservers, 32 search paths, 2048 characters, domains over 253 dropped")
    func limits() {
        let kubelet = KubeletDNS(nodeResolvConf: ResolvConf())
        let (ns, nsWarnings) = kubelet.resolvConf(for: Self.pod(dnsConfig: PodDNSConfig(nameservers: ["1.1.1.1", "2.2.2.2", "3.3.3.3"])))
        #expect(ns.nameservers == ["10.96.0.10", "1.1.1.1", "2.2.2.2"])
        #expect(nsWarnings.count == 1)
        let many = (1...40).map { "d\($0).example" }
        let (s, sWarnings) = kubelet.resolvConf(for: Self.pod(dnsConfig: PodDNSConfig(searches: many)))
        #expect(s.searches.count == 32)
        #expect(sWarnings.count == 1 && sWarnings[0].hasPrefix("Search Line limits were exceeded"))
        let long = (1...20).map { String(repeating: "a", count: 50) + "\($0).example" + String(repeating: ".b", count: 20) }
        let (l, _) = kubelet.resolvConf(for: Self.pod(dnsConfig: PodDNSConfig(searches: long)))
        #expect(l.searches.joined(separator: " ").utf8.count <= 2048)
        #expect(l.searches.count < 23)
        let tooLong =
            String(repeating: "x", count: 60) + "." + String(repeating: "y", count: 60) + "." + String(repeating: "z", count: 60) + "."
            + String(repeating: "w", count: 80)
        let (t, _) = kubelet.resolvConf(for: Self.pod(dnsConfig: PodDNSConfig(searches: [tooLong, "ok.example"])))
        #expect(t.searches.last == "ok.example" && !t.searches.contains(tooLong))
    }

    @Test("the e2e search line with a single dot and an underscore survives")
    func e2eSearchPaths() {
        let kubelet = KubeletDNS(nodeResolvConf: ResolvConf())
        let (conf, _) = kubelet.resolvConf(for: Self.pod(dnsConfig: PodDNSConfig(searches: [".", "_sip._tcp.abc_d.example.com"])))
        #expect(conf.searches.suffix(2) == [".", "_sip._tcp.abc_d.example.com"])
    }
}

@Suite("Stub resolver search walks (k8s-dns.md 4.2-4.4)")
struct SearchWalkTests {
    static let conf = ResolvConf(
        nameservers: ["10.96.0.10"], searches: ["testns.svc.cluster.local", "svc.cluster.local", "cluster.local"], options: [.init(name: "ndots", value: "5")])

    static func trace(_ walk: SearchWalk) -> [String] {
        walk.exchanges.map { "\($0.name) \($0.type): \($0.rcode)\($0.rcode == .noError && $0.reply.answers.isEmpty ? " (NODATA)" : "")" }
    }

    @Test("candidates: ndots, trailing dot, and the bare name last")
    func candidates() throws {
        #expect(
            try SearchWalk.candidates(for: "svc1", resolvConf: Self.conf, resolver: .glibc).map(\.description) == [
                "svc1.testns.svc.cluster.local.", "svc1.svc.cluster.local.", "svc1.cluster.local.", "svc1.",
            ])
        #expect(try SearchWalk.candidates(for: "svc1.", resolvConf: Self.conf, resolver: .glibc).map(\.description) == ["svc1."])
        // five dots reach ndots:5: as-is first (glibc then searches on; musl and BIND do not)
        #expect(
            try SearchWalk.candidates(for: "a.b.c.d.e.f", resolvConf: Self.conf, resolver: .glibc).map(\.description) == [
                "a.b.c.d.e.f.", "a.b.c.d.e.f.testns.svc.cluster.local.", "a.b.c.d.e.f.svc.cluster.local.", "a.b.c.d.e.f.cluster.local.",
            ])
        #expect(try SearchWalk.candidates(for: "a.b.c.d.e.f", resolvConf: Self.conf, resolver: .musl).map(\.description) == ["a.b.c.d.e.f."])
        #expect(try SearchWalk.candidates(for: "a.b.c.d.e.f", resolvConf: Self.conf, resolver: .bind).map(\.description) == ["a.b.c.d.e.f."])
        // four dots stay below ndots:5: search first, bare name last
        #expect(
            try SearchWalk.candidates(for: "a.b.c.d.e", resolvConf: Self.conf, resolver: .bind).map(\.description) == [
                "a.b.c.d.e.testns.svc.cluster.local.", "a.b.c.d.e.svc.cluster.local.", "a.b.c.d.e.cluster.local.", "a.b.c.d.e.",
            ])
        let rootSearch = ResolvConf(searches: ["kiada.svc.cluster.local", "."], options: [.init(name: "ndots", value: "5")])
        #expect(try SearchWalk.candidates(for: "x", resolvConf: rootSearch, resolver: .glibc).map(\.description) == ["x.kiada.svc.cluster.local.", "x."])
        #expect(throws: ClusterDNSError.self) { try SearchWalk.candidates(for: "", resolvConf: Self.conf, resolver: .glibc) }
    }

    @Test("glibc getaddrinfo: A+AAAA per candidate, stops at the first with an answer")
    func glibcFindsService() throws {
        var r = TestCluster.responder()
        let walk = try SearchWalk.walk("svc1", types: [.a, .aaaa], resolvConf: Self.conf, resolver: .glibc) { r.respond(to: $0) }
        #expect(Self.trace(walk) == ["svc1.testns.svc.cluster.local. A: NOERROR", "svc1.testns.svc.cluster.local. AAAA: NOERROR (NODATA)"])
        #expect(walk.failure == nil)
        #expect(walk.finalName == "svc1.testns.svc.cluster.local.")
    }

    @Test("glibc: NXDOMAIN through the list, then the bare name is REFUSED")
    func glibcMiss() throws {
        var r = TestCluster.responder()
        let walk = try SearchWalk.walk("nosuch", types: [.a], resolvConf: Self.conf, resolver: .glibc) { r.respond(to: $0) }
        #expect(
            Self.trace(walk) == [
                "nosuch.testns.svc.cluster.local. A: NXDOMAIN", "nosuch.svc.cluster.local. A: NXDOMAIN", "nosuch.cluster.local. A: NXDOMAIN",
                "nosuch. A: REFUSED",
            ])
        #expect(walk.failure == .noRecovery)
    }

    @Test("glibc: REFUSED on a search domain ends the list, the bare name is still tried")
    func glibcRefusedSearchDomain() throws {
        var r = TestCluster.responder()
        let conf = ResolvConf(searches: ["corp.example", "testns.svc.cluster.local"], options: [.init(name: "ndots", value: "5")])
        let walk = try SearchWalk.walk("svc1", types: [.a], resolvConf: conf, resolver: .glibc) { r.respond(to: $0) }
        #expect(Self.trace(walk) == ["svc1.corp.example. A: REFUSED", "svc1. A: REFUSED"])
    }

    @Test("glibc: SERVFAIL moves on")
    func glibcServFail() throws {
        let walk = try SearchWalk.walk("x", types: [.a], resolvConf: Self.conf, resolver: .glibc) { query in
            var reply = DNSMessage(header: DNSHeader(id: query.header.id, isResponse: true), questions: query.questions)
            reply.rcode = query.questions[0].name == "x.svc.cluster.local." ? .noError : .servFail
            if reply.rcode == .noError { reply.answers = [ResourceRecord(name: query.questions[0].name, ttl: 5, data: .a(IPv4Address(10, 0, 0, 1)))] }
            return reply
        }
        #expect(walk.exchanges.map(\.rcode) == [.servFail, .noError])
        #expect(walk.failure == nil)
        let musl = try SearchWalk.walk("x", types: [.a], resolvConf: Self.conf, resolver: .musl) { query in
            var reply = DNSMessage(header: DNSHeader(id: query.header.id, isResponse: true), questions: query.questions)
            reply.rcode = .servFail
            return reply
        }
        #expect(musl.exchanges.count == 1 && musl.failure == .tryAgain)
    }

    @Test("musl: NXDOMAIN on A moves on even if AAAA had addresses")
    func muslChecksAFirst() throws {
        let walk = try SearchWalk.walk("x", types: [.a, .aaaa], resolvConf: Self.conf, resolver: .musl) { query in
            var reply = DNSMessage(header: DNSHeader(id: query.header.id, isResponse: true), questions: query.questions)
            let first = query.questions[0].name == "x.testns.svc.cluster.local."
            if query.questions[0].type == .a {
                reply.rcode = first ? .nxDomain : .noError
                if !first { reply.answers = [ResourceRecord(name: query.questions[0].name, ttl: 5, data: .a(IPv4Address(10, 0, 0, 2)))] }
            } else {
                reply.answers = [ResourceRecord(name: query.questions[0].name, ttl: 5, data: .aaaa(IPv6Address("fd00::1")!))]
            }
            return reply
        }
        #expect(walk.exchanges.count == 4)
        #expect(walk.finalName == "x.svc.cluster.local." && walk.failure == nil)
    }

    @Test("musl: the search line is cut at 255 octets")
    func muslSearchBuffer() throws {
        let domains = (1...10).map { String(repeating: "d", count: 40) + "\($0).example" }
        let conf = ResolvConf(searches: domains, options: [.init(name: "ndots", value: "5")])
        let musl = try SearchWalk.candidates(for: "x", resolvConf: conf, resolver: .musl)
        let glibc = try SearchWalk.candidates(for: "x", resolvConf: conf, resolver: .glibc)
        #expect(musl.count < glibc.count)
    }

    @Test("BIND tools: only NXDOMAIN moves on; REFUSED stops at once")
    func bindWalk() throws {
        var r = TestCluster.responder()
        let conf = ResolvConf(searches: ["corp.example", "testns.svc.cluster.local"], options: [.init(name: "ndots", value: "5")])
        let walk = try SearchWalk.walk("svc1", types: [.a], resolvConf: conf, resolver: .bind) { r.respond(to: $0) }
        #expect(Self.trace(walk) == ["svc1.corp.example. A: REFUSED"])
        let nodata = try SearchWalk.walk(
            "testns", types: [.a],
            resolvConf: ResolvConf(searches: ["svc.cluster.local", "testns.svc.cluster.local"], options: [.init(name: "ndots", value: "5")]), resolver: .bind
        ) { r.respond(to: $0) }
        #expect(nodata.exchanges.count == 1 && nodata.failure == .noData)
    }
}
