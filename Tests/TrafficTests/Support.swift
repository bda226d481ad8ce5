import DNSWire
import Foundation
import PacketCapture
import Traffic

/// Shared helpers: fixture paths, decoding a capture, building packets by hand.
enum Fixtures {
    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    }

    static func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    static var captures: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }

    static func packets(_ name: String) throws -> [CapturedPacket] {
        try CaptureFileReader.readAll(path: path(name))
    }

    /// The oracle's JSON lines for a capture (`dns` or `http`).
    static func oracle(_ name: String, _ kind: String) throws -> [[String: Any]] {
        let url = directory.appendingPathComponent("\(name).\(kind).jsonl")
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }
}

struct Decoded {
    var events: [Event] = []
    var diagnostics: [TrafficError] = []

    init(_ outputs: [TrafficDecoder.Output]) {
        for o in outputs {
            switch o {
            case .event(let e): events.append(e)
            case .diagnostic(let d): diagnostics.append(d)
            }
        }
    }

    var dns: [Event] { events.filter { $0.dns != nil } }
    var http: [Event] { events.filter { $0.http != nil } }
}

func decode(_ packets: [CapturedPacket], configure: (inout TrafficDecoder.Configuration) -> Void = { _ in }) -> Decoded {
    var configuration = TrafficDecoder.Configuration()
    configure(&configuration)
    return Decoded(TrafficDecoder.decodeAll(packets, configuration: configuration))
}

/// Builds frames by hand: Ethernet / IPv4 / IPv6 / UDP / TCP with correct lengths.
enum Build {
    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

    static func ipv4(
        _ src: String, _ dst: String, proto: UInt8, payload: [UInt8], id: Int = 1, fragmentOffset: Int = 0, more: Bool = false, totalLength: Int? = nil
    ) -> [UInt8] {
        let s = IPv4Address(src)!.octets
        let d = IPv4Address(dst)!.octets
        var flags = fragmentOffset / 8
        if more { flags |= 0x2000 }
        var h: [UInt8] = [0x45, 0] + be16(totalLength ?? 20 + payload.count) + be16(id) + be16(flags) + [64, proto, 0, 0]
        h += s + d
        return h + payload
    }

    static func ipv6(_ src: String, _ dst: String, next: UInt8, payload: [UInt8]) -> [UInt8] {
        var h: [UInt8] = [0x60, 0, 0, 0] + be16(payload.count) + [next, 64]
        h += IPv6Address(src)!.octets + IPv6Address(dst)!.octets
        return h + payload
    }

    static func udp(_ sport: Int, _ dport: Int, _ payload: [UInt8]) -> [UInt8] {
        be16(sport) + be16(dport) + be16(8 + payload.count) + [0, 0] + payload
    }

    static let syn: UInt8 = 0x02
    static let ack: UInt8 = 0x10
    static let fin: UInt8 = 0x01
    static let rst: UInt8 = 0x04
    static let psh: UInt8 = 0x08

    static func tcp(_ sport: Int, _ dport: Int, seq: UInt32, ack: UInt32 = 0, flags: UInt8, _ payload: [UInt8] = []) -> [UInt8] {
        be16(sport) + be16(dport) + be32(seq) + be32(ack) + [0x50, flags] + be16(65535) + [0, 0, 0, 0] + payload
    }

    static func ethernet(_ ip: [UInt8], v6: Bool = false, vlans: [Int] = []) -> [UInt8] {
        var f: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        for (i, vlan) in vlans.enumerated() {
            f += (i == 0 && vlans.count > 1 ? [0x88, 0xA8] : [0x81, 0x00])
            f += be16(vlan)
        }
        f += v6 ? [0x86, 0xDD] : [0x08, 0x00]
        return f + ip
    }

    static func packet(_ frame: Int, _ data: [UInt8], link: LinkType = .ethernet, ms: Int64 = 0, interface: Int = 0) -> CapturedPacket {
        CapturedPacket(
            frameNumber: frame, timestampNanoseconds: 1_700_000_000_000_000_000 + ms * 1_000_000, linkType: link, data: data, originalLength: data.count,
            interfaceIndex: interface)
    }

    static func query(_ name: String, id: UInt16, type: DNSType = .a) -> DNSMessage {
        DNSMessage.query(id: id, name: try! DNSName(name), type: type)
    }

    static func response(to query: DNSMessage, answers: [ResourceRecord], rcode: DNSRCode = .noError) -> DNSMessage {
        var m = query
        m.header.isResponse = true
        m.header.authoritative = true
        m.answers = answers
        m.rcode = rcode
        return m
    }

    static func wire(_ m: DNSMessage) -> [UInt8] { try! m.wireBytes() }

    /// A UDP DNS frame on Ethernet/IPv4.
    static func udpDNS(_ frame: Int, _ src: String, _ sport: Int, _ dst: String, _ dport: Int, _ m: DNSMessage, ms: Int64 = 0, interface: Int = 0)
        -> CapturedPacket
    {
        packet(frame, ethernet(ipv4(src, dst, proto: 17, payload: udp(sport, dport, wire(m)))), ms: ms, interface: interface)
    }

    /// A TCP segment on Ethernet/IPv4.
    static func tcpFrame(
        _ frame: Int, _ src: String, _ sport: Int, _ dst: String, _ dport: Int, seq: UInt32, ack: UInt32 = 0, flags: UInt8, _ payload: [UInt8] = [],
        ms: Int64 = 0
    ) -> CapturedPacket {
        packet(frame, ethernet(ipv4(src, dst, proto: 6, payload: tcp(sport, dport, seq: seq, ack: ack, flags: flags, payload))), ms: ms)
    }

    static func lengthPrefixed(_ m: DNSMessage) -> [UInt8] {
        let w = wire(m)
        return be16(w.count) + w
    }
}
