import DNSWire
import PacketCapture
import Testing
import Traffic

/// Every DNS message is an event; responses pair with queries by 5-tuple, ID and question.
@Suite struct DNSPairingTests {
    static let q = Build.query("quote.kiada.svc.cluster.local", id: 100)
    static let r = Build.response(to: q, answers: [ResourceRecord(name: q.question!.name, ttl: 5, data: .a(IPv4Address(10, 96, 12, 1)))])

    @Test func responsePairsWithItsQueryAndHasALatency() throws {
        let d = decode([
            Build.udpDNS(1, "10.244.3.4", 40000, "10.96.0.10", 53, Self.q, ms: 0),
            Build.udpDNS(2, "10.96.0.10", 53, "10.244.3.4", 40000, Self.r, ms: 3),
        ])
        #expect(d.events.count == 2)
        let response = try #require(d.events.last?.dns)
        #expect(response.queryFrame == 1)
        #expect(response.latencyNanoseconds == 3_000_000)
        #expect(d.events.last?.jsonLine.contains(#""queryFrame":1,"latencyMs":3.000"#) == true)
    }

    /// Twenty names pending with one 5-tuple, ID and type: the four oldest are forgotten, said
    /// once on stderr with the first frame that forgot one, and the newest sixteen still pair.
    @Test func moreThanSixteenNamesInOneFlowForgetTheOldest() throws {
        var packets: [CapturedPacket] = []
        var queries: [DNSMessage] = []
        for i in 0..<20 {
            let q = Build.query("n\(i).kiada.svc.cluster.local", id: 7)
            queries.append(q)
            packets.append(Build.udpDNS(i + 1, "10.244.3.4", 40000, "10.96.0.10", 53, q, ms: Int64(i)))
        }
        for (i, q) in queries.enumerated() {
            packets.append(Build.udpDNS(21 + i, "10.96.0.10", 53, "10.244.3.4", 40000, Build.response(to: q, answers: []), ms: 30))
        }
        let d = decode(packets)
        #expect(d.events.count == 40)
        #expect(d.diagnostics.map(\.frame) == [17], "said once per flow: \(d.diagnostics)")
        #expect(d.diagnostics.allSatisfy { "\($0)".contains("more than 16 question names pending; the oldest are forgotten") }, "\(d.diagnostics)")
        let paired = d.events.suffix(20).map { $0.dns?.queryFrame }
        #expect(paired == Array(repeating: nil, count: 4) + (5...20).map { Optional($0) })
    }

    @Test func pairingNeedsTheSameQuestionAndFiveTuple() throws {
        var other = Self.r
        other.questions[0].name = DNSName(stringLiteral: "other.kiada.svc.cluster.local")
        let d = decode([
            Build.udpDNS(1, "10.244.3.4", 40000, "10.96.0.10", 53, Self.q),
            Build.udpDNS(2, "10.96.0.10", 53, "10.244.3.4", 40001, Self.r),  // other port
            Build.udpDNS(3, "10.96.0.10", 53, "10.244.3.4", 40000, other),  // other question
            Build.udpDNS(4, "10.96.0.11", 53, "10.244.3.4", 40000, Self.r),  // other server
        ])
        #expect(d.events.count == 4)
        #expect(d.events.dropFirst().allSatisfy { $0.dns?.queryFrame == nil })
    }

    @Test func retransmittedQueryIsRecognisedAndTheResponsePairsWithTheLatest() throws {
        let d = decode([
            Build.udpDNS(1, "10.244.3.4", 40000, "10.96.0.10", 53, Self.q, ms: 0),
            Build.udpDNS(2, "10.244.3.4", 40000, "10.96.0.10", 53, Self.q, ms: 5000),
            Build.udpDNS(3, "10.96.0.10", 53, "10.244.3.4", 40000, Self.r, ms: 5002),
        ])
        #expect(d.events.map { $0.dns!.isRetransmission } == [false, true, false])
        #expect(d.events.last?.dns?.queryFrame == 2)
        #expect(d.events.last?.dns?.latencyNanoseconds == 2_000_000)
    }

