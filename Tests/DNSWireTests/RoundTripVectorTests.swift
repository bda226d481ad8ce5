import DNSWire
import NIOCore
import Testing

/// Hand-checked wire vectors: one record of every type, EDNS0, and compression, each encoded to
/// exactly the expected octets and decoded back to an equal message.
struct RoundTripVectorTests {
    struct Vector: CustomTestStringConvertible, Sendable {
        var label: String
        var record: String
        /// The answer record's RDLENGTH and RDATA in hex.
        var rdata: String
        var testDescription: String { label }
    }

    // Every vector: id abcd, flags qr aa, question `k8s. IN <type>` at offset 12, one answer owned
    // by `k8s.` (a pointer to 12), TTL 60, RDATA starting at offset 33.
    static let vectors: [Vector] = [
        Vector(label: "A", record: "k8s. 60 IN A 10.244.2.9", rdata: "0004 0af40209"),
        Vector(label: "AAAA", record: "k8s. 60 IN AAAA fd00:10:96::a1", rdata: "0010 fd00 0010 0096 0000 0000 0000 0000 00a1"),
        Vector(label: "NS", record: "k8s. 60 IN NS ns.k8s.", rdata: "0005 026e73 c00c"),
        Vector(label: "CNAME", record: "k8s. 60 IN CNAME www.k8s.", rdata: "0006 03777777 c00c"),
        Vector(label: "PTR", record: "k8s. 60 IN PTR pod.k8s.", rdata: "0006 03706f64 c00c"),
        Vector(
            label: "SOA", record: "k8s. 60 IN SOA ns.k8s. ns.k8s. 1700000000 7200 1800 86400 5",
            rdata: "001b 026e73c00c c021 6553f100 00001c20 00000708 00015180 00000005"),
        // the SRV target is never compressed, even though k8s. is in the table
        Vector(label: "SRV", record: "k8s. 60 IN SRV 0 50 80 pod.k8s.", rdata: "000f 0000 0032 0050 03706f64 036b3873 00"),
        Vector(
            label: "TXT several strings", record: ##"k8s. 60 IN TXT "v=1" "hello world" "" "\"q\"\\\200""##,
            rdata: "0017 03763d31 0b68656c6c6f20776f726c64 00 052271225cc8"),
        Vector(label: "MX", record: "k8s. 60 IN MX 10 mail.k8s.", rdata: "0009 000a 046d61696c c00c"),
        Vector(label: "unknown type kept opaque (RFC 3597)", record: ##"k8s. 60 IN TYPE65280 \# 6 0102DEADBEEF"##, rdata: "0006 0102deadbeef"),
        Vector(label: "unknown type, empty RDATA", record: ##"k8s. 60 IN TYPE4660 \# 0"##, rdata: "0000"),
    ]

    static func expectedMessage(_ vector: Vector) throws -> (DNSMessage, [UInt8]) {
        let record = try ZoneFileParser.record(vector.record)
        let message = DNSMessage(
            header: DNSHeader(id: 0xabcd, isResponse: true, authoritative: true),
            questions: [DNSQuestion(name: "k8s.", type: record.type)], answers: [record])
        let type = String(record.type.rawValue, radix: 16)
        let typeHex = String(repeating: "0", count: 4 - type.count) + type
        let hex = "abcd 8400 0001 0001 0000 0000 036b387300 \(typeHex) 0001" + " c00c \(typeHex) 0001 0000003c " + vector.rdata
        return (message, Hex.bytes(hex))
    }

    @Test(arguments: vectors)
    func encodesToExactOctetsAndDecodesBack(vector: Vector) throws {
        let (message, expected) = try Self.expectedMessage(vector)
        let wire = try message.wireBytes()
        #expect(Hex.string(wire) == Hex.string(expected))
        let decoded = try DNSMessage(wireFormat: expected)
        #expect(decoded == message)
        #expect(decoded.answers[0].data == message.answers[0].data)
        // ByteBuffer path: write after existing bytes must not shift pointer offsets
        var buffer = ByteBuffer(bytes: [0xff, 0xff])
        try message.write(into: &buffer)
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(try DNSMessage(wireFormat: buffer) == message)
    }

    @Test func ednsWithOptionsDOVersionAndExtendedRCode() throws {
        var message = DNSMessage(header: DNSHeader(id: 0xabcd, isResponse: true), questions: [DNSQuestion(name: "k8s.", type: .a)])
        message.edns = EDNS(
            udpPayloadSize: 4096, extendedRCode: 0, version: 0, dnssecOK: true,
            options: [EDNSOption(code: EDNSOption.nsid, data: []), EDNSOption(code: EDNSOption.cookie, data: [1, 2, 3, 4, 5, 6, 7, 8])])
        message.rcode = .badCookie  // 23: low 4 bits 7 in the header, 1 in the OPT TTL
        #expect(message.header.rcodeLow == 7)
        #expect(message.edns?.extendedRCode == 1)
        let expected = Hex.bytes(
            "abcd 8007 0001 0000 0000 0001 036b387300 0001 0001" + " 00 0029 1000 01 00 8000 0010 0003 0000 000a 0008 0102030405060708")
        #expect(Hex.string(try message.wireBytes()) == Hex.string(expected))
        let decoded = try DNSMessage(wireFormat: expected)
        #expect(decoded == message)
        #expect(decoded.rcode == .badCookie)
        #expect(decoded.edns?.dnssecOK == true)
        #expect(decoded.edns?.options.count == 2)

        // version and the other flag bits survive too
        var other = DNSMessage(header: DNSHeader(id: 1))
        other.edns = EDNS(udpPayloadSize: 512, extendedRCode: 0xff, version: 1, dnssecOK: false, otherFlags: 0x1234)
        let otherWire = try other.wireBytes()
        #expect(Array(otherWire.suffix(11)) == [0, 0, 41, 0x02, 0x00, 0xff, 0x01, 0x12, 0x34, 0, 0])
        #expect(try DNSMessage(wireFormat: otherWire).edns == other.edns)
        #expect(try DNSMessage(wireFormat: otherWire).rcode == DNSRCode(0xff0))
    }

    /// Every name written enters the compression table, including an SRV target, which is
    /// itself never compressed: the later additional owner points into the target.
    @Test func laterOwnerPointsIntoSRVTarget() throws {
        let service: DNSName = "_http._tcp.quote-headless.kiada.svc.cluster.local."
        let target: DNSName = "10-244-2-9.quote-headless.kiada.svc.cluster.local."
        let message = DNSMessage(
            header: DNSHeader(id: 1, isResponse: true, authoritative: true),
            questions: [DNSQuestion(name: service, type: .srv)],
            answers: [ResourceRecord(name: service, ttl: 5, data: .srv(SRV(priority: 0, weight: 50, port: 80, target: target)))],
            additional: [ResourceRecord(name: target, ttl: 5, data: .a(IPv4Address(10, 244, 2, 9)))])
        let expected = Hex.bytes(
            """
            0001 8400 0001 0001 0000 0001
            055f68747470 045f746370 0e71756f74652d686561646c657373 056b69616461 03737663 07636c7573746572 056c6f63616c 00
            0021 0001
            c00c 0021 0001 00000005 0039 0000 0032 0050
            0a31302d3234342d322d39 0e71756f74652d686561646c657373 056b69616461 03737663 07636c7573746572 056c6f63616c 00
            c055 0001 0001 00000005 0004 0af40209
            """)
        #expect(Hex.string(try message.wireBytes()) == Hex.string(expected))
        #expect(try DNSMessage(wireFormat: expected) == message)
    }

    /// Compression matches octet for octet, so names that differ only in case keep their case.
    @Test func compressionPreservesCase() throws {
        let message = DNSMessage(
            header: DNSHeader(id: 2, isResponse: true),
            questions: [DNSQuestion(name: "Quote.K8s.", type: .a)],
            answers: [
                ResourceRecord(name: "quote.k8s.", ttl: 1, data: .a(IPv4Address(1, 2, 3, 4))),
                ResourceRecord(name: "Quote.K8s.", ttl: 1, data: .cname("x.K8s.")),
            ])
        let expected = Hex.bytes(
            """
            0002 8000 0001 0002 0000 0000
            0551756f7465 034b387300 0001 0001
            0571756f7465 036b387300 0001 0001 00000001 0004 01020304
            c00c 0005 0001 00000001 0004 0178 c012
            """)
        let wire = try message.wireBytes()
        #expect(Hex.string(wire) == Hex.string(expected))
        let decoded = try DNSMessage(wireFormat: wire)
        #expect(decoded.answers[0].name.isIdentical(to: "quote.k8s."))
        #expect(decoded.answers[1].name.isIdentical(to: "Quote.K8s."))
        guard case .cname(let cname) = decoded.answers[1].data else {
            Issue.record("not a CNAME")
            return
        }
        #expect(cname.isIdentical(to: "x.K8s."))
    }

    @Test func headlessAnswerIsCompressedLikeCoreDNS() throws {
        // the owner of every answer is a pointer to the question name
        let wire = try Samples.headlessAnswer.wireBytes()
        #expect(wire.count == 12 + 44 + 4 * 16)
        let capture = Hex.bytes(
            """
            4b1d 8500 0001 0004 0000 0000
            0e71756f74652d686561646c657373 056b69616461 03737663 07636c7573746572 056c6f63616c 00 0001 0001
            c00c 0001 0001 00000005 0004 0af40209
            c00c 0001 0001 00000005 0004 0af4020a
            c00c 0001 0001 00000005 0004 0af40208
            c00c 0001 0001 00000005 0004 0af4010a
            """)
        #expect(Hex.string(wire) == Hex.string(capture))
        #expect(try DNSMessage(wireFormat: wire) == Samples.headlessAnswer)
    }

    @Test func uncompressedEncodingWritesEveryNameInFull() throws {
        let message = Samples.everyType
        let plain = try message.wireBytes(compress: false)
        let packed = try message.wireBytes()
        #expect(plain.count > packed.count)
        // no octet pair that looks like a pointer into the message in the uncompressed form's names
        #expect(try DNSMessage(wireFormat: plain) == message)
        #expect(try DNSMessage(wireFormat: packed) == message)
    }

    @Test func everyTypeMessageRoundTrips() throws {
        let message = Samples.everyType
        let types = Set(message.answers.map(\.type) + message.additional.map(\.type))
        #expect(types == [.a, .aaaa, .ns, .cname, .ptr, .soa, .srv, .txt, .mx, DNSType(65280), .opt])
        let decoded = try DNSMessage(wireFormat: message.wireBytes())
        #expect(decoded == message)
        #expect(try decoded.wireBytes() == message.wireBytes())
    }
}
