import ClusterDNS
import ClusterModel
import DNSWire
import Testing

/// Seeded, bounded random queries: the responder must never trap and must keep its invariants.
@Suite("Robustness")
struct RobustnessTests {
    static let pieces = [
        "svc1", "hdls1", "web-0", "172-0-0-3", "_http", "_tcp", "_udp", "http", "tcp", "testns", "kiada", "svc", "pod",
        "cluster", "local", "CLUSTER", "Local", "in-addr", "arpa", "ip6", "1", "0", "10", "172", "255", "256", "01", "*", "any",
        "dns-version", "ns", "dns", "external", "external-to-service", "1-2-3-4", "fd00--1", "a-b-c-d", "x", "hdls-notready",
    ]
    static let types: [DNSType] = [.a, .aaaa, .srv, .ptr, .txt, .cname, .ns, .soa, .mx, .any, .axfr, .ixfr, .hinfo, DNSType(0), DNSType(65535), .opt, .https]

    @Test("2,000 random questions: no trap, header invariants, NXDOMAIN/NODATA carry the SOA", arguments: [PodModeArgument.disabled, .insecure, .verified])
    func randomQuestions(_ mode: PodModeArgument) throws {
        var generator = SeededGenerator(seed: 20_261_126 &+ UInt64(mode.rawValue.count))
        var options = TestCluster.options
        options.pods = mode.value
        options.answerOrder = .shuffle
        var r = TestCluster.responder(options)
        for i in 0..<2000 {
            var labels: [[UInt8]] = []
            let count = Int(generator.next() % 9)
            for _ in 0..<count {
                if generator.next() % 10 == 0 {
                    // a random binary label, dots and upper case included
                    let length = 1 + Int(generator.next() % 63)
                    labels.append((0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
                } else {
                    labels.append(Array(Self.pieces[Int(generator.next() % UInt64(Self.pieces.count))].utf8))
                }
            }
            // mostly inside the zones
            switch generator.next() % 4 {
            case 0: labels += [Array("cluster".utf8), Array("local".utf8)]
            case 1: labels += [Array("svc".utf8), Array("cluster".utf8), Array("local".utf8)]
            case 2: labels += [Array("in-addr".utf8), Array("arpa".utf8)]
            default: break
            }
            guard let name = try? DNSName(labels: labels) else { continue }
            let type = Self.types[Int(generator.next() % UInt64(Self.types.count))]
            var query = DNSMessage.query(id: UInt16(truncatingIfNeeded: i), name: name, type: type, recursionDesired: generator.next() % 2 == 0)
            if generator.next() % 3 == 0 {
                query.edns = EDNS(
                    udpPayloadSize: UInt16(truncatingIfNeeded: generator.next()), version: generator.next() % 8 == 0 ? 1 : 0,
                    dnssecOK: generator.next() % 2 == 0)
            }
            if generator.next() % 20 == 0 { query.questions[0].qClass = .chaos }
            let reply = r.respond(to: query)
            #expect(reply.header.id == query.header.id && reply.header.isResponse)
            #expect(!reply.header.recursionAvailable || reply.header.authoritative == false)
            if reply.rcode == .badVers { continue }
            #expect(reply.questions == query.questions)
            #expect((reply.edns != nil) == (query.edns != nil))
            if reply.header.authoritative && (reply.rcode == .nxDomain || (reply.rcode == .noError && reply.answers.isEmpty)) {
                #expect(reply.authority.count == 1 && reply.authority.first?.type == .soa, "\(name) \(type)")
            }
            if reply.rcode == .nxDomain { #expect(reply.answers.isEmpty) }
            // every reply encodes
            #expect(throws: Never.self) { _ = try reply.wireBytes() }
        }
    }

    enum PodModeArgument: String, CaseIterable, Sendable {
        case disabled, insecure, verified
        var value: ClusterDNSOptions.PodMode { ClusterDNSOptions.PodMode(rawValue: rawValue)! }
    }
}