    @Test func aPacketSeenOnTwoInterfacesIsShownTwiceUnlessFolded() throws {
        let packets = [
            Build.udpDNS(1, "10.244.3.4", 40000, "10.96.0.10", 53, Self.q, ms: 0, interface: 0),
            Build.udpDNS(2, "10.244.3.4", 40000, "10.96.0.10", 53, Self.q, ms: 0, interface: 1),
            Build.udpDNS(3, "10.96.0.10", 53, "10.244.3.4", 40000, Self.r, ms: 1, interface: 1),
            Build.udpDNS(4, "10.96.0.10", 53, "10.244.3.4", 40000, Self.r, ms: 1, interface: 0),
        ]
        let shown = decode(packets)
        #expect(shown.events.map(\.frame) == [1, 2, 3, 4])
        #expect(shown.events.map { $0.dns!.isRetransmission } == [false, false, false, false], "a copy on another interface is no retransmission")
        #expect(shown.events.map { $0.dns!.queryFrame } == [nil, nil, 2, 1], "each copy pairs at its own vantage point")
        let folded = decode(packets) { $0.foldDuplicates = true }
        #expect(folded.events.map(\.frame) == [1, 3])
    }

    @Test func configuredPortsAreDNSToo() {
        let packets = [Build.udpDNS(1, "127.0.0.1", 40000, "127.0.0.1", 5353, Self.q)]
        #expect(decode(packets).events.isEmpty)
        #expect(decode(packets) { $0.dnsPorts.insert(5353) }.events.count == 1)
    }

    @Test func malformedDNSIsADiagnosticWithTheFrame() {
        var bytes = Build.wire(Self.q)
        bytes.append(0)  // trailing octet: strict decoding rejects it
        let frame = Build.packet(7, Build.ethernet(Build.ipv4("10.244.3.4", "10.96.0.10", proto: 17, payload: Build.udp(40000, 53, bytes))))
        let d = decode([frame, Build.udpDNS(8, "10.244.3.4", 40000, "10.96.0.10", 53, Self.q)])
        #expect(d.events.map(\.frame) == [8])
        #expect(d.diagnostics.map(\.code) == [.malformedDNS])
        #expect(d.diagnostics.first?.frame == 7)
    }

    @Test func jsonHasTheDocumentedKeysInOrder() throws {
        let d = decode([Build.udpDNS(1, "10.244.3.4", 40000, "10.96.0.10", 53, Self.q), Build.udpDNS(2, "10.96.0.10", 53, "10.244.3.4", 40000, Self.r, ms: 2)])
        let line = try #require(d.events.last?.jsonLine)
        let keys = [
            "kind", "frame", "frames", "time", "src", "dst", "transport", "vantage", "id", "qr", "opcode", "rcode", "flags", "qname", "qtype", "qclass",
            "questions", "answers", "authority", "additional", "edns", "size", "queryFrame", "latencyMs", "retransmission",
        ]
        var position = line.startIndex
        for key in keys {
            let range = try #require(line.range(of: "\"\(key)\":", range: position..<line.endIndex), "key \(key) missing or out of order")
            position = range.upperBound
        }
        #expect(line.contains(#""answers":[{"name":"quote.kiada.svc.cluster.local.","type":"A","class":"IN","ttl":5,"data":"10.96.12.1"}]"#))
        #expect(line.contains(#""flags":{"aa":true,"tc":false,"rd":true,"ra":false,"ad":false,"cd":false}"#))
    }

    @Test func unknownTypesPrintAsTYPEnnn() throws {
        let q = Build.query("x.example", id: 1, type: DNSType(65280))
        let d = decode([Build.udpDNS(1, "10.244.3.4", 40000, "10.96.0.10", 53, q)])
        #expect(d.events.first?.jsonLine.contains(#""qtype":"TYPE65280""#) == true)
    }
}
