import ClusterDNS
import ClusterModel
import DNSWire
import Testing

/// One negative case: NXDOMAIN or NODATA (NOERROR, empty answer), SOA of `zone` in authority.
struct NegativeCase: CustomTestStringConvertible, Sendable {
    let name: String
    let type: DNSType
    let rcode: DNSRCode
    var zone: String = "cluster.local."
    var testDescription: String { "\(name) \(type) → \(rcode == .noError ? "NODATA" : rcode.description)" }
}

private let nx = DNSRCode.nxDomain
private let nodata = DNSRCode.noError

@Suite("NXDOMAIN vs NODATA (k8s-dns.md 3.4)")
struct NegativeAnswerTests {
    static let cases: [NegativeCase] = [
        // headless without ready endpoints: every name under it is NXDOMAIN
        NegativeCase(name: "hdls-notready.testns.svc.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "hdls-notready.testns.svc.cluster.local.", type: .srv, rcode: nx),
        NegativeCase(name: "_http._tcp.hdls-notready.testns.svc.cluster.local.", type: .srv, rcode: nx),
        NegativeCase(name: "172-0-0-40.hdls-notready.testns.svc.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "172-0-0-4.hdls1.testns.svc.cluster.local.", type: .a, rcode: nx),
        // existing names, no data of the type
        NegativeCase(name: "svc1.testns.svc.cluster.local.", type: .aaaa, rcode: nodata),
        NegativeCase(name: "hdls-v6only.testns.svc.cluster.local.", type: .a, rcode: nodata),
        NegativeCase(name: "svc1.testns.svc.cluster.local.", type: .txt, rcode: nodata),
        NegativeCase(name: "svc1.testns.svc.cluster.local.", type: .mx, rcode: nodata),
        NegativeCase(name: "svc1.testns.svc.cluster.local.", type: .ptr, rcode: nodata),
        NegativeCase(name: "svc1.testns.svc.cluster.local.", type: .cname, rcode: nodata),
        NegativeCase(name: "svc1.testns.svc.cluster.local.", type: .ns, rcode: nodata),
        NegativeCase(name: "svc1.testns.svc.cluster.local.", type: .hinfo, rcode: nodata),
        NegativeCase(name: "svc1.testns.svc.cluster.local.", type: .any, rcode: nodata),
        NegativeCase(name: "svc1.testns.svc.cluster.local.", type: .soa, rcode: nodata),
        NegativeCase(name: "web-0.hdls1.testns.svc.cluster.local.", type: .aaaa, rcode: nodata),
        // apex, svc., pod., namespaces: NODATA, TXT NXDOMAIN
        NegativeCase(name: "cluster.local.", type: .a, rcode: nodata),
        NegativeCase(name: "cluster.local.", type: .srv, rcode: nodata),
        NegativeCase(name: "cluster.local.", type: .hinfo, rcode: nodata),
        NegativeCase(name: "cluster.local.", type: .txt, rcode: nx),
        NegativeCase(name: "svc.cluster.local.", type: .a, rcode: nodata),
        NegativeCase(name: "svc.cluster.local.", type: .txt, rcode: nx),
        NegativeCase(name: "pod.cluster.local.", type: .a, rcode: nodata),
        NegativeCase(name: "pod.cluster.local.", type: .txt, rcode: nx),
        NegativeCase(name: "testns.svc.cluster.local.", type: .a, rcode: nodata),
        NegativeCase(name: "testns.svc.cluster.local.", type: .txt, rcode: nx),
        NegativeCase(name: "empty-ns.svc.cluster.local.", type: .a, rcode: nodata),
        NegativeCase(name: "nosuchns.svc.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "svc1.nosuchns.svc.cluster.local.", type: .a, rcode: nx),
        // other names directly under the zone, dns-version for other types
        NegativeCase(name: "foo.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "dns.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "dns-version.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "dns-version.cluster.local.", type: .srv, rcode: nx),
        NegativeCase(name: "ns.dns.cluster.local.", type: .aaaa, rcode: nodata),
        // non-existent services, empty non-terminals, ports, too long
        NegativeCase(name: "nosuch.testns.svc.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "nosuch.testns.svc.cluster.local.", type: .any, rcode: nx),
        NegativeCase(name: "_tcp.svc1.testns.svc.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "_tcp.svc1.testns.svc.cluster.local.", type: .srv, rcode: nx),
        NegativeCase(name: "_foo._tcp.svc1.testns.svc.cluster.local.", type: .srv, rcode: nx),
        NegativeCase(name: "_http._udp.svc1.testns.svc.cluster.local.", type: .srv, rcode: nx),
        NegativeCase(name: "a.b.c.svc1.testns.svc.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "_http._tcp.web-0.hdls1.testns.svc.cluster.local.", type: .srv, rcode: nx),
        NegativeCase(name: "_http._tcp.hdls-manual.testns.svc.cluster.local.", type: .srv, rcode: nx),
        NegativeCase(name: "hdls-noports.testns.svc.cluster.local.", type: .srv, rcode: nodata),
        NegativeCase(name: "_http._tcp.hdls-noports.testns.svc.cluster.local.", type: .srv, rcode: nx),
        NegativeCase(name: "svc-noports.testns.svc.cluster.local.", type: .srv, rcode: nodata),
        NegativeCase(name: "_http._tcp.svc-noports.testns.svc.cluster.local.", type: .srv, rcode: nx),
        // SOA queries are never NXDOMAIN
        NegativeCase(name: "nosuch.testns.svc.cluster.local.", type: .soa, rcode: nodata),
        NegativeCase(name: "foo.bar.cluster.local.", type: .soa, rcode: nodata),
        // wildcards are ordinary labels since CoreDNS 1.9
        NegativeCase(name: "*.testns.svc.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "any.testns.svc.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "*.svc1.testns.svc.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "svc1.*.svc.cluster.local.", type: .a, rcode: nx),
        // ExternalName
        NegativeCase(name: "external.testns.svc.cluster.local.", type: .txt, rcode: nodata),
        NegativeCase(name: "external.testns.svc.cluster.local.", type: .srv, rcode: nodata),
        NegativeCase(name: "external.testns.svc.cluster.local.", type: .mx, rcode: nodata),
        NegativeCase(name: "x.external.testns.svc.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "external-ip.testns.svc.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "external-missing.testns.svc.cluster.local.", type: .a, rcode: nodata),
        // reverse: misses carry the reverse zone's SOA; empty non-terminals NXDOMAIN
        NegativeCase(name: "99.0.0.10.in-addr.arpa.", type: .ptr, rcode: nx, zone: "in-addr.arpa."),
        NegativeCase(name: "4.0.0.172.in-addr.arpa.", type: .ptr, rcode: nx, zone: "in-addr.arpa."),
        NegativeCase(name: "10.in-addr.arpa.", type: .ptr, rcode: nx, zone: "in-addr.arpa."),
        NegativeCase(name: "in-addr.arpa.", type: .ptr, rcode: nodata, zone: "in-addr.arpa."),
        NegativeCase(name: "1.0.0.10.in-addr.arpa.", type: .a, rcode: nx, zone: "in-addr.arpa."),
        NegativeCase(name: "svc1.testns.svc.0.10.in-addr.arpa.", type: .ptr, rcode: nx, zone: "in-addr.arpa."),
        NegativeCase(name: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.", type: .ptr, rcode: nx, zone: "ip6.arpa."),
        // pods disabled (the default)
        NegativeCase(name: "1-2-3-4.testns.pod.cluster.local.", type: .a, rcode: nx),
        NegativeCase(name: "testns.pod.cluster.local.", type: .a, rcode: nx),
    ]

    @Test("negative answers", arguments: cases)
    func negative(_ c: NegativeCase) throws {
        var responder = TestCluster.responder()
        let reply = try ask(&responder, c.name, c.type)
        #expect(reply.rcode == c.rcode)
        #expect(reply.header.authoritative)
        #expect(reply.answers.isEmpty)
        #expect(reply.additional.isEmpty)
        try expectRecords(reply.authority, soa(c.zone), "authority")
    }

    @Test("AXFR and IXFR are REFUSED, not authoritative", arguments: [DNSType.axfr, .ixfr])
    func transfers(_ type: DNSType) throws {
        var responder = TestCluster.responder()
        let reply = try ask(&responder, "cluster.local.", type)
        #expect(reply.rcode == .refused)
        #expect(!reply.header.authoritative)
        #expect(reply.answers.isEmpty && reply.authority.isEmpty)
        #expect(reply.questions.count == 1)
    }
}
