import DNSWire
import PacketCapture
import Testing

@testable import Traffic

/// Packet times far apart (pcapng interfaces with opposite `if_tsoffset`s, a corrupt timestamp)
/// never trap: differences saturate.
@Suite struct ExtremeTimeTests {
    static func at(_ packet: CapturedPacket, _ nanoseconds: Int64) -> CapturedPacket {
        var packet = packet
        packet.timestampNanoseconds = nanoseconds
        return packet
    }

    @Test func queriesAndRepliesAtOppositeEndsOfTime() {
        let query = Build.query("quote.kiada.svc.cluster.local.", id: 7)
        let reply = Build.response(to: query, answers: [])
        let packets = [
            Self.at(Build.udpDNS(1, "10.244.1.20", 40000, "10.96.0.10", 53, query), -9_000_000_000_000_000_000),
            Self.at(Build.udpDNS(2, "10.96.0.10", 53, "10.244.1.20", 40000, reply), 9_000_000_000_000_000_000),
            Self.at(Build.udpDNS(3, "10.244.1.20", 40001, "10.96.0.10", 53, query), .max),
            Self.at(Build.udpDNS(4, "10.244.1.20", 40001, "10.96.0.10", 53, query), .min),
            Self.at(Build.tcpFrame(5, "10.244.1.20", 41000, "10.244.2.9", 80, seq: 1, flags: 0x02), .max),
            Self.at(Build.tcpFrame(6, "10.244.1.20", 41001, "10.244.2.9", 80, seq: 1, flags: 0x02), .min),
        ]
        let decoded = decode(packets)
        #expect(decoded.dns.count == 4)
    }

    @Test func elapsedSaturates() {
        #expect(Elapsed.nanoseconds(from: .min, to: .max) == .max)
        #expect(Elapsed.nanoseconds(from: .max, to: .min) == .min)
        #expect(Elapsed.nanoseconds(from: 5, to: 12) == 7)
        #expect(Elapsed.adding(1_000_000_000, to: .max - 1) == .max)
        #expect(Elapsed.adding(1_000_000_000, to: 0) == 1_000_000_000)
    }
}

/// Query pairing: names compared without case, flows hashed whole, and no input that makes a
/// lookup walk more than a few questions.
@Suite struct PairingTrackerTests {
    static let server = Endpoint(address: .v4(IPv4Address(0x0a60_000a)), port: 53)

