import DNSWire
import Testing

/// Presentation: messages print like dig (checked against dig's own printout of the same octets),
/// and every record's text parses back to an equal record.
struct PresentationTests {
    static func normalized(_ line: Substring) -> String {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// dig's lines from the header to the end of the last section, blank lines dropped.
    static func digLines(_ output: String) -> [String] {
        var lines: [String] = []
        var inside = false
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(";; ->>HEADER<<-") { inside = true }
            if line.hasPrefix(";; Query time:") { break }
            if inside && !line.trimmingPrefix(" ").isEmpty { lines.append(normalized(line)) }
        }
        return lines
    }

    @Test(arguments: PeerFixtures.digCases)
    func messagePrintsLikeDig(digCase: String) throws {
        let response = try DNSMessage(wireFormat: PeerFixtures.bytes(digCase + ".response.hex"))
        let expected = Self.digLines(try PeerFixtures.text(digCase + ".dig"))
        #expect(expected.count >= 5)
        let ours = response.description.split(separator: "\n").filter { !$0.isEmpty }.map(Self.normalized)
        #expect(ours == expected)
        // the record lines alone, which is what scenario expectations compare
        let answerLines = response.answers.map { Self.normalized($0.digLine[...]) }
        #expect(answerLines.allSatisfy(expected.contains))
    }

    @Test func digLineUsesBINDColumns() throws {
        let record = try ZoneFileParser.record("quote.kiada.svc.cluster.local. 30 IN A 10.96.161.97")
        #expect(record.digLine == "quote.kiada.svc.cluster.local. 30 IN\tA\t10.96.161.97")
        let short = try ZoneFileParser.record("cluster.local. 5 IN NS ns.dns.cluster.local.")
        #expect(short.digLine == "cluster.local.\t\t5\tIN\tNS\tns.dns.cluster.local.")
        #expect(short.description == "cluster.local. 5 IN NS ns.dns.cluster.local.")
    }

    /// Records whose text is unusual: escapes, empty strings, other classes, opaque types, OPT.
    static let unusualRecords: [ResourceRecord] = [
        ResourceRecord(name: #"we\.ird\032label.k8s."#, ttl: 5, data: .a(IPv4Address(10, 244, 0, 1))),
        ResourceRecord(name: "k8s.", ttl: 0, data: .txt([[], Array(#"quote " and \ backslash; (paren)"#.utf8), [0, 9, 127, 200, 255]])),
        ResourceRecord(name: "k8s.", ttl: 1, data: .txt([])),
        ResourceRecord(name: "version.bind.", rrClass: .chaos, ttl: 0, data: .txt([Array("9.18".utf8)])),
        ResourceRecord(name: "k8s.", rrClass: DNSClass(4660), ttl: 4_294_967_295, data: .unknown(type: DNSType(4660), rdata: [])),
        ResourceRecord(name: "k8s.", ttl: 7, data: .unknown(type: .caa, rdata: Array("\0\u{5}issueca.example".utf8))),
        ResourceRecord(name: "k8s.", ttl: 7, data: .aaaa(IPv6Address("::ffff:10.96.0.1")!)),
        ResourceRecord(name: "k8s.", ttl: 7, data: .aaaa(IPv6Address("::")!)),
        ResourceRecord(name: "k8s.", ttl: 7, data: .aaaa(IPv6Address("2001:db8:0:1:1:1:1:1")!)),
        ResourceRecord(name: "k8s.", ttl: 7, data: .srv(SRV(priority: 65535, weight: 0, port: 53, target: .root))),
        ResourceRecord(name: "k8s.", ttl: 7, data: .mx(preference: 0, exchange: .root)),
        EDNS(udpPayloadSize: 1232, extendedRCode: 1, version: 0, dnssecOK: true, options: [EDNSOption(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])]).record,
        EDNS(udpPayloadSize: 512).record,
    ]

    static var everyRecord: [ResourceRecord] {
        Samples.everyType.answers + Samples.everyType.additional + Samples.headlessAnswer.answers + Samples.nxdomain.authority + unusualRecords
    }

    @Test func everyTypeRoundTripsThroughText() throws {
        let records = Self.everyRecord
        #expect(Set(records.map(\.type)).isSuperset(of: [.a, .aaaa, .ns, .cname, .ptr, .soa, .srv, .txt, .mx, .opt, DNSType(65280)]))
        for record in records {
            for text in [record.description, record.digLine] {
                let parsed = try ZoneFileParser.record(text)
                #expect(parsed == record, "\(text)")
                #expect(parsed.name.isIdentical(to: record.name), "\(text)")
            }
        }
        // a whole zone of them, one per line, parses back in order
        let zone = records.map(\.description).joined(separator: "\n")
        #expect(try ZoneFileParser().parse(zone) == records)
    }

    @Test func genericFormOfAKnownTypeParsesToTypedData() throws {
        #expect(try ZoneFileParser.record(##"k8s. 5 IN A \# 4 0af40209"##).data == .a(IPv4Address(10, 244, 2, 9)))
        #expect(try ZoneFileParser.record(##"k8s. 5 IN TYPE1 \# 4 0AF40209"##).data == .a(IPv4Address(10, 244, 2, 9)))
        expectWireError(.badPresentation, at: 1) { _ = try ZoneFileParser.record(##"k8s. 5 IN A \# 3 0af402"##) }
    }

    @Test func zoneFileFeatures() throws {
        let text = """
            $ORIGIN kiada.svc.cluster.local.
            $TTL 30
            quote IN A 10.96.161.97 ; the service
                  AAAA fd00:10:96::a1
            @ 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. (
                    1700000000 ; serial
                    7200 1800 86400 5 )
            txt TXT "a;b" "c\\"d"
            """
        let records = try ZoneFileParser().parse(text)
        #expect(records.count == 4)
        #expect(records[1].name == "quote.kiada.svc.cluster.local." && records[1].ttl == 30)
        #expect(records[2].name == "kiada.svc.cluster.local.")
        #expect(records[3].data == .txt([Array("a;b".utf8), Array(#"c"d"#.utf8)]))
        expectWireError(.badPresentation, at: 2) { _ = try ZoneFileParser().parse("k8s. 5 IN A 1.2.3.4\nk8s. 5 IN A 1.2.3") }
        expectWireError(.badPresentation, at: 1) { _ = try ZoneFileParser().parse("k8s. 5 IN A (1.2.3.4") }
    }

    @Test func ipv6PrintsLikeDigAndDnspython() {
        #expect(IPv6Address("::ffff:10.96.161.97")?.description == "::ffff:10.96.161.97")
        #expect(IPv6Address("::10.96.161.97")?.description == "::10.96.161.97")
        #expect(IPv6Address("::1")?.description == "::1")
        #expect(IPv6Address("fd00:10:96::a1")?.description == "fd00:10:96::a1")
        #expect(IPv6Address("1:0:0:1:0:0:0:1")?.description == "1:0:0:1::1")
        #expect(IPv6Address("1:0:1:1:1:1:1:1")?.description == "1:0:1:1:1:1:1:1")
    }
}
