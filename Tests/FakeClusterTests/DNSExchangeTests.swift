import ClusterDNS
import DNSWire
import FakeCluster
import NIOCore
import Testing

/// DNSExchange's encoder against the plain recipe it shortcuts: the uncompressed reply when it
/// fits, otherwise `ReplyTruncation.fit` encoded as it says.
struct DNSExchangeTests {
    static func reference(_ response: DNSMessage, limit: Int, transport: DNSTransport) throws -> [UInt8] {
        let plain = try response.wireBytes(compress: false)
        if plain.count <= max(limit, 512) && (transport == .tcp || plain.count <= 1480) { return plain }
        let (message, compress) = try ReplyTruncation.fit(response, limit: limit, udp: transport == .udp)
        return try message.wireBytes(compress: compress)
    }

    /// A reply of random size and shape: shared name suffixes (so compression matters), A, AAAA,
    /// SRV, TXT and CNAME records in every section, sometimes an OPT record, sometimes not last.
    static func randomReply(_ generator: inout SeededGenerator) throws -> DNSMessage {
        let names = [
            "quote-headless.kiada.svc.cluster.local.", "a.quote-headless.kiada.svc.cluster.local.", "kiada.svc.cluster.local.",
            "_http._tcp.quote.kiada.svc.cluster.local.", "very-long-service-name-for-tests.other-namespace.svc.cluster.local.", "example.org.",
        ].map { DNSName(stringLiteral: $0) }
        func pick(_ bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }
        func record() -> ResourceRecord {
            let name = names[pick(names.count)]
            let data: RecordData
            switch pick(5) {
            case 0: data = .a(IPv4Address(UInt32(truncatingIfNeeded: generator.next())))
            case 1: data = .aaaa(IPv6Address(high: generator.next(), low: generator.next()))
            case 2: data = .srv(SRV(priority: 0, weight: 100, port: 80, target: names[pick(names.count)]))
            case 3: data = .txt([[UInt8](repeating: 0x61, count: pick(200))])
            default: data = .cname(names[pick(names.count)])
            }
            return ResourceRecord(name: name, ttl: 30, data: data)
        }
        // sizes around every limit: a few records, a few dozen, over a hundred
        let scale = [4, 30, 150][pick(3)]
        var reply = DNSMessage(
            header: DNSHeader(id: UInt16(truncatingIfNeeded: generator.next()), isResponse: true, authoritative: true),
            questions: [DNSQuestion(name: names[pick(names.count)], type: .a)])
        reply.header.truncated = pick(10) == 0
        reply.answers = (0..<pick(scale)).map { _ in record() }
        reply.authority = (0..<pick(scale / 2 + 1)).map { _ in record() }
        reply.additional = (0..<pick(scale / 2 + 1)).map { _ in record() }
        if pick(2) == 0 {
            let options = pick(3) == 0 ? [EDNSOption(code: 10, data: [UInt8](repeating: 7, count: 8 + pick(24)))] : []
            let opt = ResourceRecord(name: .root, rrClass: DNSClass(rawValue: [512, 1232, 4096][pick(3)]), ttl: 0, data: .opt(options))
            reply.additional.insert(opt, at: pick(reply.additional.count + 1))
        }
        return reply
    }

    @Test(arguments: [DNSTransport.udp, .tcp])
    func fittedRepliesAreTheReferenceBytes(transport: DNSTransport) throws {
        var generator = SeededGenerator(seed: transport == .udp ? 11 : 12)
        var shortcut = 0
        var cut = 0
        for _ in 0..<3000 {
            let reply = try Self.randomReply(&generator)
            let limit = [0, 512, 1232, 1400, 1500, 4096, 65535][Int(generator.next() % 7)]
            let expected = try? Self.reference(reply, limit: limit, transport: transport)
            let got = try? DNSExchange.fitted(reply, limit: limit, transport: transport)
            #expect(got.map { Array($0.readableBytesView) } == expected)
            if let expected, expected.count > 12, try reply.wireBytes(compress: false).count > max(limit, 512) {
                if (expected[2] & 0x02) != 0 && !reply.header.truncated { cut += 1 } else { shortcut += 1 }
            }
        }
        // both ways out of an oversized reply were taken many times
        #expect(shortcut > 100)
        #expect(cut > 100)
    }

    /// A headless service with hundreds of endpoints on a named port: over 65,535 octets
    /// uncompressed, well under once compressed; served whole over TCP, not dropped.
    @Test func aReplyTooLargeUncompressedIsServedCompressed() throws {
        let owner = DNSName(stringLiteral: "_http._tcp.big-headless-service.some-namespace.svc.cluster.local.")
        var reply = DNSMessage(
            header: DNSHeader(id: 1, isResponse: true, authoritative: true), questions: [DNSQuestion(name: owner, type: .srv)])
        reply.answers = (0..<700).map { index in
            ResourceRecord(
                name: owner, ttl: 30,
                data: .srv(
                    SRV(
                        priority: 0, weight: 100, port: 80,
                        target: DNSName(stringLiteral: "10-244-\(index / 250)-\(index % 250).big-headless-service.some-namespace.svc.cluster.local."))))
        }
        #expect(throws: DNSWireError.self) { try reply.wireBytes(compress: false) }
        let fitted = try DNSExchange.fitted(reply, limit: 65535, transport: .tcp)
        let decoded = try DNSMessage(wireFormat: Array(fitted.readableBytesView))
        #expect(decoded.answers.count == 700)
        #expect(!decoded.header.truncated)
    }

    @Test func repliesAppendToABatchBuffer() throws {
        let handler = try ZoneHandler("quote.kiada.svc.cluster.local. 30 IN A 10.96.161.97\n")
        let query = try DNSMessage.query(id: 9, name: DNSName("quote.kiada.svc.cluster.local."), type: .a).wireFormat()
        var batch = ByteBuffer(bytes: [1, 2, 3])
        #expect(DNSExchange.reply(to: query, transport: .udp, handler: handler, into: &batch))
        let alone = try #require(DNSExchange.reply(to: query, transport: .udp, handler: handler))
        #expect(batch.getSlice(at: 3, length: batch.readableBytes - 3) == alone)
        // nothing to send leaves the buffer as it was
        let before = batch
        #expect(!DNSExchange.reply(to: ByteBuffer(bytes: [1, 2]), transport: .udp, handler: handler, into: &batch))
        #expect(batch == before)
    }
}