    static func key(_ name: [UInt8]?, client: String = "10.244.3.4", id: UInt16 = 7) throws -> DNSTransactionTracker.Key {
        let flow = DNSTransactionTracker.Flow(
            client: Endpoint(address: try #require(IPAddress(client)), port: 40000), server: server, transport: .udp, id: id, type: 1)
        return DNSTransactionTracker.Key(flow: flow, name: name?[...])
    }

    static func wire(_ text: String) throws -> [UInt8] { try DNSName(text).wire }

    @Test func namesEqualButForCasePair() throws {
        var tracker = DNSTransactionTracker(timeoutNanoseconds: 1_000_000_000, maxPending: 100)
        var forgotten = DNSTransactionTracker.Forgotten()
        #expect(!tracker.query(try Self.key(Self.wire("QUOTE.Kiada.svc.cluster.local.")), frame: 1, time: 0, vantage: 0, forgotten: &forgotten))
        #expect(tracker.query(try Self.key(Self.wire("quote.KIADA.svc.cluster.local.")), frame: 2, time: 1, vantage: 0, forgotten: &forgotten))
        #expect(tracker.response(try Self.key(Self.wire("quote.kiada.svc.cluster.local.")), vantage: 0)?.frame == 2)
        #expect(tracker.pendingCount == 0 && tracker.pending.isEmpty)
        // a name differing in a non-letter's bit 5 (0x10 vs 0x30) is another question
        _ = tracker.query(try Self.key([1, 0x10, 0]), frame: 3, time: 2, vantage: 0, forgotten: &forgotten)
        #expect(tracker.response(try Self.key([1, 0x30, 0]), vantage: 0) == nil)
        #expect(tracker.response(try Self.key([1, 0x10, 0]), vantage: 0)?.frame == 3)
        #expect(forgotten.atTotalLimit == 0 && !forgotten.oldestInFlow)
    }

    /// Many names in one flow (one 5-tuple, ID and type): only the newest 16 are kept, the
    /// first forgetting is said (once per flow), and the newest still pair.
    @Test func oneFlowKeepsAtMostSixteenNames() throws {
        var tracker = DNSTransactionTracker(timeoutNanoseconds: 1_000_000_000, maxPending: 100_000)
        var forgotten = DNSTransactionTracker.Forgotten()
        for i in 0..<1000 {
            _ = tracker.query(try Self.key(Self.wire("n\(i).kiada.svc.cluster.local.")), frame: i + 1, time: Int64(i), vantage: 0, forgotten: &forgotten)
        }
        #expect(tracker.pending.count == 1 && tracker.pendingCount == DNSTransactionTracker.maxNamesPerFlow)
        #expect(forgotten.oldestInFlow && forgotten.atTotalLimit == 0)
        // said once per flow: a further name forgets silently
        var again = DNSTransactionTracker.Forgotten()
        _ = tracker.query(try Self.key(Self.wire("n1000.kiada.svc.cluster.local.")), frame: 1001, time: 1000, vantage: 0, forgotten: &again)
        #expect(!again.oldestInFlow && tracker.pendingCount == DNSTransactionTracker.maxNamesPerFlow)
        #expect(tracker.response(try Self.key(Self.wire("n999.kiada.svc.cluster.local.")), vantage: 0)?.frame == 1000)
        #expect(tracker.response(try Self.key(Self.wire("n985.kiada.svc.cluster.local.")), vantage: 0)?.frame == 986)
        #expect(tracker.response(try Self.key(Self.wire("n984.kiada.svc.cluster.local.")), vantage: 0) == nil)
        #expect(tracker.pendingCount == DNSTransactionTracker.maxNamesPerFlow - 2)
    }

    /// The total limit counts questions across flows; at the limit all are forgotten and counted.
    @Test func theTotalLimitForgetsEverythingAndSaysHowMuch() throws {
        var tracker = DNSTransactionTracker(timeoutNanoseconds: 1_000_000_000, maxPending: 10)
        var forgotten = DNSTransactionTracker.Forgotten()
        for i in 0..<10 { _ = tracker.query(try Self.key([1, 0x61, 0], id: UInt16(i)), frame: i + 1, time: 0, vantage: 0, forgotten: &forgotten) }
        #expect(forgotten.atTotalLimit == 0 && tracker.pendingCount == 10)
        _ = tracker.query(try Self.key([1, 0x61, 0], id: 10), frame: 11, time: 0, vantage: 0, forgotten: &forgotten)
        #expect(forgotten.atTotalLimit == 10 && tracker.pendingCount == 1)
        // a question already pending is not new: no forgetting
        _ = tracker.query(try Self.key([1, 0x61, 0], id: 10), frame: 12, time: 0, vantage: 0, forgotten: &forgotten)
        #expect(forgotten.atTotalLimit == 10 && tracker.pendingCount == 1)
    }

    @Test func expiryForgetsOldQuestionsAndKeepsTheCount() throws {
        var tracker = DNSTransactionTracker(timeoutNanoseconds: 100, maxPending: 100)
        var forgotten = DNSTransactionTracker.Forgotten()
        _ = tracker.query(try Self.key([1, 0x61, 0]), frame: 1, time: 0, vantage: 0, forgotten: &forgotten)
        _ = tracker.query(try Self.key([1, 0x62, 0]), frame: 2, time: 150, vantage: 0, forgotten: &forgotten)
        _ = tracker.query(try Self.key([1, 0x63, 0], id: 8), frame: 3, time: 10, vantage: 0, forgotten: &forgotten)
        tracker.expire(now: 200)
        #expect(tracker.pendingCount == 1 && tracker.pending.count == 1)
        #expect(tracker.response(try Self.key([1, 0x62, 0]), vantage: 0)?.frame == 2)
    }

    /// Clients that a multiplicative fold of the addresses could make collide hash apart.
    @Test func flowsHashWhole() throws {
        let clients = try Set((0..<1024).map { try Self.key(nil, client: "10.244.\($0 / 256).\($0 % 256)").flow.hashValue })
        #expect(clients.count == 1024)
        let v6 = try Set((0..<1024).map { try Self.key(nil, client: "fd00::\(String($0, radix: 16))").flow.hashValue })
        #expect(v6.count == 1024)
    }
}
