import DNSWire
import PacketCapture
import Testing
import Traffic

/// Every supported link layer carries the same DNS query to one event with the right endpoints;
/// an unknown link type is reported once.
@Suite struct LinkLayerTests {
    static let query = Build.query("quote.kiada.svc.cluster.local", id: 4242)
    static var udpV4: [UInt8] { Build.ipv4("10.244.3.4", "10.96.0.10", proto: 17, payload: Build.udp(51234, 53, Build.wire(query))) }
    static var udpV6: [UInt8] { Build.ipv6("fd00::3:4", "fd00::a", next: 17, payload: Build.udp(51234, 53, Build.wire(query))) }

    static func sll(_ ip: [UInt8], v6: Bool = false) -> [UInt8] {
        [0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0] + (v6 ? [0x86, 0xDD] : [0x08, 0x00]) + ip
    }

    static func sll2(_ ip: [UInt8], interface: UInt32) -> [UInt8] {
        [0x08, 0x00, 0, 0] + Build.be32(interface) + [0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0] + ip
    }

    static let cases: [(String, LinkType, [UInt8], String)] = [
        ("ethernet", .ethernet, Build.ethernet(udpV4), "10.244.3.4:51234"),
        ("ethernet 802.1Q", .ethernet, Build.ethernet(udpV4, vlans: [100]), "10.244.3.4:51234"),
        ("ethernet QinQ", .ethernet, Build.ethernet(udpV4, vlans: [200, 100]), "10.244.3.4:51234"),
        ("ethernet IPv6", .ethernet, Build.ethernet(udpV6, v6: true), "[fd00::3:4]:51234"),
        ("SLL", .linuxSLL, sll(udpV4), "10.244.3.4:51234"),
        ("SLL IPv6", .linuxSLL, sll(udpV6, v6: true), "[fd00::3:4]:51234"),
        ("SLL2", .linuxSLL2, sll2(udpV4, interface: 7), "10.244.3.4:51234"),
        ("raw 101 v4", .raw, udpV4, "10.244.3.4:51234"),
        ("raw 101 v6", .raw, udpV6, "[fd00::3:4]:51234"),
        ("raw 12", LinkType(12), udpV6, "[fd00::3:4]:51234"),
        ("IPV4 228", .ipv4, udpV4, "10.244.3.4:51234"),
        ("IPV6 229", .ipv6, udpV6, "[fd00::3:4]:51234"),
        ("NULL little-endian AF_INET", .null, [2, 0, 0, 0] + udpV4, "10.244.3.4:51234"),
        ("NULL big-endian AF_INET", .null, [0, 0, 0, 2] + udpV4, "10.244.3.4:51234"),
        ("NULL Darwin AF_INET6", .null, [30, 0, 0, 0] + udpV6, "[fd00::3:4]:51234"),
        ("NULL Linux AF_INET6", .null, [10, 0, 0, 0] + udpV6, "[fd00::3:4]:51234"),
        ("LOOP AF_INET", .loop, [0, 0, 0, 2] + udpV4, "10.244.3.4:51234"),
        ("LOOP AF_INET6 (OpenBSD 24)", .loop, [0, 0, 0, 24] + udpV6, "[fd00::3:4]:51234"),
    ]

    @Test(arguments: cases)
    func decodesDNSOverEveryLinkType(name: String, link: LinkType, data: [UInt8], source: String) throws {
        let d = decode([Build.packet(1, data, link: link)])
        #expect(d.diagnostics.isEmpty, "\(name): \(d.diagnostics)")
        let event = try #require(d.events.first, "\(name): no event")
        #expect(d.events.count == 1)
        #expect(event.source.description == source)
        #expect(event.destination.port == 53)
        #expect(event.transport == .udp)
        #expect(event.dns?.message == Self.query)
        #expect(event.frame == 1)
    }

    @Test func sll2InterfaceIndexIsTheVantagePoint() {
        let d = decode([Build.packet(1, Self.sll2(Self.udpV4, interface: 7), link: .linuxSLL2)])
        #expect(d.events.first?.vantage == 7)
    }

    @Test func unknownLinkTypeIsReportedOnce() {
        let packets = (1...5).map { Build.packet($0, Self.udpV4, link: LinkType(147)) }
        let d = decode(packets)
        #expect(d.events.isEmpty)
        #expect(d.diagnostics.count == 1)
        #expect(d.diagnostics.first?.code == .unsupportedLinkType)
        #expect(d.diagnostics.first?.frame == 1)
        #expect(!TrafficDecoder.supports(LinkType(147)))
        #expect(TrafficDecoder.supports(.linuxSLL2))
    }

    @Test func nonIPFramesAreSkippedSilently() {
        var arp: [UInt8] = Array(repeating: 0xff, count: 12) + [0x08, 0x06]
        arp += Array(repeating: 0, count: 28)
        let d = decode([Build.packet(1, arp)])
        #expect(d.events.isEmpty && d.diagnostics.isEmpty)
    }

    @Test(arguments: [
        ("short ethernet", LinkType.ethernet, [UInt8](repeating: 0, count: 10)),
        ("short SLL2", LinkType.linuxSLL2, [UInt8](repeating: 0, count: 12)),
        ("IPv4 header cut", LinkType.raw, [0x45, 0, 0, 40, 0, 0]),
        ("IHL below 5", LinkType.raw, [0x43] + [UInt8](repeating: 0, count: 30)),
        ("version 5", LinkType.raw, [0x55] + [UInt8](repeating: 0, count: 30)),
        ("cut VLAN tag", LinkType.ethernet, [UInt8](repeating: 0, count: 12) + [0x81, 0x00, 0]),
    ])
    func malformedLinkOrIPHeadersAreDiagnosed(name: String, link: LinkType, data: [UInt8]) {
        let d = decode([Build.packet(9, data, link: link)])
        #expect(d.events.isEmpty)
        #expect(d.diagnostics.count == 1, "\(name)")
        #expect(d.diagnostics.first?.frame == 9)
        #expect(d.diagnostics.first?.code == .malformedPacket, "\(name): \(d.diagnostics)")
    }
}
