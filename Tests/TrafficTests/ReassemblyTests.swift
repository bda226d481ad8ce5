import DNSWire
import PacketCapture
import Testing
import Traffic

/// IP fragments and TCP streams: reassembly, out-of-order, retransmissions, overlaps, gaps, limits.
@Suite struct ReassemblyTests {
    static let client = "10.244.3.4"
    static let server = "10.96.0.10"

    /// A response big enough to need fragments: 40 A records.
    static var bigResponse: DNSMessage {
        let q = Build.query("quote-headless.kiada.svc.cluster.local", id: 77)
        let answers = (0..<40).map { i in ResourceRecord(name: q.question!.name, ttl: 5, data: .a(IPv4Address(10, 244, UInt8(i / 250), UInt8(i % 250 + 1)))) }
        return Build.response(to: q, answers: answers)
    }

    static func ipv4Fragments(_ datagram: [UInt8], size: Int, id: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var offset = 0
        while offset < datagram.count {
            let end = min(offset + size, datagram.count)
            out.append(
                Build.ipv4(server, client, proto: 17, payload: Array(datagram[offset..<end]), id: id, fragmentOffset: offset, more: end < datagram.count))
            offset = end
        }
        return out
    }

    @Test func ipv4FragmentsOutOfOrderReassemble() throws {
        let udp = Build.udp(53, 51234, Build.wire(Self.bigResponse))
        let fragments = Self.ipv4Fragments(udp, size: 200, id: 9)
        #expect(fragments.count >= 3)
        let order = [2, 0] + Array(3..<fragments.count) + [1]
        let packets = order.enumerated().map { Build.packet($0.offset + 1, Build.ethernet(fragments[$0.element])) }
        let d = decode(packets)
        #expect(d.diagnostics.isEmpty, "\(d.diagnostics)")
        let event = try #require(d.events.first)
        #expect(d.events.count == 1)
        #expect(event.dns?.message == Self.bigResponse)
        #expect(event.frame == packets.count)
        #expect(event.frames == Array(1...packets.count))
    }

    @Test func ipv4FragmentsThatNeverCompleteAreReported() {
        let udp = Build.udp(53, 51234, Build.wire(Self.bigResponse))
        let fragments = Self.ipv4Fragments(udp, size: 200, id: 9)
        let d = decode([Build.packet(1, Build.ethernet(fragments[0])), Build.packet(2, Build.ethernet(fragments[2]))])
        #expect(d.events.isEmpty)
        #expect(d.diagnostics.map(\.code) == [.incompleteFragments])
        #expect(d.diagnostics.first?.frame == 2)
    }

    @Test func fragmentBufferIsBoundedAndTimesOut() {
        var configuration = TrafficDecoder.Configuration()
        configuration.limits.maxFragmentDatagrams = 4
        let decoder = TrafficDecoder(configuration: configuration)
        var diagnostics: [TrafficError] = []
        for i in 0..<20 {
            let first = Build.ipv4(Self.server, Self.client, proto: 17, payload: Array(repeating: 0, count: 64), id: i, fragmentOffset: 0, more: true)
            decoder.process(Build.packet(i + 1, Build.ethernet(first), ms: Int64(i))) { if case .diagnostic(let d) = $0 { diagnostics.append(d) } }
        }
        #expect(diagnostics.count == 16)
        #expect(diagnostics.allSatisfy { $0.code == .incompleteFragments })
        // 31 s later the remaining four time out.
        let late = Build.packet(21, Build.ethernet(Build.ipv4(Self.server, Self.client, proto: 1, payload: [8, 0, 0, 0])), ms: 31_000)
        decoder.process(late) { if case .diagnostic(let d) = $0 { diagnostics.append(d) } }
        #expect(diagnostics.count == 20)
    }

    @Test func ipv6ExtensionHeadersAndFragments() throws {
        let udp = Build.udp(53, 51234, Build.wire(Self.bigResponse))
        // Hop-by-hop (8 octets, next = fragment) then fragment headers.
        var packets: [CapturedPacket] = []
        var offset = 0
        var frame = 0
        while offset < udp.count {
            let end = min(offset + 304, udp.count)
            let more = end < udp.count
            let hopByHop: [UInt8] = [44, 0, 1, 4, 0, 0, 0, 0]
            let fragment: [UInt8] = [17, 0] + Build.be16(offset | (more ? 1 : 0)) + Build.be32(0xabcd)
            let ip = Build.ipv6("fd00::a", "fd00::3:4", next: 0, payload: hopByHop + fragment + Array(udp[offset..<end]))
            frame += 1
            packets.append(Build.packet(frame, Build.ethernet(ip, v6: true)))
            offset = end
        }
        let d = decode(
            packets.reversed().enumerated().map {
                var p = $0.element
                p.frameNumber = $0.offset + 1
                return p
            })
        #expect(d.diagnostics.isEmpty, "\(d.diagnostics)")
        let event = try #require(d.events.first)
        #expect(event.dns?.message == Self.bigResponse)
        #expect(event.source.description == "[fd00::a]:53")
    }

