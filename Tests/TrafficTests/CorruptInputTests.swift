import DNSWire
import PacketCapture
import Testing
import Traffic

/// Truncated packets, snap-length cuts, streams with holes, random bytes and a seeded mutation
/// run: decoding must never crash, and every problem is a diagnostic with a frame number.
@Suite struct CorruptInputTests {
    /// Real packets from the public captures, of every link type present.
    static func realPackets() throws -> [CapturedPacket] {
        var all: [CapturedPacket] = []
        for name in [
            "dns_udp.pcap", "dns_tcp.pcap", "dnso1tcp.pcap", "sll.pcap", "sll2.pcap", "example.com-k8s-http.pcapng", "four_ipv6_http_streams.pcap",
            "dns-edns-ecs.pcap", "http-packets2.pcap", "many_interfaces-1.pcapng",
        ] {
            all += try Fixtures.packets(name)
        }
        return all
    }

    @Test func everyTruncatedPrefixOfRealPacketsIsSafe() throws {
        let packets = try Self.realPackets().filter { $0.data.count < 1600 }.prefix(300)
        var count = 0
        for packet in packets {
            for length in 0..<packet.data.count {
                var cut = packet
                cut.data = Array(packet.data.prefix(length))
                let outputs = TrafficDecoder.decodeAll([cut])
                for case .diagnostic(let d) in outputs {
                    #expect(d.frame == packet.frameNumber || d.code == .incompleteFragments)
                }
                count += 1
            }
        }
        #expect(count > 10_000)
    }

    @Test func snapLengthCutIsReportedAsTruncated() throws {
        let packets = try Fixtures.packets("dns_udp_2.pcap")
        let d = decode(packets)
        #expect(d.events.count == 1)
        let diagnostic = try #require(d.diagnostics.first)
        #expect(diagnostic.code == .truncatedPacket)
        #expect(diagnostic.frame == 2)
        #expect(diagnostic.reason.contains("56 of 224 octets"))
    }

    @Test func aStreamWithHolesReportsGapsAndResynchronises() throws {
        let d = decode(try Fixtures.packets("dnso1tcp-midmiss.pcap"))
        #expect(d.diagnostics.filter { $0.code == .streamGap }.count == 2)
        #expect(d.dns.map(\.frame) == [6, 8, 12, 14, 17, 19])
        #expect(d.dns.last?.dns?.queryFrame == 17)
    }

    @Test func randomBytesOnEveryLinkTypeNeverCrash() {
        var rng = SeededGenerator(seed: 0x6b75_6265_7461_7065)
        let links: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .raw, .ipv4, .ipv6, .null, .loop, LinkType(12)]
        let decoder = TrafficDecoder(
            configuration: {
                var c = TrafficDecoder.Configuration()
                c.dnsPorts = [53, 80, 5353]
                return c
            }())
        var outputs = 0
        for i in 0..<20_000 {
            let length = Int(rng.next() % 200)
            let data = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let link = links[Int(rng.next() % UInt64(links.count))]
            decoder.process(Build.packet(i + 1, data, link: link, ms: Int64(i))) { _ in outputs += 1 }
        }
        decoder.finish { _ in outputs += 1 }
        #expect(decoder.statistics.packets == 20_000)
    }

    /// At least 50,000 mutated packets (bit flips, byte overwrites, truncation, extension) built
    /// from real DNS and HTTP packets, fed through one decoder so that TCP and fragment state
    /// is exercised too. The seed is fixed: a failure reproduces.
    @Test func seededMutationRunNeverCrashes() throws {
        let seeds = try Self.realPackets()
        var rng = SeededGenerator(seed: 20_261_126)
        var configuration = TrafficDecoder.Configuration()
        configuration.dnsPorts = [53, 5353]
        configuration.limits.maxConnections = 512
        configuration.limits.maxStreamBufferOctets = 64 << 10
        let decoder = TrafficDecoder(configuration: configuration)
        var events = 0
        var diagnostics = 0
        let total = 60_000
        for i in 0..<total {
            var packet = seeds[Int(rng.next() % UInt64(seeds.count))]
            var data = packet.data
            let mutations = 1 + Int(rng.next() % 4)
            for _ in 0..<mutations where !data.isEmpty {
                let index = Int(rng.next() % UInt64(data.count))
                switch rng.next() % 5 {
                case 0: data[index] ^= UInt8(1 << (rng.next() % 8))
                case 1: data[index] = UInt8(truncatingIfNeeded: rng.next())
                case 2: data.removeLast(Int(rng.next() % UInt64(data.count)))
                case 3: data += (0..<Int(rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                default:
                    // A length or count field: set two octets to extremes.
                    if index + 1 < data.count {
                        data[index] = 0xff
                        data[index + 1] = UInt8(truncatingIfNeeded: rng.next() % 2 == 0 ? 0 : 0xff)
                    }
                }
            }
            packet.data = data
            packet.originalLength = max(data.count, packet.originalLength)
            packet.frameNumber = i + 1
            decoder.process(packet) {
                switch $0 {
                case .event: events += 1
                case .diagnostic(let d):
                    diagnostics += 1
                    #expect(d.frame != nil || d.code == .limitExceeded)
                }
            }
        }
        decoder.finish { _ in }
        #expect(decoder.statistics.packets == total)
        #expect(events > 1000, "most mutations leave a decodable message")
        #expect(diagnostics > 1000, "and many are reported")
    }
}
