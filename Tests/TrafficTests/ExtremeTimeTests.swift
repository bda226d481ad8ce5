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

/// The pairing key hashes names as equality compares them: case-insensitively, and not all alike.
@Suite struct PairingKeyHashTests {
    @Test func namesFoldedLikeEqualityAndSpreadOtherwise() throws {
        let upper = DNSTransactionTracker.Key.foldedHash(try DNSName("QUOTE.Kiada.svc.cluster.local.").wire[...])
        let lower = DNSTransactionTracker.Key.foldedHash(try DNSName("quote.kiada.svc.cluster.local.").wire[...])
        #expect(upper == lower)
        let hashes = Set(try (0..<1000).map { DNSTransactionTracker.Key.foldedHash(try DNSName("n\($0).kiada.svc.cluster.local.").wire[...]) })
        #expect(hashes.count == 1000)
    }
}