    // MARK: TCP

    static let q1 = Build.query("quote.kiada.svc.cluster.local", id: 1)
    static let q2 = Build.query("quote-headless.kiada.svc.cluster.local", id: 2)
    static let r1 = Build.response(to: q1, answers: [ResourceRecord(name: q1.question!.name, ttl: 5, data: .a(IPv4Address(10, 96, 12, 1)))])

    /// Handshake frames 1-3; client ISN 1000, server ISN 5000.
    static func handshake() -> [CapturedPacket] {
        [
            Build.tcpFrame(1, client, 40000, server, 53, seq: 999, flags: Build.syn),
            Build.tcpFrame(2, server, 53, client, 40000, seq: 4999, ack: 1000, flags: Build.syn | Build.ack),
            Build.tcpFrame(3, client, 40000, server, 53, seq: 1000, ack: 5000, flags: Build.ack),
        ]
    }

    static func clientSegment(_ frame: Int, _ seq: UInt32, _ bytes: [UInt8], ms: Int64 = 0) -> CapturedPacket {
        Build.tcpFrame(frame, client, 40000, server, 53, seq: 1000 + seq, ack: 5000, flags: Build.ack | Build.psh, bytes, ms: ms)
    }

    @Test func lengthPrefixSplitAcrossSegmentsAndTwoMessagesInOne() throws {
        let stream = Build.lengthPrefixed(Self.q1) + Build.lengthPrefixed(Self.q2)
        let packets =
            Self.handshake() + [
                Self.clientSegment(4, 0, [stream[0]]),  // half the prefix
                Self.clientSegment(5, 1, Array(stream[1..<10])),
                Self.clientSegment(6, 10, Array(stream[10...])),  // rest of q1 and all of q2
            ]
        let d = decode(packets)
        #expect(d.diagnostics.isEmpty, "\(d.diagnostics)")
        #expect(d.events.map { $0.dns!.message } == [Self.q1, Self.q2])
        #expect(d.events.map(\.frame) == [6, 6])
        #expect(d.events.first?.frames == [4, 5, 6])
        #expect(d.events.allSatisfy { $0.transport == .tcp })
    }

    /// A message in one-octet segments, each its own frame: every frame listed once, in order.
    @Test func aMessageInOneOctetSegmentsListsEveryFrame() throws {
        let stream = Build.lengthPrefixed(Self.q1)
        let packets = Self.handshake() + stream.indices.map { Self.clientSegment(4 + $0, UInt32($0), [stream[$0]]) }
        let d = decode(packets)
        #expect(d.diagnostics.isEmpty, "\(d.diagnostics)")
        #expect(d.events.map { $0.dns!.message } == [Self.q1])
        #expect(d.events.first?.frames == Array(4..<(4 + stream.count)))
    }

    @Test func outOfOrderRetransmittedAndOverlappingSegments() throws {
        let stream = Build.lengthPrefixed(Self.q1) + Build.lengthPrefixed(Self.q2)
        let a = Array(stream[0..<20])
        let b = Array(stream[20..<40])
        let c = Array(stream[40...])
        let packets =
            Self.handshake() + [
                Self.clientSegment(4, 20, b),  // out of order
                Self.clientSegment(5, 40, c),
                Self.clientSegment(6, 0, a),  // fills the hole
                Self.clientSegment(7, 0, a),  // retransmission
                Self.clientSegment(8, 10, Array(stream[10..<50])),  // overlap of old data
            ]
        let d = decode(packets)
        #expect(d.diagnostics.isEmpty, "\(d.diagnostics)")
        #expect(d.events.map { $0.dns!.message } == [Self.q1, Self.q2])
        // Each message takes the latest frame that carried its octets (q2 lay wholly in frame 5),
        // even though both came out when frame 6 filled the hole.
        #expect(d.events.map(\.frame) == [6, 5])
        #expect(d.events.first?.frames == [4, 5, 6])
    }

    @Test func aGapIsReportedAndTheStreamResynchronises() throws {
        let first = Build.lengthPrefixed(Self.q1)
        let second = Build.lengthPrefixed(Self.q2)
        let lost = Build.lengthPrefixed(Build.query("lost.example", id: 3))
        let packets =
            Self.handshake() + [
                Self.clientSegment(4, 0, first),
                // `lost` is never captured; the server acknowledges it, then the client sends `second`.
                Build.tcpFrame(5, Self.server, 53, Self.client, 40000, seq: 5000, ack: 1000 + UInt32(first.count + lost.count), flags: Build.ack),
                Self.clientSegment(6, UInt32(first.count + lost.count), second),
            ]
        let d = decode(packets)
        #expect(d.events.map { $0.dns!.message } == [Self.q1, Self.q2])
        let gap = try #require(d.diagnostics.first { $0.code == .streamGap })
        #expect(gap.frame == 5)
        #expect(gap.reason.contains("\(lost.count) octets"))
    }

