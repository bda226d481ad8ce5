import ClusterDNS
import ClusterModel
import DNSWire
import Testing

/// The places where kubetape follows CoreDNS's source rather than k8s-dns.md (docs/cluster-dns.md).
@Suite("Differences from k8s-dns.md")
struct DifferencesTests {
    @Test("1. ExternalName to a missing in-zone target: NODATA, the CNAME is dropped")
    func externalNameMissingInZoneTarget() throws {
        var r = TestCluster.responder()
        let reply = try ask(&r, "external-missing.testns.svc.cluster.local.", .a)
        #expect(reply.rcode == .noError && reply.answers.isEmpty)
        try expectRecords(reply.authority, soa(), "SOA")
        // the CNAME query itself still gets the CNAME
        try expectRecords(
            try ask(&r, "external-missing.testns.svc.cluster.local.", .cname).answers,
            "external-missing.testns.svc.cluster.local. 5 IN CNAME nosuch.testns.svc.cluster.local.", "CNAME")
    }

    @Test("2. _port._proto under an ExternalName: A gets the CNAME, SRV is NODATA")
    func portLabelsUnderExternalName() throws {
        var r = TestCluster.responder()
        try expectRecords(
            try ask(&r, "_http._tcp.external.testns.svc.cluster.local.", .a).answers,
            "_http._tcp.external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test.", "A")
        let srv = try ask(&r, "_http._tcp.external.testns.svc.cluster.local.", .srv)
        #expect(srv.rcode == .noError && srv.answers.isEmpty)
    }

    @Test("3. reverse names with other types, partial reverse names: NXDOMAIN; reverse apex NODATA")
    func reverseNamesOtherTypes() throws {
        var r = TestCluster.responder()
        #expect(try ask(&r, "1.0.0.10.in-addr.arpa.", .a).rcode == .nxDomain)
        #expect(try ask(&r, "1.0.0.10.in-addr.arpa.", .txt).rcode == .nxDomain)
        #expect(try ask(&r, "0.10.in-addr.arpa.", .ptr).rcode == .nxDomain)
        #expect(try ask(&r, "in-addr.arpa.", .a).rcode == .noError)
        #expect(try ask(&r, "ip6.arpa.", .ptr).rcode == .noError)
    }

    @Test("4. pods insecure: extra labels in front of the dashed address are ignored")
    func podNamesWithExtraLabels() throws {
        var options = TestCluster.options
        options.pods = .insecure
        var r = TestCluster.responder(options)
        try expectRecords(
            try ask(&r, "x.1-2-3-4.testns.pod.cluster.local.", .a).answers, "x.1-2-3-4.testns.pod.cluster.local. 5 IN A 1.2.3.4", "endpoint label")
        #expect(try ask(&r, "a.b.c.1-2-3-4.testns.pod.cluster.local.", .a).rcode == .nxDomain)
    }

    @Test("5. SRV weight counts the sentinel port of portless slices")
    func weightCountsSentinelPorts() throws {
        var cluster = TestCluster.cluster
        cluster.services.append(TestCluster.headless("mixed"))
        cluster.endpointSlices.append(TestCluster.slice("mixed-a", service: "mixed", endpoints: [Endpoint(addresses: [TestCluster.ip("172.9.0.1")])]))
        cluster.endpointSlices.append(
            TestCluster.slice("mixed-b", service: "mixed", endpoints: [Endpoint(addresses: [TestCluster.ip("172.9.0.2")])], ports: []))
        var r = TestCluster.responder(cluster: cluster)
        try expectRecords(
            try ask(&r, "mixed.testns.svc.cluster.local.", .srv).answers,
            "mixed.testns.svc.cluster.local. 5 IN SRV 0 50 80 172-9-0-1.mixed.testns.svc.cluster.local.", "N = 2")
    }

