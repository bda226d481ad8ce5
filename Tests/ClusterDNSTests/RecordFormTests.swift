import ClusterDNS
import ClusterModel
import DNSWire
import Testing

/// One positive case: question and the expected answer and additional sections as zone-file text.
struct PositiveCase: CustomTestStringConvertible, Sendable {
    let name: String
    let type: DNSType
    let answer: String
    var additional: String = ""
    var testDescription: String { "\(name) \(type)" }
}

@Suite("Record forms (k8s-dns.md 1.1)")
struct RecordFormTests {
    static let cases: [PositiveCase] = [
        // ClusterIP A/AAAA: every clusterIP of the family, endpoints irrelevant
        PositiveCase(name: "svc1.testns.svc.cluster.local.", type: .a, answer: "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"),
        PositiveCase(name: "svc-dual.testns.svc.cluster.local.", type: .a, answer: "svc-dual.testns.svc.cluster.local. 5 IN A 10.0.0.3"),
        PositiveCase(name: "svc-dual.testns.svc.cluster.local.", type: .aaaa, answer: "svc-dual.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1"),
        PositiveCase(name: "svc-noeps.testns.svc.cluster.local.", type: .a, answer: "svc-noeps.testns.svc.cluster.local. 5 IN A 10.0.0.5"),
        PositiveCase(name: "svc-noports.testns.svc.cluster.local.", type: .a, answer: "svc-noports.testns.svc.cluster.local. 5 IN A 10.0.0.8"),
        PositiveCase(name: "svc-v6.testns.svc.cluster.local.", type: .aaaa, answer: "svc-v6.testns.svc.cluster.local. 5 IN AAAA fd00:10:96::8"),
        // headless: one per distinct ready address across slices (172.0.0.3 twice, 172.0.0.4 not ready)
        PositiveCase(
            name: "hdls1.testns.svc.cluster.local.", type: .a,
            answer: """
                hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2
                hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3
                """),
        PositiveCase(name: "hdls1.testns.svc.cluster.local.", type: .aaaa, answer: "hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1"),
        PositiveCase(name: "hdls-noports.testns.svc.cluster.local.", type: .a, answer: "hdls-noports.testns.svc.cluster.local. 5 IN A 172.0.0.9"),
        PositiveCase(name: "hdls-v6only.testns.svc.cluster.local.", type: .aaaa, answer: "hdls-v6only.testns.svc.cluster.local. 5 IN AAAA 2001:db8::"),
        // endpoint names: hostname, dashed IPv4, dashed IPv6 (trailing 0), also under ClusterIP services
        PositiveCase(name: "web-0.hdls1.testns.svc.cluster.local.", type: .a, answer: "web-0.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2"),
        PositiveCase(name: "172-0-0-3.hdls1.testns.svc.cluster.local.", type: .a, answer: "172-0-0-3.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3"),
        PositiveCase(
            name: "5678-abcd--1.hdls1.testns.svc.cluster.local.", type: .aaaa, answer: "5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1"),
        PositiveCase(
            name: "2001-db8--0.hdls-v6only.testns.svc.cluster.local.", type: .aaaa,
            answer: "2001-db8--0.hdls-v6only.testns.svc.cluster.local. 5 IN AAAA 2001:db8::"),
        PositiveCase(name: "ep1a.svc1.testns.svc.cluster.local.", type: .a, answer: "ep1a.svc1.testns.svc.cluster.local. 5 IN A 172.0.0.1"),
        PositiveCase(
            name: "172-0-0-30.svc-dual.testns.svc.cluster.local.", type: .a, answer: "172-0-0-30.svc-dual.testns.svc.cluster.local. 5 IN A 172.0.0.30"),
        // SRV, ClusterIP: service port, target the service, A in additional
        PositiveCase(
            name: "_http._tcp.svc1.testns.svc.cluster.local.", type: .srv,
            answer: "_http._tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local.",
            additional: "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"),
        PositiveCase(
            name: "_dns._udp.svc-multi.testns.svc.cluster.local.", type: .srv,
            answer: "_dns._udp.svc-multi.testns.svc.cluster.local. 5 IN SRV 0 100 53 svc-multi.testns.svc.cluster.local.",
            additional: "svc-multi.testns.svc.cluster.local. 5 IN A 10.0.0.6"),
        // CoreDNS quirk: port and protocol labels work without underscores
        PositiveCase(
            name: "http.tcp.svc1.testns.svc.cluster.local.", type: .srv,
            answer: "http.tcp.svc1.testns.svc.cluster.local. 5 IN SRV 0 100 80 svc1.testns.svc.cluster.local.",
            additional: "svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"),
        // bare-name SRV: all ports, named or not, weight floor(100/3) = 33
        PositiveCase(
            name: "svc-multi.testns.svc.cluster.local.", type: .srv,
            answer: """
                svc-multi.testns.svc.cluster.local. 5 IN SRV 0 33 80 svc-multi.testns.svc.cluster.local.
                svc-multi.testns.svc.cluster.local. 5 IN SRV 0 33 443 svc-multi.testns.svc.cluster.local.
                svc-multi.testns.svc.cluster.local. 5 IN SRV 0 33 53 svc-multi.testns.svc.cluster.local.
                """, additional: "svc-multi.testns.svc.cluster.local. 5 IN A 10.0.0.6"),
        PositiveCase(
            name: "svc-unnamed.testns.svc.cluster.local.", type: .srv,
            answer: "svc-unnamed.testns.svc.cluster.local. 5 IN SRV 0 100 8080 svc-unnamed.testns.svc.cluster.local.",
            additional: "svc-unnamed.testns.svc.cluster.local. 5 IN A 10.0.0.7"),
        // dual-stack ClusterIP: two tuples, one record, weight 50, A and AAAA in additional
        PositiveCase(
            name: "_http._tcp.svc-dual.testns.svc.cluster.local.", type: .srv,
            answer: "_http._tcp.svc-dual.testns.svc.cluster.local. 5 IN SRV 0 50 80 svc-dual.testns.svc.cluster.local.",
            additional: """
                svc-dual.testns.svc.cluster.local. 5 IN A 10.0.0.3
                svc-dual.testns.svc.cluster.local. 5 IN AAAA 1234:abcd::1
                """),
        // SRV, headless: endpoint (target) port 8080, targets the endpoint names, N = 4 before dedup
        PositiveCase(
            name: "_http._tcp.hdls1.testns.svc.cluster.local.", type: .srv,
            answer: """
                _http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 25 8080 web-0.hdls1.testns.svc.cluster.local.
                _http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 25 8080 172-0-0-3.hdls1.testns.svc.cluster.local.
                _http._tcp.hdls1.testns.svc.cluster.local. 5 IN SRV 0 25 8080 5678-abcd--1.hdls1.testns.svc.cluster.local.
                """,
            additional: """
                web-0.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.2
                172-0-0-3.hdls1.testns.svc.cluster.local. 5 IN A 172.0.0.3
                5678-abcd--1.hdls1.testns.svc.cluster.local. 5 IN AAAA 5678:abcd::1
                """),
        PositiveCase(
            name: "hdls-many.testns.svc.cluster.local.", type: .srv,
            answer: (1...6).map { "hdls-many.testns.svc.cluster.local. 5 IN SRV 0 16 80 172-0-1-\($0).hdls-many.testns.svc.cluster.local." }.joined(
                separator: "\n"), additional: (1...6).map { "172-0-1-\($0).hdls-many.testns.svc.cluster.local. 5 IN A 172.0.1.\($0)" }.joined(separator: "\n")),
        // dual-stack pod without hostname: two names, one per family
        PositiveCase(
            name: "hdls-dual.testns.svc.cluster.local.", type: .srv,
            answer: """
                hdls-dual.testns.svc.cluster.local. 5 IN SRV 0 50 80 172-0-2-1.hdls-dual.testns.svc.cluster.local.
                hdls-dual.testns.svc.cluster.local. 5 IN SRV 0 50 80 fd00-244--1.hdls-dual.testns.svc.cluster.local.
                """,
            additional: """
                172-0-2-1.hdls-dual.testns.svc.cluster.local. 5 IN A 172.0.2.1
                fd00-244--1.hdls-dual.testns.svc.cluster.local. 5 IN AAAA fd00:244::1
                """),
        // selector-less slice with its own port name: bare SRV lists it
        PositiveCase(
            name: "hdls-manual.testns.svc.cluster.local.", type: .srv,
            answer: "hdls-manual.testns.svc.cluster.local. 5 IN SRV 0 100 80 172-0-3-1.hdls-manual.testns.svc.cluster.local.",
            additional: "172-0-3-1.hdls-manual.testns.svc.cluster.local. 5 IN A 172.0.3.1"),
        // CoreDNS quirk: A on an SRV owner name gives the service addresses
        PositiveCase(name: "_http._tcp.svc1.testns.svc.cluster.local.", type: .a, answer: "_http._tcp.svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1"),
        // PTR: cluster IP (one, the service), endpoint addresses (one per service holding it)
        PositiveCase(name: "1.0.0.10.in-addr.arpa.", type: .ptr, answer: "1.0.0.10.in-addr.arpa. 5 IN PTR svc1.testns.svc.cluster.local."),
        PositiveCase(name: "2.0.0.172.in-addr.arpa.", type: .ptr, answer: "2.0.0.172.in-addr.arpa. 5 IN PTR web-0.hdls1.testns.svc.cluster.local."),
        PositiveCase(name: "3.0.0.172.in-addr.arpa.", type: .ptr, answer: "3.0.0.172.in-addr.arpa. 5 IN PTR 172-0-0-3.hdls1.testns.svc.cluster.local."),
        PositiveCase(name: "1.0.0.172.in-addr.arpa.", type: .ptr, answer: "1.0.0.172.in-addr.arpa. 5 IN PTR ep1a.svc1.testns.svc.cluster.local."),
        PositiveCase(
            name: "20.0.0.172.in-addr.arpa.", type: .ptr,
            answer: """
                20.0.0.172.in-addr.arpa. 5 IN PTR double-ep.svc-a.testns.svc.cluster.local.
                20.0.0.172.in-addr.arpa. 5 IN PTR double-ep.svc-b.testns.svc.cluster.local.
                """),
        PositiveCase(
            name: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.", type: .ptr,
            answer: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa. 5 IN PTR svc-dual.testns.svc.cluster.local."),
        PositiveCase(
            name: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.7.6.5.ip6.arpa.", type: .ptr,
            answer: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.7.6.5.ip6.arpa. 5 IN PTR 5678-abcd--1.hdls1.testns.svc.cluster.local."),
        // ExternalName: CNAME for A/AAAA/CNAME; in-zone targets resolved and appended
        PositiveCase(name: "external.testns.svc.cluster.local.", type: .a, answer: "external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."),
        PositiveCase(name: "external.testns.svc.cluster.local.", type: .aaaa, answer: "external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."),
        PositiveCase(name: "external.testns.svc.cluster.local.", type: .cname, answer: "external.testns.svc.cluster.local. 5 IN CNAME ext.interwebs.test."),
        PositiveCase(
            name: "external-to-service.testns.svc.cluster.local.", type: .a,
            answer: """
                external-to-service.testns.svc.cluster.local. 5 IN CNAME svc1.testns.svc.cluster.local.
                svc1.testns.svc.cluster.local. 5 IN A 10.0.0.1
                """),
        // schema version, apex NS with glue, SOA, ns.dns
        PositiveCase(name: "dns-version.cluster.local.", type: .txt, answer: "dns-version.cluster.local. 28800 IN TXT \"1.1.0\""),
        PositiveCase(
            name: "cluster.local.", type: .ns, answer: "cluster.local. 5 IN NS kube-dns.kube-system.svc.cluster.local.",
            additional: "kube-dns.kube-system.svc.cluster.local. 5 IN A 10.96.0.10"),
        PositiveCase(name: "cluster.local.", type: .soa, answer: soa()),
        PositiveCase(name: "ns.dns.cluster.local.", type: .a, answer: "ns.dns.cluster.local. 5 IN A 10.96.0.10"),
        // case: owners echo the query, SRV targets lowercase objects + the query's zone spelling
        PositiveCase(
            name: "_HTTP._TCP.SvC1.TestNS.SVC.ClUsTeR.LoCaL.", type: .srv,
            answer: "_HTTP._TCP.SvC1.TestNS.SVC.ClUsTeR.LoCaL. 5 IN SRV 0 100 80 svc1.testns.svc.ClUsTeR.LoCaL.",
            additional: "svc1.testns.svc.ClUsTeR.LoCaL. 5 IN A 10.0.0.1"),
        PositiveCase(name: "SVC1.testns.svc.cluster.LOCAL.", type: .a, answer: "SVC1.testns.svc.cluster.LOCAL. 5 IN A 10.0.0.1"),
        PositiveCase(name: "1.0.0.10.IN-ADDR.ARPA.", type: .ptr, answer: "1.0.0.10.IN-ADDR.ARPA. 5 IN PTR svc1.testns.svc.cluster.local."),
        PositiveCase(
            name: "ClUsTeR.lOcAl.", type: .soa, answer: "ClUsTeR.lOcAl. 5 IN SOA ns.dns.ClUsTeR.lOcAl. hostmaster.ClUsTeR.lOcAl. 1700000000 7200 1800 86400 5"),
    ]

    @Test("positive answers", arguments: cases)
    func positive(_ c: PositiveCase) throws {
        var responder = TestCluster.responder()
        let reply = try ask(&responder, c.name, c.type)
        #expect(reply.rcode == .noError)
        #expect(reply.header.authoritative)
        #expect(!reply.header.recursionAvailable)
        #expect(reply.header.isResponse)
        #expect(reply.header.id == 4242)
        let asked = try DNSName(c.name)
        #expect(reply.questions.count == 1 && reply.questions[0].name.isIdentical(to: asked))
        try expectRecords(reply.answers, c.answer, "answer")
        try expectRecords(reply.additional, c.additional, "additional")
        #expect(reply.authority.isEmpty)
    }
}