    @Test func aHoleIsAGapAtTheEndNotInventedBytes() throws {
        let first = Build.lengthPrefixed(Self.q1)
        let second = Build.lengthPrefixed(Self.q2)
        // Part of `first` is missing: only its start and all of `second` arrive.
        let packets =
            Self.handshake() + [
                Self.clientSegment(4, 0, Array(first[0..<10])),
                Self.clientSegment(5, UInt32(first.count), second),
            ]
        let d = decode(packets)
        #expect(d.events.map { $0.dns!.message } == [Self.q2])
        #expect(d.diagnostics.contains { $0.code == .streamGap && $0.reason.contains("\(first.count - 10) octets") })
    }

    @Test func finAndRstEndTheConnection() throws {
        let first = Build.lengthPrefixed(Self.q1)
        var packets = Self.handshake() + [Self.clientSegment(4, 0, first)]
        packets.append(Build.tcpFrame(5, Self.client, 40000, Self.server, 53, seq: 1000 + UInt32(first.count), ack: 5000, flags: Build.fin | Build.ack))
        packets.append(Build.tcpFrame(6, Self.server, 53, Self.client, 40000, seq: 5000, ack: 1001 + UInt32(first.count), flags: Build.rst))
        // A new connection on the same ports after the RST starts fresh.
        packets.append(Build.tcpFrame(7, Self.client, 40000, Self.server, 53, seq: 77, flags: Build.syn))
        packets.append(Build.tcpFrame(8, Self.client, 40000, Self.server, 53, seq: 78, flags: Build.ack, Build.lengthPrefixed(Self.q2)))
        let d = decode(packets)
        #expect(d.diagnostics.isEmpty, "\(d.diagnostics)")
        #expect(d.events.map { $0.dns!.message } == [Self.q1, Self.q2])
    }

    @Test func perStreamBufferLimitDeclaresAGap() {
        var configuration = TrafficDecoder.Configuration()
        configuration.limits.maxStreamBufferOctets = 1000
        // A hole at the start, then 3000 out-of-order octets: the buffer may not hold them all.
        var packets = Self.handshake()
        for i in 0..<30 {
            packets.append(Self.clientSegment(4 + i, 100 + UInt32(i * 100), Array(repeating: 0x41, count: 100)))
        }
        let decoder = TrafficDecoder(configuration: configuration)
        var outputs: [TrafficDecoder.Output] = []
        for p in packets { decoder.process(p) { outputs.append($0) } }
        let d = Decoded(outputs)
        #expect(d.diagnostics.contains { $0.code == .streamGap && $0.reason.contains("100 octets") })
    }

    @Test func connectionLimitEvictsTheLeastRecent() {
        var configuration = TrafficDecoder.Configuration()
        configuration.limits.maxConnections = 10
        var packets: [CapturedPacket] = []
        for i in 0..<25 {
            packets.append(Build.tcpFrame(i + 1, Self.client, 30000 + i, Self.server, 53, seq: 1, flags: Build.ack, [0, 40], ms: Int64(i)))
        }
        let d = decode(packets) { $0 = configuration }
        #expect(d.diagnostics.filter { $0.code == .limitExceeded }.count == 15)
    }

    @Test func idleConnectionsAreFlushed() {
        let request = Array("GET / HTTP/1.1\r\nHost: quote\r\n\r\n".utf8)
        let decoder = TrafficDecoder()
        var during: [TrafficDecoder.Output] = []
        // An unanswered request, then 200 s of silence on that connection.
        decoder.process(Build.tcpFrame(1, Self.client, 40000, "10.244.2.8", 80, seq: 1, flags: Build.ack, request)) { during.append($0) }
        #expect(during.isEmpty)
        decoder.process(Build.packet(2, Build.ethernet(Build.ipv4(Self.server, Self.client, proto: 1, payload: [8, 0, 0, 0])), ms: 200_000)) {
            during.append($0)
        }
        let flushed = Decoded(during).http
        #expect(flushed.count == 1, "the idle connection is flushed when capture time passes the timeout")
        #expect(flushed.first?.http?.request?.uri == "/")
        #expect(flushed.first?.http?.response == nil)
        var after: [TrafficDecoder.Output] = []
        decoder.finish { after.append($0) }
        #expect(after.isEmpty, "the idle connection was already forgotten")
    }
}