    @Test("6. NS at a reverse-zone apex names the server under that zone")
    func nsAtReverseApex() throws {
        var r = TestCluster.responder()
        let reply = try ask(&r, "in-addr.arpa.", .ns)
        try expectRecords(reply.answers, "in-addr.arpa. 5 IN NS kube-dns.kube-system.svc.in-addr.arpa.", "NS")
        try expectRecords(reply.additional, "kube-dns.kube-system.svc.in-addr.arpa. 5 IN A 10.96.0.10", "glue")
    }

    @Test("7. without a Service on the DNS IP, NS falls back to ns.dns.<zone>")
    func nsFallback() throws {
        var cluster = TestCluster.cluster
        cluster.services.removeAll { $0.meta.name == "kube-dns" }
        var r = TestCluster.responder(cluster: cluster)
        let reply = try ask(&r, "cluster.local.", .ns)
        try expectRecords(reply.answers, "cluster.local. 5 IN NS ns.dns.cluster.local.", "NS")
        try expectRecords(reply.additional, "ns.dns.cluster.local. 5 IN A 10.96.0.10", "glue")
    }

    @Test("9. glibc tries the bare name after REFUSED ends the search list")
    func glibcBareNameAfterRefused() throws {
        var r = TestCluster.responder()
        let conf = ResolvConf(searches: ["corp.example", "testns.svc.cluster.local"], options: [.init(name: "ndots", value: "1")])
        // 0 dots < ndots 1: search list, REFUSED at corp.example, then the bare name
        let walk = try SearchWalk.walk("svc1", types: [.a], resolvConf: conf, resolver: .glibc) { r.respond(to: $0) }
        #expect(walk.exchanges.map { $0.name.description } == ["svc1.corp.example.", "svc1."])
    }

    @Test("10. BIND tools with dots ≥ ndots try only the name as given")
    func bindAsIsOnly() throws {
        let conf = ResolvConf(searches: ["kiada.svc.cluster.local"], options: [.init(name: "ndots", value: "1")])
        #expect(try SearchWalk.candidates(for: "quote.kiada", resolvConf: conf, resolver: .bind).map(\.description) == ["quote.kiada."])
        #expect(
            try SearchWalk.candidates(for: "quote.kiada", resolvConf: conf, resolver: .glibc).map(\.description) == [
                "quote.kiada.", "quote.kiada.kiada.svc.cluster.local.",
            ])
    }

    @Test("13. a namespace exists when objects live in it, even without a Namespace object")
    func implicitNamespaces() throws {
        var cluster = TestCluster.cluster
        cluster.namespaces.remove("testns")
        var r = TestCluster.responder(cluster: cluster)
        #expect(try ask(&r, "testns.svc.cluster.local.", .a).rcode == .noError)
        #expect(try ask(&r, "svc1.testns.svc.cluster.local.", .a).answers.count == 1)
    }
}

@Suite("Reverse-name parsing")
struct ReverseNameTests {
    @Test(
        "only complete, strictly decimal IPv4 reverse names (and 32-nibble IPv6 ones) are addresses",
        arguments: [
            ("1.0.0.10.in-addr.arpa.", true),
            ("01.0.0.10.in-addr.arpa.", false),
            ("256.0.0.10.in-addr.arpa.", false),
            ("x.0.0.10.in-addr.arpa.", false),
            ("1.1.0.0.10.in-addr.arpa.", false),
            ("0.0.10.in-addr.arpa.", false),
            ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.", true),
            ("10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.", false),
            ("0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.", false),
        ])
    func parse(_ name: String, _ isAddress: Bool) throws {
        var r = TestCluster.responder()
        let reply = try ask(&r, name, .ptr)
        // an address that matches nothing and a malformed name are both NXDOMAIN; only the
        // known addresses answer
        if isAddress {
            #expect(reply.rcode == .noError && reply.answers.count == 1)
        } else {
            #expect(reply.rcode == .nxDomain)
        }
    }
}
